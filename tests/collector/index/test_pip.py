"""The vetted index as pip sees it: the real pip of this venv, installing from the index."""

from __future__ import annotations

import hashlib
from pathlib import Path

import aiohttp

from tests.collector.index.conftest import (
    OLD,
    WHEELS,
    YOUNG,
    Index,
    approve,
    install,
    pip,
)


async def download(index: Index, requirements: Path, into: Path) -> tuple[int, str]:
    hashed = ("--require-hashes", "-r", str(requirements))
    return await pip("download", "--index-url", index.simple, *WHEELS, *hashed, "-d", str(into))


async def test_a_clean_old_enough_release_installs(index: Index, tmp_path: Path) -> None:
    code, out = await install(index, tmp_path / "t", "tidy")
    assert code == 0, out
    assert (tmp_path / "t" / "tidy-1.0.dist-info").is_dir()
    assert index.state.counters.get("index_files_total", source="upstream") >= 1


async def test_pip_reads_the_metadata_file_before_the_wheel(index: Index, tmp_path: Path) -> None:
    """PEP 658: pip resolves from the `.metadata` file the index serves, then fetches the wheel."""
    code, out = await install(index, tmp_path / "t", "tidy")
    assert code == 0, out
    metadata = f"{index.base}/files/tidy/tidy-1.0-py3-none-any.whl.metadata"
    assert f"Obtaining dependency information for tidy from {metadata}" in out
    assert index.state.counters.get("index_files_total", source="upstream") == 2


async def test_a_flagged_release_is_not_found(index: Index, tmp_path: Path) -> None:
    code, out = await install(index, tmp_path / "t", "reqeusts")
    assert code != 0
    assert "No matching distribution found for reqeusts" in out
    assert index.state.counters.get("index_blocked_total", rule="policy") >= 1
    async with index.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT version, count FROM approval_requests")
    assert row is not None
    assert row["version"] is None  # the whole project is kept out


async def test_a_release_too_young_resolves_to_the_one_before(index: Index, tmp_path: Path) -> None:
    code, out = await install(index, tmp_path / "t", "fresh")
    assert code == 0, out
    assert (tmp_path / "t" / "fresh-1.0.dist-info").is_dir()
    code, out = await install(index, tmp_path / "u", "fresh==2.0")
    assert code != 0


async def test_an_approval_lifts_the_age_hold(index: Index, tmp_path: Path) -> None:
    code, out = await install(index, tmp_path / "t", "brandnew")
    assert code == 0, out
    await approve(index.pool, "fresh", "2.0", "approved")
    code, out = await install(index, tmp_path / "u", "fresh")
    assert code == 0, out
    assert (tmp_path / "u" / "fresh-2.0.dist-info").is_dir()


async def test_a_release_the_store_never_saw_passes_on_the_policy_once_old(
    index: Index, tmp_path: Path
) -> None:
    code, out = await install(index, tmp_path / "t", "unseen")
    assert code == 0, out


async def test_require_hashes_and_download(index: Index, tmp_path: Path) -> None:
    release = index.pypi.release("tidy", "1.0")
    assert release is not None
    wheel = next(f for f in release.files if f.filename.endswith(".whl"))
    digest = hashlib.sha256(wheel.blob.content).hexdigest()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"tidy==1.0 --hash=sha256:{digest}\n")
    code, out = await download(index, requirements, tmp_path / "d")
    assert code == 0, out
    assert (tmp_path / "d" / wheel.filename).read_bytes() == wheel.blob.content
    requirements.write_text(f"tidy==1.0 --hash=sha256:{'0' * 64}\n")
    code, out = await download(index, requirements, tmp_path / "e")
    assert code != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in out
    assert index.state.counters.get("index_files_total", source="cache") >= 1


async def test_a_blocked_file_asked_for_directly_is_403_with_the_reason(index: Index) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{index.base}/files/reqeusts/reqeusts-0.0.1-py3-none-any.whl"
        async with session.get(url) as response:
            assert response.status == 403
            text = await response.text()
        async with session.get(f"{index.base}/metrics") as response:
            metrics = await response.text()
    assert text.strip() == (
        "reqeusts 0.0.1 breaks the policy: our verdict is high (blocks at medium)"
    )
    assert 'index_blocked_total{rule="policy"} 1' in metrics


async def test_pep_691_json_when_asked(index: Index) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Accept": "application/vnd.pypi.simple.v1+json"}
        async with session.get(f"{index.simple}fresh/", headers=headers) as response:
            assert response.headers["Content-Type"].startswith(
                "application/vnd.pypi.simple.v1+json"
            )
            page = await response.json(content_type=None)
        async with session.get(f"{index.simple}Fresh/", allow_redirects=False) as response:
            assert response.status == 301
            assert response.headers["Location"] == "/simple/fresh/"
        headers = {"Accept": "text/html;q=0.5, application/vnd.pypi.simple.v1+html"}
        async with session.get(f"{index.simple}fresh/", headers=headers) as response:
            assert response.headers["Content-Type"].startswith(
                "application/vnd.pypi.simple.v1+html"
            )
            assert 'data-core-metadata="sha256=' in await response.text()
    assert page["versions"] == ["1.0"]
    (wheel,) = (f for f in page["files"] if f["filename"].endswith(".whl"))
    assert wheel["url"] == "/files/fresh/fresh-1.0-py3-none-any.whl"
    assert set(wheel) >= {"core-metadata", "hashes", "size", "upload-time", "yanked"}


async def test_thousands_of_files_resolve_to_the_newest_allowed_release(
    index: Index, tmp_path: Path
) -> None:
    """1,500 old releases of two files each and a young one on top: a page the size of a big
    project's. Only the release pip picks needs real archives; the rest are named, not built."""
    for n in range(1500):
        upload = index.pypi.upload("many", f"1.{n}", timestamp=OLD)
        if n < 1499:
            for stored in upload.files:
                stored.serve(f"{stored.filename}: listed, never downloaded\n".encode())
    index.pypi.upload("many", "2.0", timestamp=YOUNG)
    code, out = await install(index, tmp_path / "t", "many")
    assert code == 0, out
    assert (tmp_path / "t" / "many-1.1499.dist-info").is_dir()
    assert index.state.counters.get("index_blocked_total", rule="age") >= 1  # 2.0, an hour old
    assert index.state.counters.get("index_files_total", source="upstream") == 2  # metadata, wheel
    headers = {"Accept": "application/vnd.pypi.simple.v1+json"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(f"{index.simple}many/") as response,
    ):
        page = await response.json(content_type=None)
    assert (len(page["versions"]), len(page["files"])) == (1500, 3000)
