"""The embedded Postgres (pgserver) a new user gets when no database URL is configured.

pgserver starts Postgres from its bundled binaries in our data dir, reuses a running server, runs
it as the unprivileged `pgserver` user when we are root, and counts the processes using it in
`.handle_pids.json` so the last one out stops it. We add what a crash leaves behind: a
postmaster.pid naming a dead or unrelated process, and handle entries of processes that died.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

from collector.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

_HANDLES = ".handle_pids.json"  # pgserver's file of processes holding the server


def _pgserver() -> ModuleType:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset, and falls back to a per-user
    # folder under /tmp, which is fine for pgserver's lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver  # lazily: only the embedded path needs it

    module: ModuleType = pgserver
    return module


# pgserver keeps one server object per data dir and process; count our users of it so that one
# caller stopping does not pull the server from under another in the same process.
_users: dict[Path, int] = {}


class EmbeddedPostgres:
    """A pgserver instance in `pgdata`, shared by every process that points at the same folder."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.expanduser().resolve()
        self._server: Any = None

    @property
    def log_file(self) -> Path:
        return self.pgdata / "log"

    def start(self) -> str:
        """Start or join the server; return its connection URI (a unix socket)."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        pgserver = _pgserver()
        try:
            with _file_lock(self.pgdata.parent / ".pg.lock"):
                clear_stale_pidfile(self.pgdata)
                with pgserver.PostgresServer._lock:
                    prune_dead_handles(self.pgdata)
                self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
                _users[self.pgdata] = _users.get(self.pgdata, 0) + 1
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            raise DatabaseUnavailable(
                f"the embedded Postgres in {self.pgdata} did not start ({exc}); "
                f"its log is {self.log_file}"
            ) from exc
        uri: str = self._server.get_uri()
        log.debug("embedded Postgres ready in %s", self.pgdata)
        return uri

    def stop(self) -> None:
        """Leave the server; the last process to leave stops it."""
        if self._server is None:
            return
        server, self._server = self._server, None
        _users[self.pgdata] -= 1
        if _users[self.pgdata] == 0:
            del _users[self.pgdata]
            try:
                server.cleanup()
            except (psutil.Error, subprocess.SubprocessError, OSError) as exc:
                # The server died under us (killed, crashed); nothing is left to stop.
                log.warning("embedded Postgres was already gone when stopping: %s", exc)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise our own start-up checks between processes sharing one data dir."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def clear_stale_pidfile(pgdata: Path) -> bool:
    """Remove postmaster.pid when no postmaster of this data dir runs under its pid.

    After a crash the file survives; its pid may be dead or, worse, reused by another process,
    and then both pgserver and Postgres refuse to start. Returns True when the file was removed.
    """
    pidfile = pgdata / "postmaster.pid"
    try:
        first_line = pidfile.read_text().split("\n", 1)[0].strip()
    except FileNotFoundError:
        return False
    if first_line.isdigit() and is_postmaster(int(first_line), pgdata):
        return False
    log.warning(
        "removing stale %s (pid %s is not a Postgres of this data dir)", pidfile, first_line
    )
    pidfile.unlink(missing_ok=True)
    return True


def is_postmaster(pid: int, pgdata: Path) -> bool:
    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(pgdata) in process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Drop handle entries of processes that died without leaving; return the pids dropped."""
    path = pgdata / _HANDLES
    try:
        pids = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return []
    if not isinstance(pids, list):
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    dead = [pid for pid in pids if pid not in alive]
    if dead:
        path.write_text(json.dumps(alive))
        log.info("embedded Postgres: forgot %d handle(s) of exited processes", len(dead))
    return dead
