"""Files through the index: bytes that fail their digest are cut mid-stream and never kept, a
client that leaves mid-download leaves nothing behind, and PEP 658 metadata is upstream's own."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from collector.index.app import CHUNK
from collector.pypi.simple import SIMPLE_JSON
from standin import Fault, StandInPyPI
from standin.state import StoredFile
from tests.collector.index.conftest import OLD, Index, index_before, store_release
from tests.collector.index.mirror import HtmlMirror

TAMPERED = bytes(range(256)) * 1024  # 256 KiB: several relayed chunks, none of them the file


def cached(index: Index) -> list[Path]:
    """Every file under the cache folder: kept ones and `.partial-*` spools alike."""
    root = index.state.cache.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored(pypi: StandInPyPI, filename: str) -> StoredFile:
    found = pypi.file(filename)
    assert found is not None
    return found


async def read_into(response: aiohttp.ClientResponse, received: bytearray) -> None:
    """Keep what arrives, so a test can look at it after the download is cut."""
    async for chunk in response.content.iter_any():
        received += chunk


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_a_sha256_mismatch_is_cut_mid_stream_and_never_kept(index: Index) -> None:
    wheel = stored(index.pypi, "tidy-1.0-py3-none-any.whl")
    index.pypi.faults.add("files", Fault.garbage(TAMPERED), project="tidy")
    url = f"{index.base}/files/tidy/{wheel.filename}"
    received = bytearray()
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200  # the verdict only comes with the last chunk
            with pytest.raises(aiohttp.ClientPayloadError):
                await read_into(response, received)
        assert len(received) < len(TAMPERED)
        assert TAMPERED.startswith(received)  # relayed as it came, and the last chunk held back
        assert cached(index) == []
        assert index.state.counters.get("index_hash_mismatch_total") == 1
        async with session.get(f"{index.base}/metrics") as response:
            assert "\nindex_hash_mismatch_total 1\n" in await response.text()

        async with session.get(url) as response:  # the fault is spent: upstream serves the file
            assert await response.read() == wheel.blob.content
    downloads = [r for r in index.pypi.requests if r.path.endswith(f"/{wheel.filename}")]
    assert len(downloads) == 2  # nothing of the bad answer was kept to serve the second from
    assert index.state.counters.get("index_files_total", source="upstream") == 2
    assert cached(index) == [index.state.cache.root / wheel.sha256[:2] / wheel.sha256]


@pytest.mark.parametrize(
    "handler_cancellation", [False, True], ids=["handler-goes-on", "cancelled"]
)
async def test_a_client_gone_mid_download_leaves_no_partial_file(
    mirror: tuple[HtmlMirror, str],
    pool: asyncpg.Pool,
    tmp_path: Path,
    handler_cancellation: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Either way aiohttp may be run: the handler cancelled when the client goes, or going on
    until its next write fails (as `serve_index` runs it)."""
    served, base = mirror
    served.pypi.upload("big", "1.0", timestamp=OLD)
    stored(served.pypi, "big-1.0-py3-none-any.whl").serve(bytes(range(256)) * 4096)  # 1 MiB
    await store_release(pool, "big", "1.0", "info", OLD)
    served.hold_after = 4 * CHUNK
    cache = tmp_path / "cache"
    async with index_before(
        served.pypi, base, pool, cache, handler_cancellation=handler_cancellation
    ) as index:
        async with aiohttp.ClientSession() as session:
            response = await session.get(f"{index.base}/files/big/big-1.0-py3-none-any.whl")
            assert await response.content.readany()
            await served.holding.wait()
            assert [p.name[:9] for p in cached(index)] == [".partial-"]
            response.close()
        # Once the index has seen the client go, upstream lets the rest of the file through.
        await until(lambda: all(c.transport is None for c in index.runner.server.connections))
        served.resume.set()
        await until(lambda: not cached(index))
        assert index.state.counters.get("index_hash_mismatch_total") == 0
    # A client going away is not an error of ours: no traceback at ERROR in the log.
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_metadata_is_upstreams_own_bytes_verified_by_its_digest(index: Index) -> None:
    wheel = stored(index.pypi, "tidy-1.0-py3-none-any.whl")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{index.simple}tidy/", headers={"Accept": SIMPLE_JSON}) as page:
            listed = await page.json(content_type=None)
        async with session.get(f"{index.base}/files/tidy/{wheel.filename}.metadata") as response:
            assert response.status == 200
            metadata = await response.read()
    (entry,) = (f for f in listed["files"] if f["filename"] == wheel.filename)
    digest = hashlib.sha256(metadata).hexdigest()
    assert metadata == wheel.blob.core_metadata
    assert entry["core-metadata"] == {"sha256": digest}
    assert cached(index) == [index.state.cache.root / digest[:2] / digest]


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        (
            "tidy/tidy-1.0.tar.gz.metadata",
            404,
            "tidy-1.0.tar.gz.metadata: no metadata file",
        ),
        (
            "tidy/tidy-9.9-py3-none-any.whl.metadata",
            404,
            "tidy-9.9-py3-none-any.whl.metadata: not in the index",
        ),
        (
            "reqeusts/reqeusts-0.0.1-py3-none-any.whl.metadata",
            403,
            "reqeusts 0.0.1 breaks the policy: our verdict is high (blocks at medium)",
        ),
    ],
    ids=["upstream-has-none", "no-such-file", "blocked-release"],
)
async def test_metadata_refusals(index: Index, path: str, status: int, text: str) -> None:
    url = f"{index.base}/files/{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert (response.status, (await response.text()).strip()) == (status, text)
    assert cached(index) == []


async def test_metadata_that_fails_its_digest_is_cut_too(index: Index) -> None:
    index.pypi.faults.add("files", Fault.garbage(b"Metadata-Version: 2.1\nName: evil\n"))
    url = f"{index.base}/files/tidy/tidy-1.0-py3-none-any.whl.metadata"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    assert index.state.counters.get("index_hash_mismatch_total") == 1
    assert cached(index) == []
