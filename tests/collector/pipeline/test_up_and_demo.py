"""`up` (collector + dashboard against PyPI) and `demo` (the whole system offline), run as a user runs them."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from standin import StandInPyPI
from tests.collector.pipeline.conftest import cli_environment
from tests.conftest import CLI
from tests.servers import first_answer, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


async def _dashboard_healthy(port: int, seconds: float = 60.0) -> bool:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds * 4)):
            try:
                async with session.get(f"http://127.0.0.1:{port}/_stcore/health") as response:
                    if response.status == 200 and (await response.text()).strip() == "ok":
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    return False


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    quiet = {"PYPI_SENTINEL_HTTP_PORT": "0", "PYPI_SENTINEL_INDEX_PORT": "0", **extra}
    return cli_environment(None, None, tmp_path / "home", **quiet)


async def test_up_runs_the_collector_and_the_dashboard_and_stops_both(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    port, index_port = free_port(), free_port()
    env = _env(
        tmp_path,
        PYPI_SENTINEL_DATABASE_URL=database_url,
        PYPI_SENTINEL_PYPI_URL=base,
        PYPI_SENTINEL_INDEX_PORT=str(index_port),
        PYPI_SENTINEL_CHANGELOG_INTERVAL="0.5",
        PYPI_SENTINEL_TOP_PACKAGES_URL=f"{base}/top-pypi-packages.min.json",
        PYPI_SENTINEL_OSV_SOURCE=f"{base}/osv/PyPI/all.zip",
    )
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "up",
        "--port",
        str(port),
        "--since-serial",
        str(pypi.last_serial),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert await _dashboard_healthy(port), "the dashboard never answered"
        pypi.upload("arrives-while-up", "1.0")
        conn = await asyncpg.connect(database_url)
        try:
            for _ in range(120):
                if await conn.fetchval(
                    "SELECT count(*) FROM releases WHERE project='arrives-while-up' AND fetched_at IS NOT NULL"
                ):
                    break
                await asyncio.sleep(0.25)
            else:
                pytest.fail("the collector did not store the upload")
        finally:
            await conn.close()
        # The vetted index runs beside them: the new upload is listed by nobody yet (too young)
        # and its file is refused with the reason.
        index = f"http://127.0.0.1:{index_port}"
        status, page = await first_answer(f"{index}/simple/arrives-while-up/")
        assert status == 200
        assert "arrives_while_up-1.0" not in page
        status, reason = await first_answer(
            f"{index}/files/arrives-while-up/arrives_while_up-1.0.tar.gz"
        )
        assert status == 403
        assert reason.startswith("arrives-while-up 1.0 is held: uploaded 0.")
        assert reason.strip().endswith("the policy waits 48 h")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert not await _dashboard_healthy(port, seconds=1.0)  # the dashboard went with it
    with pytest.raises(aiohttp.ClientError):  # and the index
        async with aiohttp.ClientSession() as session:
            await session.get(f"{index}/simple/")
    conn = await asyncpg.connect(database_url)
    try:  # the blocks were counted in the store on the way out
        blocks = await conn.fetch("SELECT project, version, rule, kind, count FROM index_blocks")
    finally:
        await conn.close()
    assert {(b["kind"], b["rule"]) for b in blocks} == {("listing", "age"), ("download", "age")}


async def test_demo_shows_the_whole_system_offline(tmp_path: Path) -> None:
    port, http_port, index_port = free_port(), free_port(), free_port()
    env = _env(
        tmp_path, PYPI_SENTINEL_HTTP_PORT=str(http_port), PYPI_SENTINEL_INDEX_PORT=str(index_port)
    )
    proc = await asyncio.create_subprocess_exec(  # this checkout's code, whatever is installed
        sys.executable,
        "-m",
        "collector",
        "demo",
        "--port",
        str(port),
        "--duration",
        "30",
        "--backfill",
        "40",
        "--rate",
        "60",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert await _dashboard_healthy(port), "the demo's dashboard never answered"
    status, _ = await first_answer(
        f"http://127.0.0.1:{http_port}/healthz"
    )  # the feed server runs too
    assert status in (200, 503)
    status, feed = await first_answer(f"http://127.0.0.1:{http_port}/feed.atom")
    assert status == 200
    assert feed.startswith("<?xml")
    status, _ = await first_answer(f"http://127.0.0.1:{index_port}/simple/")  # and the vetted index
    assert status == 200
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    text = err.decode()
    assert proc.returncode == 0, text[-2000:]
    assert "password: demo" in text
    assert f"feed:      http://127.0.0.1:{http_port}/feed.atom" in text
    assert f"index:     http://127.0.0.1:{index_port}/simple/" in text
    status = await asyncio.create_subprocess_exec(
        CLI,
        "--home",
        str(tmp_path / "home" / "demo"),
        "status",
        "--format",
        "json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await status.communicate()
    counts = json.loads(out)["counts"]
    assert counts["releases_analysed"] >= 40  # the backfill and the live uploads
    assert counts["findings"] > 0  # typosquats and suspicious uploads were found
