"""The Simple API (PEP 691/700/740/792) in JSON and HTML."""

from __future__ import annotations

import re

import aiohttp
from aiohttp.test_utils import TestServer

from standin import StandInPyPI
from tests.standin.conftest import SIMPLE_JSON

GITHUB = {"kind": "GitHub", "repository": "ann/demo", "workflow": "release.yml", "environment": ""}


async def get(
    session: aiohttp.ClientSession, server: TestServer, path: str, accept: str = SIMPLE_JSON
) -> tuple[aiohttp.ClientResponse, bytes]:
    async with session.get(server.make_url(path), headers={"Accept": accept}) as response:
        return response, await response.read()


async def test_index_json_excludes_quarantined(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Zeta", "1.0", files=[])
    pypi.create_project("alpha")
    pypi.upload("bad", "1.0", files=[])
    pypi.quarantine_project("bad")
    response, _ = await get(session, server, "/simple/")
    payload = await response.json(content_type=None)
    assert response.headers["Content-Type"] == SIMPLE_JSON
    assert response.headers["X-PyPI-Last-Serial"] == str(pypi.last_serial)
    assert payload == {
        "meta": {"api-version": "1.4", "_last-serial": pypi.last_serial},
        "projects": [
            {"name": "alpha", "_last-serial": 1005},
            {"name": "Zeta", "_last-serial": 1003},
        ],
    }


async def test_index_html(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Zeta", "1.0", files=[])
    response, body = await get(session, server, "/simple/", accept="text/html")
    text = body.decode()
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<a href="/simple/zeta/">Zeta</a>' in text
    assert text.rstrip().endswith(f"<!--SERIAL {pypi.last_serial}-->")


async def test_detail_json(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Demo", "1.0", provenance=GITHUB)
    pypi.upload("Demo", "0.9", files=["demo-0.9.tar.gz"])
    pypi.yank("demo", "0.9", reason="bad build")
    response, _ = await get(session, server, "/simple/demo/")
    payload = await response.json(content_type=None)
    assert response.headers["X-PyPI-Last-Serial"] == str(pypi.project("demo").last_serial)
    assert list(payload) == [
        "meta",
        "name",
        "project-status",
        "versions",
        "alternate-locations",
        "files",
    ]
    assert payload["name"] == "demo"
    assert payload["project-status"] == {"status": "active"}
    assert payload["versions"] == ["0.9", "1.0"]
    old, wheel, sdist = payload["files"]
    assert old["filename"] == "demo-0.9.tar.gz"
    assert (old["yanked"], old["provenance"], old["core-metadata"]) == ("bad build", None, False)
    assert wheel["filename"] == "demo-1.0-py3-none-any.whl"
    assert wheel["yanked"] is False
    assert (
        wheel["provenance"]
        == f"{pypi.base_url}/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance"
    )
    assert wheel["core-metadata"] == wheel["data-dist-info-metadata"]
    assert set(wheel["core-metadata"]) == {"sha256"}
    assert wheel["upload-time"] == "2026-03-01T12:00:00Z"
    assert wheel["requires-python"] == ">=3.9"
    assert sdist["filename"] == "demo-1.0.tar.gz"


async def test_detail_html(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("demo", "1.0", provenance=GITHUB)
    pypi.yank("demo", "1.0")
    _, body = await get(session, server, "/simple/demo/", accept="text/html")
    text = body.decode()
    assert '<meta name="pypi:project-status" content="active">' in text
    assert 'data-requires-python="&gt;=3.9"' in text
    assert 'data-yanked=""' in text
    assert 'data-core-metadata="sha256=' in text
    assert "data-provenance=" in text
    assert re.search(r'href="[^"]+/demo-1\.0\.tar\.gz#sha256=[0-9a-f]{64}"', text)
    assert text.rstrip().endswith(f"<!--SERIAL {pypi.last_serial}-->")


async def test_quarantined_detail_lists_no_files(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("bad", "1.0")
    pypi.quarantine_project("bad")
    response, _ = await get(session, server, "/simple/bad/")
    payload = await response.json(content_type=None)
    assert response.status == 200
    assert payload["project-status"] == {"status": "quarantined"}
    assert (payload["files"], payload["versions"]) == ([], [])
    _, html = await get(session, server, "/simple/bad/", accept="text/html")
    assert b'content="quarantined"' in html


async def test_quarantined_release_files_are_hidden(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("demo", "1.0")
    pypi.upload("demo", "2.0")
    pypi.quarantine_release("demo", "2.0")
    response, _ = await get(session, server, "/simple/demo/")
    payload = await response.json(content_type=None)
    assert payload["versions"] == ["1.0"]
    assert payload["project-status"] == {"status": "active"}


async def test_redirects_and_not_found(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Foo_Bar", "1.0")
    pypi.upload("gone", "1.0")
    pypi.remove_project("gone")
    for path in ("/simple/Foo_Bar/", "/simple/foo-bar", "/simple/Foo.Bar"):
        async with session.get(server.make_url(path), allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (301, "/simple/foo-bar/")
    response, _ = await get(session, server, "/simple/gone/")
    assert response.status == 404


async def test_negotiation(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("demo", "1.0")
    cases = {
        "": "text/html",
        "*/*": "text/html",
        "application/vnd.pypi.simple.v1+html": "application/vnd.pypi.simple.v1+html",
        "application/vnd.pypi.simple.latest+json": SIMPLE_JSON,
        f"text/html;q=0.1, {SIMPLE_JSON}": SIMPLE_JSON,
    }
    for accept, expected in cases.items():
        response, _ = await get(session, server, "/simple/demo/", accept=accept)
        assert response.headers["Content-Type"].split(";")[0] == expected, accept
    async with session.get(server.make_url("/simple/demo/?format=" + SIMPLE_JSON)) as response:
        assert response.headers["Content-Type"] == SIMPLE_JSON
