"""Upstream pages read at the boundary: PEP 503 HTML (real recorded pages and the shapes other
indexes write) must come out as the same files PEP 691 JSON gives, and the Content-Type decides
which parser reads a body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collector.index.pages import (
    SIMPLE_HTML,
    UPSTREAM_ACCEPT,
    IndexFile,
    negotiate,
    parse_upstream_body,
    parse_upstream_html,
    parse_upstream_page,
)
from collector.media import negotiate_media
from collector.pypi.simple import SIMPLE_JSON
from standin.replay import load_recording

RECORDING = Path(__file__).resolve().parents[2] / "data" / "pypi_replay" / "recording.json.gz"
DIGEST = "a" * 64
PAGE = "https://mirror.example/root/pypi/+simple/demo/"


def _fields(f: IndexFile) -> tuple[object, ...]:
    """What an HTML page can carry (sizes and upload times are PEP 700, JSON only)."""
    return (f.url, f.sha256, f.requires_python, f.yanked, f.core_metadata, f.core_metadata_sha256)


@pytest.fixture(scope="module")
def recorded() -> list[dict[str, Any]]:
    projects: list[dict[str, Any]] = load_recording(RECORDING)["projects"]
    return projects


def test_real_pypi_html_pages_read_as_their_json_twins(recorded: list[dict[str, Any]]) -> None:
    compared = 0
    for project in recorded:
        name = project["name"]
        html = parse_upstream_html(project["simple_html"], name, f"https://pypi.org/simple/{name}/")
        from_json = {f.filename: f for f in parse_upstream_page(project["simple_json"], name).files}
        from_html = {f.filename: f for f in html.files}
        # The recording trims long JSON file lists to the newest releases; HTML keeps more.
        assert set(from_json) <= set(from_html), name
        for filename, twin in from_json.items():
            assert _fields(from_html[filename]) == _fields(twin), filename
            compared += 1
    assert compared > 1000


def test_real_pages_unescape_requires_python_and_yank_reasons(
    recorded: list[dict[str, Any]],
) -> None:
    (aiohttp,) = (p for p in recorded if p["name"] == "aiohttp")
    assert "data-yanked=" in aiohttp["simple_html"]
    assert "&quot;" in aiohttp["simple_html"]
    page = parse_upstream_html(
        aiohttp["simple_html"], "aiohttp", "https://pypi.org/simple/aiohttp/"
    )
    (sdist,) = (f for f in page.files if f.filename == "aiohttp-3.8.2.tar.gz")
    assert sdist.requires_python == ">=3.6"
    assert isinstance(sdist.yanked, str)
    assert "didn't have that" in sdist.yanked
    assert '"incompatible"' in sdist.yanked
    ranged = next(
        parse_upstream_html(p["simple_html"], p["name"], "https://pypi.org/simple/x/")
        for p in recorded
        if "&lt;" in p["simple_html"]
    )
    assert any("<" in (f.requires_python or "") for f in ranged.files)


def _one(anchor: str, url: str = PAGE) -> IndexFile:
    (only,) = parse_upstream_html(f"<html><body>{anchor}</body></html>", "demo", url).files
    return only


@pytest.mark.parametrize(
    ("anchor", "expected", "why"),
    [
        (
            f'<a href="../../+f/0ab/demo-1.0-py3-none-any.whl#sha256={DIGEST}">demo</a>',
            IndexFile(
                "demo-1.0-py3-none-any.whl",
                "https://mirror.example/root/pypi/+f/0ab/demo-1.0-py3-none-any.whl",
                DIGEST,
            ),
            "devpi links relative to the page; the fragment is the digest, not part of the URL",
        ),
        (
            f'<a href="/packages/demo-1.0.tar.gz#sha256={DIGEST.upper()}">demo-1.0.tar.gz</a>',
            IndexFile("demo-1.0.tar.gz", "https://mirror.example/packages/demo-1.0.tar.gz", DIGEST),
            "a host-relative link; a digest in capitals is the same digest",
        ),
        (
            '<a href="https://cdn.example/demo-1.0.zip#md5=0123">demo-1.0.zip</a>',
            IndexFile("demo-1.0.zip", "https://cdn.example/demo-1.0.zip", None),
            "no sha256 to verify by: the file is listed, then refused when asked for",
        ),
        (
            '<a href="demo-1.0%2Bcpu-py3-none-any.whl">demo-1.0+cpu-py3-none-any.whl</a>',
            IndexFile(
                "demo-1.0+cpu-py3-none-any.whl",
                f"{PAGE}demo-1.0%2Bcpu-py3-none-any.whl",
                None,
            ),
            "a local version's '+' arrives percent-encoded; the filename is decoded",
        ),
        (
            '<a href="d.whl" data-requires-python="&gt;=3.8,&lt;4" data-yanked>d.whl</a>',
            IndexFile("d.whl", f"{PAGE}d.whl", None, requires_python=">=3.8,<4", yanked=True),
            "entities in attributes are unescaped; a bare data-yanked is a yank without reason",
        ),
        (
            '<a href="d.whl" data-yanked="">d.whl</a>',
            IndexFile("d.whl", f"{PAGE}d.whl", None, yanked=True),
            "an empty reason is still a yank (PyPI writes it so)",
        ),
        (
            '<a href="d.whl" data-yanked="broken &amp; replaced">d.whl</a>',
            IndexFile("d.whl", f"{PAGE}d.whl", None, yanked="broken & replaced"),
            "the reason is kept, unescaped",
        ),
        (
            '<a href="d.whl" data-dist-info-metadata="true">d.whl</a>',
            IndexFile("d.whl", f"{PAGE}d.whl", None, core_metadata=True),
            "PEP 658's first spelling, without a digest",
        ),
        (
            f'<a href="d.whl" data-dist-info-metadata="sha256=0" data-core-metadata="sha256={DIGEST}">d.whl</a>',
            IndexFile(
                "d.whl", f"{PAGE}d.whl", None, core_metadata=True, core_metadata_sha256=DIGEST
            ),
            "PEP 714's data-core-metadata wins over the old name",
        ),
        (
            '<a href="d.whl" data-core-metadata="sha512=00">d.whl</a>',
            IndexFile("d.whl", f"{PAGE}d.whl", None, core_metadata=True),
            "metadata exists, but with no sha256 we cannot verify it",
        ),
    ],
)
def test_pep_503_anchor_shapes(anchor: str, expected: IndexFile, why: str) -> None:
    assert _one(anchor) == expected, why


def test_base_href_moves_relative_links_and_folder_links_are_not_files() -> None:
    page = parse_upstream_html(
        '<html><head><base href="/elsewhere/"></head><body>'
        '<a href="../">parent</a><a>no href</a><a href="d-1.0.tar.gz">d-1.0.tar.gz</a>'
        "</body></html>",
        "d",
        PAGE,
    )
    assert [f.url for f in page.files] == ["https://mirror.example/elsewhere/d-1.0.tar.gz"]


def test_the_content_type_picks_the_parser() -> None:
    as_json = json.dumps({"files": [{"filename": "d.whl", "url": "https://x/d.whl"}]}).encode()
    assert parse_upstream_body(as_json, SIMPLE_JSON, "d", PAGE).files[0].url == "https://x/d.whl"
    latin = '<a href="d.whl" data-yanked="caf\u00e9">d.whl</a>'.encode("latin-1")
    for content_type in (
        "text/html; charset=ISO-8859-1",
        f'{SIMPLE_HTML}; charset="latin-1"',
    ):
        (f,) = parse_upstream_body(latin, content_type, "d", PAGE).files
        assert f.yanked == "caf\u00e9"
    (f,) = parse_upstream_body(b'<a href="d.whl">d</a>', "text/html; charset=nope", "d", PAGE).files
    assert f.url == f"{PAGE}d.whl"  # an unknown charset falls back to UTF-8
    for content_type in ("", "application/json", "text/plain"):
        with pytest.raises(ValueError, match="not a Simple API page"):
            parse_upstream_body(as_json, content_type, "d", PAGE)


def test_relative_json_urls_are_resolved_against_the_page() -> None:
    """PEP 691 allows relative file URLs (devpi writes them); the index fetches absolute ones."""
    files = [
        {"filename": "d-1.0.tar.gz", "url": "../../+f/d-1.0.tar.gz"},
        {"filename": "d-1.1.tar.gz", "url": "https://files.example/d-1.1.tar.gz"},
    ]
    body = json.dumps({"files": files}).encode()
    page = parse_upstream_body(body, f"{SIMPLE_JSON}; charset=utf-8", "d", PAGE)
    assert [f.url for f in page.files] == [
        "https://mirror.example/root/pypi/+f/d-1.0.tar.gz",
        "https://files.example/d-1.1.tar.gz",
    ]


def test_upstream_is_asked_for_json_first_then_either_html() -> None:
    assert negotiate(UPSTREAM_ACCEPT) == SIMPLE_JSON
    assert negotiate_media(UPSTREAM_ACCEPT, ("text/html", SIMPLE_HTML)) == SIMPLE_HTML
    assert negotiate_media(UPSTREAM_ACCEPT, ("text/html",)) == "text/html"
