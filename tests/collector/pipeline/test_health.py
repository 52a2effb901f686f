"""Collection that fails says so everywhere: /healthz, `status` (text, JSON, exit code) and the
dashboard's queries, driven by a real follower against the stand-in PyPI with its changelog
failing."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.config import Settings
from collector.errors import UpstreamError
from collector.health import FAILING_AFTER, SourceProblem, check_sources
from collector.store.health import fetch_source_health
from collector.web import make_app
from dashboard import queries
from standin import StandInPyPI
from standin.faults import Fault
from tests.collector.pipeline.conftest import CollectorFactory, cli_environment

ROOT = Path(__file__).resolve().parents[3]


async def status_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """`pypi-sentinel status` from this checkout, as a user runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "collector",
        "status",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def healthz(pool: asyncpg.Pool, settings: Settings) -> tuple[int, dict[str, Any]]:
    async with TestClient(TestServer(make_app(pool, settings))) as client:
        response = await client.get("/healthz")
        return response.status, await response.json()


async def problems(pool: asyncpg.Pool) -> list[SourceProblem]:
    async with pool.acquire() as conn:
        return check_sources(await fetch_source_health(conn))


async def wait_recorded(pool: asyncpg.Pool, source: str) -> None:
    for _ in range(300):
        async with pool.acquire() as conn:
            failures = await conn.fetchval(
                "SELECT consecutive_failures FROM collector_health WHERE source = $1", source
            )
        if failures:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"no failure of {source} was recorded within 30 s")


async def test_a_changelog_that_never_answered_is_a_problem_in_every_place(
    standin: tuple[StandInPyPI, str],
    pool: asyncpg.Pool,
    make_collector: CollectorFactory,
    database_url: str,
    tmp_path: Path,
) -> None:
    pypi, base = standin
    pypi.faults.add("xmlrpc", Fault.status(405), times=None)  # XML-RPC switched off upstream
    collector = make_collector()
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run_forever(stop))
    try:
        await wait_recorded(pool, "changelog")
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)

    settings = Settings(home=tmp_path / "home", database_url=database_url, pypi_url=base)
    code, body = await healthz(pool, settings)
    assert code == 503
    assert body["status"] == "fail"
    failing = {s["source"]: s for s in body["failing_sources"]}
    assert "HTTP 405" in failing["changelog"]["last_error"]
    assert failing["changelog"]["problem"].startswith("has never succeeded")
    assert "--xmlrpc off" in failing["changelog"]["advice"]
    assert any("changelog" in p and "--xmlrpc off" in p for p in body["problems"])

    env = cli_environment(database_url, base, tmp_path / "home")
    code, out, err = await status_cli(env, "--format", "json")
    assert code == 3, err
    status = json.loads(out)
    assert status["healthy"] is False
    changelog = status["sources"]["changelog"]
    assert changelog["last_success"] is None
    assert "HTTP 405" in changelog["last_error"]
    assert "--xmlrpc off" in changelog["advice"]
    code, out, _ = await status_cli(env)
    assert code == 3
    assert out.splitlines()[0].split() == ["health", "FAILING"]
    assert re.search(r"source changelog +has never succeeded .*HTTP 405", out), out
    assert "--xmlrpc off" in out

    health = await queries.fetch_health(pool)
    assert "changelog" in list(health.sources["source"])
    assert "changelog" in {p.source for p in health.problems}
    overview = await queries.fetch_overview(pool)
    assert "changelog" in {p.source for p in overview.health.problems}


async def test_a_changelog_that_keeps_failing_is_a_problem_and_one_success_clears_it(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    follower = make_collector().follower
    await follower.poll()
    pypi.faults.add("xmlrpc", Fault.status(502), times=None)
    for _ in range(FAILING_AFTER):
        assert await problems(pool) == []  # a bad moment or two is not an outage
        with pytest.raises(UpstreamError):
            await follower.poll()
    (problem,) = await problems(pool)
    assert (problem.source, problem.problem) == (
        "changelog",
        f"failed {FAILING_AFTER} times in a row",
    )
    assert "HTTP 502" in (problem.last_error or "")
    assert "--pypi-url" in problem.advice  # an outage, not XML-RPC switched off
    pypi.faults.clear()
    await follower.poll()
    assert await problems(pool) == []


async def test_switching_xmlrpc_off_sets_its_old_failures_aside(
    standin: tuple[StandInPyPI, str],
    pool: asyncpg.Pool,
    make_collector: CollectorFactory,
    database_url: str,
    tmp_path: Path,
) -> None:
    pypi, base = standin
    pypi.faults.add("xmlrpc", Fault.status(405), times=None)
    with pytest.raises(UpstreamError):
        await make_collector().follower.poll()
    assert {p.source for p in await problems(pool)} == {"changelog", "changelog-head"}
    collector = make_collector(xmlrpc=False)  # what the advice said to do
    try:
        await collector.run_once()
    finally:
        collector.close()
    assert await problems(pool) == []
    env = cli_environment(database_url, base, tmp_path / "home")
    code, out, err = await status_cli(env)
    assert code == 0, err
    assert "switched off (--xmlrpc off)" in out
    with pytest.raises(UpstreamError):  # switched on again, and still refused: failing again
        await make_collector().follower.poll()
    assert {p.source for p in await problems(pool)} == {"changelog", "changelog-head"}
    code, out, _ = await status_cli(env)
    assert code == 3
    assert "switched off" not in out
