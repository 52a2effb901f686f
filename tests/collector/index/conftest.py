"""A stand-in PyPI (or an HTML-only mirror of one) with a few uploads, a store with verdicts on
them, and the index in front; the clients that install through it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from analysis.policy import Policy
from collector.index.app import IndexState, make_app
from collector.index.cache import FileCache
from collector.pypi.http import Http, PyPIUrls, new_session
from standin import StandInPyPI
from tests.collector.index.mirror import HtmlMirror
from tests.collector.pipeline.conftest import pool, standin

__all__ = ["pool", "standin"]

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=10)
YOUNG = NOW - timedelta(hours=1)
WHEELS = ("--only-binary", ":all:", "--no-deps")  # nothing is built, nothing runs


@dataclass
class Index:
    base: str
    state: IndexState
    pypi: StandInPyPI  # the registry upstream serves from
    pool: asyncpg.Pool
    runner: web.AppRunner

    @property
    def simple(self) -> str:
        return f"{self.base}/simple/"


async def store_release(
    pool: asyncpg.Pool, project: str, version: str, severity: str | None, uploaded_at: datetime
) -> None:
    """A release as the collector leaves it after analysis (None: seen, not analysed yet)."""
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO projects (normalized, name) VALUES ($1, $1) ON CONFLICT DO NOTHING",
            project,
        )
        await conn.execute(
            """
            INSERT INTO releases (project, version, first_seen_source, uploaded_at, fetched_at,
                                  risk_severity, metadata)
            VALUES ($1, $2, 'changelog', $3, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END,
                    $4::severity, '{"metadata": {"license_expression": "MIT"}}')
            """,
            project,
            version,
            uploaded_at,
            severity,
        )


async def approve(pool: asyncpg.Pool, project: str, version: str | None, decision: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO approvals (project, version, decision, actor, reason) "
            "VALUES ($1, $2, $3, 'alice', 'reviewed the diff')",
            project,
            version,
            decision,
        )


async def publish(pypi: StandInPyPI, pool: asyncpg.Pool) -> None:
    """Uploads: `tidy` (clean, old), `reqeusts` (flagged high), `fresh` (1.0 old and clean, 2.0
    an hour old), `brandnew` (an hour old, approved), `unseen` (old, never stored)."""
    pypi.upload("tidy", "1.0", timestamp=OLD)
    pypi.upload("reqeusts", "0.0.1", timestamp=OLD)
    pypi.upload("fresh", "1.0", timestamp=OLD)
    pypi.upload("fresh", "2.0", timestamp=YOUNG)
    pypi.upload("brandnew", "0.1", timestamp=YOUNG)
    pypi.upload("unseen", "3.0", timestamp=OLD)
    for project, version, severity, when in [
        ("tidy", "1.0", "low", OLD),
        ("reqeusts", "0.0.1", "high", OLD),
        ("fresh", "1.0", "info", OLD),
        ("fresh", "2.0", "info", YOUNG),
        ("brandnew", "0.1", "info", YOUNG),
    ]:
        await store_release(pool, project, version, severity, when)
    await approve(pool, "brandnew", None, "approved")


@contextlib.asynccontextmanager
async def index_before(
    pypi: StandInPyPI,
    upstream: str,
    pool: asyncpg.Pool,
    cache: Path,
    *,
    handler_cancellation: bool = False,
) -> AsyncIterator[Index]:
    """The index in front of `upstream`, run as `serve_index` runs it (an AppRunner: a client
    that goes away does not cancel its handler, unless asked)."""
    async with new_session(timeout=30.0) as session:
        state = IndexState(
            pool, Http(session), PyPIUrls(upstream), Policy(), FileCache(cache, 10**7)
        )
        runner = web.AppRunner(
            make_app(state), access_log=None, handler_cancellation=handler_cancellation
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            yield Index(f"http://{host}:{port}", state, pypi, pool, runner)
        finally:
            await runner.cleanup()


@pytest.fixture
async def index(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[Index]:
    """The index in front of the stand-in PyPI, with the uploads `publish` makes."""
    pypi, base = standin
    await publish(pypi, pool)
    async with index_before(pypi, base, pool, tmp_path / "cache") as index:
        yield index


@pytest.fixture
async def mirror() -> AsyncIterator[tuple[HtmlMirror, str]]:
    """An upstream that serves PEP 503 HTML only, from its own stand-in registry."""
    served = HtmlMirror(StandInPyPI())
    server = TestServer(served.app(), host="127.0.0.1")
    await server.start_server()
    yield served, str(server.make_url("")).rstrip("/")
    served.resume.set()  # a file still held lets go, so the server can close
    await server.close()


@pytest.fixture
async def html_index(
    mirror: tuple[HtmlMirror, str], pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[Index]:
    """The index in front of the HTML-only mirror, with the uploads `publish` makes."""
    served, base = mirror
    await publish(served.pypi, pool)
    async with index_before(served.pypi, base, pool, tmp_path / "cache") as index:
        yield index


async def pip(*args: str) -> tuple[int, str]:
    """Run the test venv's real pip, isolated from any pip configuration on this machine."""
    quiet = ("--isolated", "--disable-pip-version-check", "--no-cache-dir", "--no-input")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pip",
        *quiet,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def install(index: Index, target: Path, *requirements: str) -> tuple[int, str]:
    return await pip(
        "install", "--index-url", index.simple, *WHEELS, "--target", str(target), *requirements
    )


async def uv(*args: str, cwd: Path) -> tuple[int, str]:
    """Run uv from the test venv, isolated from any uv configuration or index on this machine
    and from the network beyond the index it is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env |= {"UV_NO_CONFIG": "1", "UV_PYTHON": sys.executable, "UV_PYTHON_DOWNLOADS": "never"}
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("uv")),
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def uv_install(index: Index, target: Path, *requirements: str) -> tuple[int, str]:
    isolated = ("--no-config", "--no-cache", "--no-deps", "--only-binary", ":all:")
    args = ("pip", "install", *isolated, "--index-url", index.simple, "--target", str(target))
    return await uv(*args, *requirements, cwd=target.parent)
