"""A stand-in PyPI on a real local port, and a collector wired to it and to a fresh database."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from collector.config import Settings
from collector.pipeline.analyzer import Analyzer, NoChecks
from collector.pipeline.processor import RetryPolicy
from collector.pipeline.runner import Collector
from collector.pypi.http import Http
from collector.store.database import create_pool
from standin import StandInPyPI
from tests.conftest import CLI

FAST_RETRIES = RetryPolicy(base=0.05, cap=0.2, recheck_after=0.05, rechecks=1)


@dataclass
class Sleeps:
    """An injected sleep: records every wait and waits only a token amount."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


@pytest.fixture
async def standin() -> AsyncIterator[tuple[StandInPyPI, str]]:
    pypi = StandInPyPI(page_size=50)
    server = TestServer(pypi.app(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    pypi.base_url = base
    yield pypi, base
    await server.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "test", max_size=12)
    yield pool
    await pool.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as session:
        yield session


CollectorFactory = Callable[..., Collector]


@pytest.fixture
def make_collector(
    standin: tuple[StandInPyPI, str],
    pool: asyncpg.Pool,
    session: aiohttp.ClientSession,
    database_url: str,
    tmp_path: Path,
) -> CollectorFactory:
    _, base = standin

    def make(
        analyzer: Analyzer | None = None,
        sleep: Sleeps | None = None,
        pool_override: asyncpg.Pool | None = None,
        dsn: str | None = None,
        **overrides: object,
    ) -> Collector:
        settings = Settings(
            home=tmp_path / "home",
            database_url=database_url,
            pypi_url=base,
            changelog_interval=0.2,
            rss_interval=0.2,
            workers=4,
            inspect=False,  # file inspection has its own tests (test_artifacts.py)
            inspect_processes=1,
        ).replace(**overrides)
        return Collector(
            settings,
            pool_override or pool,
            dsn or database_url,
            Http(session),
            analyzer or NoChecks(),
            sleep=sleep or Sleeps(),
            retry_policy=FAST_RETRIES,
        )

    return make


def cli_environment(
    database_url: str | None, base: str | None, home: Path, **extra: str
) -> dict[str, str]:
    """The environment for running the installed command against a test database and stand-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPI_SENTINEL_")}
    env["PYPI_SENTINEL_HOME"] = str(home)
    if database_url:
        env["PYPI_SENTINEL_DATABASE_URL"] = database_url
    if base:
        env["PYPI_SENTINEL_PYPI_URL"] = base
        env["PYPI_SENTINEL_TOP_PACKAGES_URL"] = f"{base}/top-pypi-packages.min.json"
        env["PYPI_SENTINEL_OSV_SOURCE"] = f"{base}/osv/PyPI/all.zip"
    env.update(extra)
    return env


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run `pypi-sentinel ARGS...` to completion: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        CLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
