"""`pypi-sentinel up`: the main job, the collector and the dashboard together, against PyPI.

The dashboard runs as a child process sharing the database (the embedded one too); if it dies it
is restarted, and SIGTERM/SIGINT stops both cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Callable
from typing import Any

from collector.arguments import non_negative_int, port
from collector.commands.dashboard import (
    DEFAULT_ADDRESS,
    DEFAULT_PORT,
    start_dashboard,
    stop_dashboard,
)
from collector.commands.run import follow, stop_on_signals
from collector.config import Settings
from collector.index.server import index_beside
from collector.store.changelog import load_cursor
from collector.store.database import open_database

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "up", help="run the collector, the dashboard and the vetted index together (the main job)"
    )
    add_dashboard_flags(parser)
    parser.add_argument(
        "--since-serial",
        type=non_negative_int,
        metavar="N",
        help="with no saved cursor, start after serial N instead of at PyPI's head",
    )
    parser.set_defaults(handler=run)
    return parser


def add_dashboard_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--address", default=DEFAULT_ADDRESS, help=f"dashboard address (default {DEFAULT_ADDRESS})"
    )
    parser.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"dashboard port (default {DEFAULT_PORT})"
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=settings.workers + 6) as db:
        async with db.pool.acquire() as conn:
            cursor = await load_cursor(conn)
        log.info("%s", start_message(settings, cursor, args.since_serial))
        stop = asyncio.Event()
        stop_on_signals(stop)
        async with index_beside(settings, db.pool):
            await with_dashboard(
                settings,
                args.address,
                args.port,
                stop,
                lambda: follow(settings, db, stop, args.since_serial),
            )
    return 0


def start_message(settings: Settings, cursor: int | None, since_serial: int | None) -> str:
    """Where following starts, so an empty dashboard on the first day is expected, not alarming."""
    if cursor is not None:
        start = f"resuming from changelog serial {cursor}"
    elif since_serial is not None:
        start = f"starting after changelog serial {since_serial}"
    else:
        start = (
            "starting at PyPI's current position: only uploads published from now on are "
            "checked, so the dashboard stays empty until the first flagged one arrives "
            "(--since-serial N starts earlier)"
        )
    where = (
        f"http://{settings.http_host}:{settings.http_port}/healthz and "
        if settings.http_port
        else ""
    )
    return f"{start}; if collecting fails, {where}`pypi-sentinel status` say why"


async def with_dashboard(
    settings: Settings,
    address: str,
    port: int,
    stop: asyncio.Event,
    main: Callable[[], Any],
) -> None:
    """Run `main()` with the dashboard beside it, restarted if it dies, stopped at the end."""
    keeper = DashboardKeeper(settings, address, port)
    watcher = asyncio.create_task(keeper.keep(stop))
    try:
        await main()
    finally:
        stop.set()
        await watcher
        await asyncio.to_thread(keeper.stop)


class DashboardKeeper:
    def __init__(self, settings: Settings, address: str, port: int) -> None:
        self.settings, self.address, self.port = settings, address, port
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    async def keep(self, stop: asyncio.Event) -> None:
        delay = 1.0
        while not stop.is_set():
            if self.process is None or self.process.poll() is not None:
                if self.process is not None:
                    self.restarts += 1
                    log.warning(
                        "the dashboard exited (%s); restarting in %.0fs",
                        self.process.returncode,
                        delay,
                    )
                    await _wait(stop, delay)
                    delay = min(60.0, delay * 2)
                    if stop.is_set():
                        break
                self.process = start_dashboard(self.settings, self.address, self.port)
            await _wait(stop, 1.0)

    def stop(self) -> None:
        if self.process is not None:
            stop_dashboard(self.process)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
