"""The embedded Postgres: data persists, crashes leave nothing it cannot recover from, users share it."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import shutil
import signal
import site
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from collector.store.embedded import (
    EmbeddedPostgres,
    clear_stale_pidfile,
    is_postmaster,
    prune_dead_handles,
)

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pgdata() -> Iterator[Path]:
    """One data dir for this module (initdb is slow); each test leaves the server stopped."""
    root = Path(tempfile.mkdtemp(prefix="pge-"))
    yield root / "pg"
    shutil.rmtree(root, ignore_errors=True)


def _query(uri: str, sql: str) -> object:
    async def go() -> object:
        conn = await asyncpg.connect(uri)
        try:
            if ";" in sql:
                await conn.execute(sql)  # a script: several statements, no result
                return None
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(go())


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except FileNotFoundError:
        return None
    return pid if is_postmaster(pid, pgdata) else None


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not exit")


def test_data_survives_a_restart_and_the_last_user_stops_the_server(pgdata: Path) -> None:
    server = EmbeddedPostgres(pgdata)
    uri = server.start()
    _query(uri, "CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES ('hello')")
    pid = _postmaster_pid(pgdata)
    assert pid is not None
    server.stop()
    _wait_gone(pid)
    assert _postmaster_pid(pgdata) is None

    again = EmbeddedPostgres(pgdata)
    uri = again.start()
    try:
        assert _query(uri, "SELECT string_agg(v, ',') FROM kept") == "hello"
    finally:
        again.stop()


def test_stale_pidfile_naming_an_unrelated_live_process_is_cleared(pgdata: Path) -> None:
    # After a crash, the pid in postmaster.pid may belong to some other process by now.
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        pidfile = pgdata / "postmaster.pid"
        pidfile.write_text(f"{sleeper.pid}\n{pgdata}\n0\n5432\n{pgdata}\n\n0 0\nready\n")
        server = EmbeddedPostgres(pgdata)
        uri = server.start()
        try:
            assert _query(uri, "SELECT count(*) FROM kept") == 1
            assert _postmaster_pid(pgdata) not in (None, sleeper.pid)
        finally:
            server.stop()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_garbage_pidfile_is_cleared(pgdata: Path) -> None:
    (pgdata / "postmaster.pid").write_text("not a pid file")
    assert clear_stale_pidfile(pgdata)
    assert not (pgdata / "postmaster.pid").exists()
    assert not clear_stale_pidfile(pgdata)  # nothing left to clear


def test_start_after_the_server_was_killed(pgdata: Path) -> None:
    server = EmbeddedPostgres(pgdata)
    server.start()
    pid = _postmaster_pid(pgdata)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    server.stop()  # our handle is gone too; the server is dead already

    survivor = EmbeddedPostgres(pgdata)
    uri = survivor.start()
    try:
        assert _query(uri, "SELECT count(*) FROM kept") == 1  # crash recovery kept the data
    finally:
        survivor.stop()


def test_handles_of_dead_processes_are_forgotten(pgdata: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    (pgdata / ".handle_pids.json").write_text(json.dumps([dead.pid, os.getpid()]))
    assert prune_dead_handles(pgdata) == [dead.pid]
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == [os.getpid()]
    (pgdata / ".handle_pids.json").write_text("[]")


_HOLDER = """
import sys
from pathlib import Path
from collector.store.embedded import EmbeddedPostgres
server = EmbeddedPostgres(Path(sys.argv[1]))
print(server.start(), flush=True)
sys.stdin.readline()
server.stop()
print("left", flush=True)
"""


def test_two_processes_share_one_server(pgdata: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(pgdata)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder_uri = holder.stdout.readline().strip()
        assert holder_uri.startswith("postgresql://")
        pid = _postmaster_pid(pgdata)

        joiner = EmbeddedPostgres(pgdata)
        uri = joiner.start()
        assert _postmaster_pid(pgdata) == pid  # joined, not a second server

        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "left"
        assert holder.wait(timeout=30) == 0
    # The holder left but we still use the server: it must keep running.
    assert _query(uri, "SELECT count(*) FROM kept") == 1
    joiner.stop()
    assert pid is not None
    _wait_gone(pid)


_AS_USER = """
import asyncio, site, sys
site.addsitedir(sys.argv[1])
sys.path.insert(0, sys.argv[2])
from pathlib import Path
import asyncpg
from collector.store.embedded import EmbeddedPostgres
server = EmbeddedPostgres(Path(sys.argv[3]))
uri = server.start()
async def who():
    conn = await asyncpg.connect(uri)
    try:
        return await conn.fetchval("SELECT 41 + 1")
    finally:
        await conn.close()
print(asyncio.run(who()))
server.stop()
"""


def _world_traversable(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def test_runs_as_a_normal_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        # This whole suite already runs as a normal user; the server above proves it.
        server = EmbeddedPostgres(tmp_path / "pg")
        assert _query(server.start(), "SELECT 41 + 1") == 42
        server.stop()
        return
    system_python = Path("/usr/bin/python3.11")
    site_packages = Path(site.getsitepackages()[0])
    if not system_python.exists() or not _world_traversable(site_packages):
        pytest.skip("as root, needs /usr/bin/python3.11 and a venv other users can read")
    nobody = pwd.getpwnam("nobody")
    home = Path(tempfile.mkdtemp(prefix="pgn-"))
    try:
        (home / "run").mkdir()
        for path in (home, home / "run"):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run")}
        result = subprocess.run(
            [
                "runuser",
                "-u",
                "nobody",
                "--",
                str(system_python),
                "-c",
                _AS_USER,
                str(site_packages),
                str(REPO),
                str(home / "pg"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == "42"
        assert (home / "pg").stat().st_uid == nobody.pw_uid  # no user switch for a normal user
    finally:
        shutil.rmtree(home, ignore_errors=True)
