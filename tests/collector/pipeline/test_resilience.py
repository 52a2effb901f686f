"""Crashes and outages: kill -9 mid-batch, Postgres restarting under a running collector, SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import shlex
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from collector.store.database import create_pool, wait_until_lost
from collector.store.embedded import EmbeddedPostgres
from standin import StandInPyPI
from standin.faults import Fault
from tests.collector.pipeline.conftest import CollectorFactory, cli_environment
from tests.conftest import CLI

pytestmark = pytest.mark.slow


async def _count(pool_or_url: asyncpg.Pool | str, sql: str) -> int:
    if isinstance(pool_or_url, str):
        conn = await asyncpg.connect(pool_or_url)
        try:
            return int(await conn.fetchval(sql))
        finally:
            await conn.close()
    async with pool_or_url.acquire() as conn:
        return int(await conn.fetchval(sql))


async def _resume_exactly(
    database_url: str, env: dict[str, str], pypi: StandInPyPI, start: int, *, releases: int
) -> None:
    """A second `run --once` stores every event after `start` once, moves the cursor to PyPI's
    head, fetches `releases` releases and leaves no job undone."""
    again = await asyncio.create_subprocess_exec(
        CLI, "run", "--once", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await again.communicate()
    assert again.returncode == 0, err.decode()[-2000:]
    journal = sum(1 for e in pypi.journal if e.serial > start)
    assert await _count(database_url, "SELECT count(*) FROM changelog_events") == journal
    assert (
        await _count(database_url, "SELECT count(DISTINCT serial) FROM changelog_events") == journal
    )
    assert (
        await _count(database_url, "SELECT serial FROM collector_cursor WHERE name='changelog'")
        == pypi.last_serial
    )
    assert (
        await _count(database_url, "SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL")
        == releases
    )
    assert await _count(database_url, "SELECT count(*) FROM jobs WHERE state <> 'done'") == 0


def _env(database_url: str, base: str, home: Path) -> dict[str, str]:
    return cli_environment(
        database_url,
        base,
        home,
        PYPI_SENTINEL_CHANGELOG_INTERVAL="0.2",
        PYPI_SENTINEL_RSS_INTERVAL="0.5",
        PYPI_SENTINEL_LOG_LEVEL="WARNING",
        PYPI_SENTINEL_HTTP_PORT="0",
    )


async def test_kill_9_mid_batch_then_restart_stores_every_event_exactly_once(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    start = pypi.last_serial
    for i in range(400):
        pypi.upload(f"bulk{i}", "1.0")  # ~2,000 events: 40 pages of 50
    env = _env(database_url, base, tmp_path / "home")
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "run",
        "--since-serial",
        str(start),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(600):  # wait until it is part-way through the changelog
            cursor = await _count(
                database_url,
                "SELECT coalesce(max(serial), 0) FROM collector_cursor WHERE name='changelog'",
            )
            if start + 300 < cursor < pypi.last_serial:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the collector never got part-way")
    finally:
        proc.kill()  # SIGKILL: no cleanup of any kind
        await proc.wait()
    assert cursor < pypi.last_serial
    await _resume_exactly(database_url, env, pypi, start, releases=400)


_PART_WAY = {
    # the changelog catch-up: the cursor is past some events, short of PyPI's head
    "changelog": "SELECT count(*) FROM collector_cursor WHERE name = 'changelog' "
    "AND serial > {start} + 300 AND serial < {last}",
    # reading the files, in reader processes that see the Ctrl-C too
    "files": "SELECT count(*) > 20 FROM jobs WHERE kind = 'artifact' AND state = 'done'",
}


@pytest.mark.parametrize("phase", sorted(_PART_WAY))
async def test_ctrl_c_during_run_once_stops_with_130_and_the_next_run_resumes_exactly(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path, phase: str
) -> None:
    pypi, base = standin
    start = pypi.last_serial
    for i in range(200):
        pypi.upload(f"bulk{i}", "1.0")  # ~1,000 events and 400 files
    env = {**_env(database_url, base, tmp_path / "home"), "PYPI_SENTINEL_INSPECT": "on"}
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "run",
        "--once",
        "--since-serial",
        str(start),
        env=env,
        start_new_session=True,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    part_way = _PART_WAY[phase].format(start=start, last=pypi.last_serial)
    try:
        for _ in range(3000):
            if await _count(database_url, part_way):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail(f"the run never got part-way through the {phase}")
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to every process of it
        _, err = await asyncio.wait_for(proc.communicate(), 15)  # a bound, not a measurement
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 130, err.decode()[-2000:]
    assert "Traceback" not in err.decode(), err.decode()[-3000:]
    assert await _count(database_url, "SELECT count(*) FROM jobs WHERE state = 'running'") == 0, (
        "the jobs in flight are handed back, not left leased by a process that is gone"
    )
    assert await _count(database_url, "SELECT count(*) FROM jobs WHERE state <> 'done'") > 0, (
        "it stopped part-way, not after finishing"
    )

    await _resume_exactly(database_url, env, pypi, start, releases=200)
    assert await _count(database_url, "SELECT count(*) FROM jobs WHERE kind = 'artifact'") == 400
    assert (
        await _count(database_url, "SELECT count(*) FROM files WHERE inspection = 'inspected'")
        == 400
    )


async def test_sigterm_stops_cleanly(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    env = {**_env(database_url, base, tmp_path / "home"), "PYPI_SENTINEL_LOG_LEVEL": "INFO"}
    proc = await asyncio.create_subprocess_exec(CLI, "run", env=env, stderr=asyncio.subprocess.PIPE)
    for _ in range(200):
        if await _count(database_url, "SELECT count(*) FROM collector_cursor"):
            break
        await asyncio.sleep(0.05)
    pypi.upload("during", "1.0")
    await asyncio.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "stopped cleanly" in err.decode()
    assert await _count(database_url, "SELECT count(*) FROM jobs WHERE state = 'running'") == 0


@pytest.fixture
async def own_server() -> AsyncIterator[tuple[EmbeddedPostgres, str]]:
    root = Path(tempfile.mkdtemp(prefix="pgr-"))
    server = EmbeddedPostgres(root / "pg")
    uri = server.start()
    yield server, uri
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _pg_ctl(server: EmbeddedPostgres, *command: str) -> None:
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", *command], pgdata=server.pgdata, user=user)


def _restart(server: EmbeddedPostgres) -> None:
    _pg_ctl(server, "-m", "fast", "restart")


def _start_again(server: EmbeddedPostgres) -> None:
    """Start a server stopped by a test with the options it ran with (socket dir and all),
    for the fixture to stop as usual."""
    if (server.pgdata / "postmaster.pid").exists():
        return
    command = shlex.split((server.pgdata / "postmaster.opts").read_text())
    _pg_ctl(server, "start", "-o", shlex.join(command[3:]))  # all but postgres -D DIR


async def test_postgres_restart_while_running_reconnects_and_continues(
    standin: tuple[StandInPyPI, str],
    own_server: tuple[EmbeddedPostgres, str],
    make_collector: CollectorFactory,
) -> None:
    from collector.store.migrate import upgrade

    pypi, _ = standin
    server, uri = own_server
    conn = await asyncpg.connect(uri)
    await upgrade(conn)
    await conn.close()
    pool = await create_pool(uri, "restart test", max_size=8)
    collector = make_collector(pool_override=pool, dsn=uri)
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run_forever(stop, since_serial=pypi.last_serial))
    try:
        pypi.upload("before-restart", "1.0")
        await _wait_stored(pool, "before-restart")
        await asyncio.to_thread(_restart, server)
        pypi.upload("after-restart", "1.0")
        await _wait_stored(pool, "after-restart")
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await pool.close()


async def _wait_stored(pool: asyncpg.Pool, project: str) -> None:
    for _ in range(300):
        try:
            n = await _count(
                pool,
                f"SELECT count(*) FROM releases WHERE project='{project}' AND fetched_at IS NOT NULL",
            )
            if n:
                return
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the server is restarting
        await asyncio.sleep(0.1)
    pytest.fail(f"{project} was not stored within 30 s")


async def test_a_backfill_shows_its_progress_on_a_terminal_only(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    start = pypi.last_serial
    for i in range(150):
        pypi.upload(f"bulk{i}", "1.0")
    # One slow page keeps the analysis going a few progress ticks after the changelog is read
    # (without it a fast machine finished before the first tick, and no line was drawn).
    pypi.faults.add("release_json", Fault.delay(3.0), times=1, project="bulk149")
    env = {**_env(database_url, base, tmp_path / "home"), "PYPI_SENTINEL_INSPECT": "on"}
    leader, follower = pty.openpty()
    try:
        proc = await asyncio.create_subprocess_exec(
            CLI,
            "run",
            "--once",
            "--since-serial",
            str(start),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=follower,
        )
        await asyncio.wait_for(proc.wait(), 300)  # a bound, not a measurement
        os.set_blocking(leader, False)
        shown = os.read(leader, 65536).decode(errors="replace")
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 0, shown[-2000:]
    assert f"changelog: serial {pypi.last_serial} / {pypi.last_serial}" in shown, shown[-2000:]
    assert re.search(r"analysed \d+/\d+ releases and files", shown), shown[-2000:]
    assert "\r\x1b[Kcaught up to serial" in shown, "the line is cleared before the summary"

    piped = await asyncio.create_subprocess_exec(
        CLI,
        "run",
        "--once",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await piped.communicate()
    assert piped.returncode == 0
    assert "analysed" not in err.decode(), "no progress line in a log or a pipe"


async def test_waiting_for_a_lost_database_rides_out_a_restart_but_not_an_outage(
    own_server: tuple[EmbeddedPostgres, str],
) -> None:
    server, uri = own_server
    lost = asyncio.create_task(wait_until_lost(uri, patience=3.0, every=0.2))
    try:
        await asyncio.to_thread(_restart, server)
        await asyncio.sleep(1.0)
        assert not lost.done(), "a restart is not an outage"
        await asyncio.to_thread(_pg_ctl, server, "-m", "fast", "stop")
        began = asyncio.get_running_loop().time()
        reason = await asyncio.wait_for(lost, 30)
        assert asyncio.get_running_loop().time() - began >= 2.5  # patience, less a probe
        assert reason.startswith("no answer for 3 s (")
    finally:
        lost.cancel()
        await asyncio.to_thread(_start_again, server)


async def test_run_once_exits_3_in_one_line_when_the_database_stays_away(
    standin: tuple[StandInPyPI, str],
    own_server: tuple[EmbeddedPostgres, str],
    tmp_path: Path,
) -> None:
    """It used to retry claims forever with asyncpg's tracebacks on stderr: a script waiting for
    `run --once` waited for ever, and was never told the database was the trouble."""
    pypi, base = standin
    server, uri = own_server
    start = pypi.last_serial
    pypi.upload("slow", "1.0")  # PyPI keeps failing it: the run waits for its retries
    pypi.faults.add("release_json", Fault.status(503), times=None, project="slow")
    env = cli_environment(uri, base, tmp_path / "home", PYPI_SENTINEL_DATABASE_PATIENCE="2")
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "run",
        "--once",
        "--since-serial",
        str(start),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(300):
            with contextlib.suppress(asyncpg.UndefinedTableError):  # not migrated yet
                if await _count(uri, "SELECT count(*) FROM jobs WHERE attempts > 0"):
                    break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(_pg_ctl, server, "-m", "fast", "stop")
        _, err = await asyncio.wait_for(proc.communicate(), 60)  # a bound, not a measurement
    finally:
        if proc.returncode is None:
            proc.kill()
        await asyncio.to_thread(_start_again, server)
    text = err.decode()
    assert proc.returncode == 3, text[-2000:]
    last = text.strip().splitlines()[-1]
    assert last.startswith("pypi-sentinel: database unavailable during the catch-up: no answer")
    assert "the next run resumes there" in last
    assert "Traceback" not in text
