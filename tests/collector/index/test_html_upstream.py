"""The index in front of an upstream that serves PEP 503 HTML only (relative links, no upload
times): pip installs through it as from PyPI, and what HTML cannot say is held, not guessed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import aiohttp

from collector.index.pages import SIMPLE_HTML
from collector.pypi.simple import SIMPLE_JSON
from tests.collector.index.conftest import Index, install
from tests.collector.index.mirror import HtmlMirror


async def test_pip_installs_through_the_index_from_an_html_only_upstream(
    html_index: Index, tmp_path: Path
) -> None:
    code, out = await install(html_index, tmp_path / "t", "tidy")
    assert code == 0, out
    assert (tmp_path / "t" / "tidy-1.0.dist-info").is_dir()
    code, out = await install(html_index, tmp_path / "u", "fresh")
    assert code == 0, out
    assert (tmp_path / "u" / "fresh-1.0.dist-info").is_dir()  # 2.0 is an hour old
    code, out = await install(html_index, tmp_path / "v", "reqeusts")
    assert code != 0
    assert "No matching distribution found for reqeusts" in out
    assert html_index.state.counters.get("index_files_total", source="upstream") >= 2


async def test_what_the_html_says_reaches_our_own_pages(html_index: Index) -> None:
    wheel = html_index.pypi.file("tidy-1.0-py3-none-any.whl")
    assert wheel is not None
    async with aiohttp.ClientSession(headers={"Accept": SIMPLE_JSON}) as session:
        async with session.get(f"{html_index.simple}tidy/") as response:
            assert response.status == 200
            page = await response.json(content_type=None)
        async with session.get(f"{html_index.simple}tidy/", headers={"Accept": SIMPLE_HTML}) as r:
            html = await r.text()
    (entry,) = (f for f in page["files"] if f["filename"] == wheel.filename)
    assert entry["url"] == f"/files/tidy/{wheel.filename}"
    assert entry["hashes"] == {"sha256": wheel.sha256}
    assert entry["requires-python"] == ">=3.9"  # unescaped from `&gt;=3.9`, never `&amp;gt;`
    assert entry["core-metadata"] == {"sha256": wheel.blob.core_metadata_sha256}
    assert "upload-time" not in entry  # HTML has none to pass on
    assert 'data-requires-python="&gt;=3.9"' in html


async def test_a_release_the_store_never_saw_is_held_without_an_upload_time(
    html_index: Index, tmp_path: Path
) -> None:
    """From JSON, an old unseen release passes once old; HTML gives no upload time to weigh."""
    code, out = await install(html_index, tmp_path / "t", "unseen")
    assert code != 0
    assert "No matching distribution found for unseen" in out
    async with aiohttp.ClientSession() as session:
        url = f"{html_index.base}/files/unseen/unseen-3.0-py3-none-any.whl"
        async with session.get(url) as response:
            assert response.status == 403
            assert (await response.text()).strip() == (
                "unseen 3.0 is held: its upload time is unknown"
            )


async def test_metadata_and_files_come_through_relative_links(
    html_index: Index, mirror: tuple[HtmlMirror, str]
) -> None:
    wheel = html_index.pypi.file("tidy-1.0-py3-none-any.whl")
    assert wheel is not None
    assert wheel.blob.core_metadata is not None
    async with aiohttp.ClientSession() as session:
        url = f"{html_index.base}/files/tidy/{wheel.filename}"
        async with session.get(url + ".metadata") as response:
            assert response.status == 200
            metadata = await response.read()
        async with session.get(url) as response:
            assert response.status == 200
            content = await response.read()
    assert metadata == wheel.blob.core_metadata
    assert hashlib.sha256(content).hexdigest() == wheel.sha256
    assert mirror[0].files_served == 2


async def test_metadata_without_a_digest_is_not_advertised(
    html_index: Index, mirror: tuple[HtmlMirror, str], tmp_path: Path
) -> None:
    """PEP 658 lets a page say only `true`; the index verifies every byte it serves, so it
    leaves such metadata off its pages and pip reads the (verified) wheel instead."""
    mirror[0].metadata_digests = False
    async with aiohttp.ClientSession(headers={"Accept": SIMPLE_JSON}) as session:
        async with session.get(f"{html_index.simple}tidy/") as response:
            page = await response.json(content_type=None)
        async with session.get(f"{html_index.simple}tidy/", headers={"Accept": SIMPLE_HTML}) as r:
            html = await r.text()
    assert {f["filename"]: f["core-metadata"] for f in page["files"]} == {
        "tidy-1.0-py3-none-any.whl": False,
        "tidy-1.0.tar.gz": False,
    }
    assert "metadata=" not in html
    code, out = await install(html_index, tmp_path / "t", "tidy")
    assert code == 0, out
    assert (tmp_path / "t" / "tidy-1.0.dist-info").is_dir()
