"""`pypi-sentinel index` run as a user runs it: it serves, refuses what fails, and on SIGTERM
stops cleanly with its block counts saved; a port it cannot use is one line and exit 2."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import socket
from pathlib import Path

import asyncpg
import pytest

from collector.index.server import flush_blocks
from standin import StandInPyPI
from tests.collector.index.conftest import OLD, Index, store_release
from tests.collector.pipeline.conftest import cli_environment, run_cli
from tests.conftest import CLI
from tests.servers import first_answer, free_port

pytestmark = pytest.mark.slow


async def test_the_command_serves_refuses_and_saves_its_counts_at_stop(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("reqeusts", "0.0.1", timestamp=OLD)
    await store_release(pool, "reqeusts", "0.0.1", "high", OLD)
    port = free_port()
    env = cli_environment(database_url, base, tmp_path / "home", PYPI_SENTINEL_INDEX_PORT=str(port))
    proc = await asyncio.create_subprocess_exec(
        CLI, "index", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        status, _ = await first_answer(f"http://127.0.0.1:{port}/simple/")
        assert status == 200
        status, text = await first_answer(
            f"http://127.0.0.1:{port}/files/reqeusts/reqeusts-0.0.1-py3-none-any.whl"
        )
        assert (status, text.strip()) == (
            403,
            "reqeusts 0.0.1 breaks the policy: our verdict is high (blocks at medium)",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert f"vetted index on http://127.0.0.1:{port}/simple/" in err.decode()
    async with pool.acquire() as conn:
        saved = await conn.fetch("SELECT project, version, rule, kind, count FROM index_blocks")
    assert [tuple(r) for r in saved] == [("reqeusts", "0.0.1", "policy", "download", 1)]


async def test_a_port_in_use_or_zero_is_one_line_and_exit_2(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = cli_environment(database_url, None, tmp_path / "home")
        code, _, err = await run_cli(env, "index", "--index-port", str(port))
    assert code == 2
    assert err.count("\n") == 1
    assert f"--index-port {port}: cannot listen" in err
    code, _, err = await run_cli(env, "index", "--index-port", "0")
    assert (code, err.count("\n")) == (2, 1)
    assert "--index-port 0 turns the index off" in err


async def test_counts_wait_while_the_store_is_away(index: Index, database_url: str) -> None:
    away = await asyncpg.create_pool(database_url, min_size=0, max_size=1)
    await away.close()
    state = dataclasses.replace(index.state, pool=away)
    state.blocks.add("reqeusts", "0.0.1", "policy", "download")
    await flush_blocks(state)  # logged, not raised
    assert list(state.blocks.counts.values()) == [1]
    await flush_blocks(dataclasses.replace(state, pool=index.pool))
    assert not state.blocks.counts
    async with index.pool.acquire() as conn:
        assert await conn.fetchval("SELECT sum(count) FROM index_blocks") == 1
