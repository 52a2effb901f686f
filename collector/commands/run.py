"""`pypi-sentinel run`: follow PyPI forever (stops cleanly on SIGTERM/SIGINT), or `--once`.

`--once` interrupted (Ctrl-C, SIGTERM) stops within seconds with exit 130 (143 for SIGTERM): the jobs in flight are
cancelled (their transactions roll back) and handed back, and the changelog cursor only ever
moved with what it covers, so the next run resumes exactly there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

import aiohttp

from collector import web
from collector.alerts.outbox import OutboxWriter
from collector.alerts.service import apply_env_subscriptions, build_sender
from collector.arguments import non_negative_int
from collector.commands.status import failing_job_json
from collector.config import Settings
from collector.errors import DatabaseUnavailable
from collector.osv import refresh_osv
from collector.output import OutputFormat, add_format_flag, print_json
from collector.pipeline.engine import load_engine, refresh_engine
from collector.pipeline.runner import Collector, OnceResult
from collector.progress import Progress
from collector.pypi.http import Http, new_session
from collector.store.changelog import load_cursor
from collector.store.database import DB_ERRORS, Database, open_database, wait_until_lost
from collector.store.jobs import ErrorClass, FailingJob, fetch_queue_status

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="follow PyPI and analyse every upload (--once: catch up and exit)"
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="catch up to PyPI's last serial as of now, finish every job, and exit",
    )
    parser.add_argument(
        "--since-serial",
        type=non_negative_int,
        metavar="N",
        help="with no saved cursor, start after serial N instead of at PyPI's head",
    )
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=settings.workers + 6) as db:
        if args.once:
            async with new_session() as session:
                collector = await build_collector(settings, db, session)
                return await _once(collector, args, db.dsn, settings.database_patience)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await follow(settings, db, stop, args.since_serial)
    return 0


async def build_collector(
    settings: Settings, db: Database, session: aiohttp.ClientSession
) -> Collector:
    """The collector with the detection engine, the alert outbox and its sender wired in."""
    http = Http(session)
    engine = await load_engine(settings, http)
    await apply_env_subscriptions(db.pool, settings)
    sender = build_sender(db.pool, settings, session)
    outbox = OutboxWriter(db.pool)
    outbox.on_planned = sender.wake.set
    return Collector(
        settings,
        db.pool,
        db.dsn,
        http,
        engine,
        refresh_corpus=lambda: refresh_engine(engine, settings, session),
        refresh_osv=lambda: refresh_osv(db.pool, settings.osv_source, on_flagged=outbox),
        sender=sender,
        on_flagged=outbox,
    )


async def follow(
    settings: Settings, db: Database, stop: asyncio.Event, since_serial: int | None = None
) -> None:
    """Follow PyPI until `stop` is set, with the feed/health/metrics server beside it."""
    async with new_session() as session:
        collector = await build_collector(settings, db, session)
        server = await web.serve(db.pool, settings)
        log.info("following %s (Ctrl-C or SIGTERM stops)", settings.pypi_url)
        try:
            await collector.run_forever(stop, since_serial)
        finally:
            if server is not None:
                await server.cleanup()
    log.info("stopped cleanly")


async def _once(collector: Collector, args: argparse.Namespace, dsn: str, patience: float) -> int:
    catch_up = asyncio.create_task(collector.run_once(args.since_serial), name="run-once")
    lost = asyncio.create_task(wait_until_lost(dsn, patience), name="database-watch")
    interrupted = cancel_on_signals(catch_up)
    watch = asyncio.create_task(_show_progress(collector)) if sys.stderr.isatty() else None
    try:
        await asyncio.wait({catch_up, lost}, return_when=asyncio.FIRST_COMPLETED)
        if not catch_up.done():  # the database went away and did not come back
            catch_up.cancel()
            with contextlib.suppress(asyncio.CancelledError, *DB_ERRORS):
                await catch_up
            raise DatabaseUnavailable(
                f"database unavailable during the catch-up: {lost.result()}; what was stored "
                "stays, and the next run resumes there"
            )
        with contextlib.suppress(asyncio.CancelledError):
            result = await catch_up
        if interrupted:  # also when the catch-up finished as the signal came
            return await _stopped(collector, interrupted[0])
        if catch_up.cancelled():  # cancelled from outside: pass it on
            raise asyncio.CancelledError
    finally:
        for task in (catch_up, lost, watch):
            if task is not None and not task.done():
                task.cancel()  # cancelled from outside while waiting: take the helpers down
        for helper in (lost, watch):
            if helper is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await helper
        _restore_signals()
        collector.close()
    return report_once(result, args)


PROGRESS_EVERY = 1.0  # seconds between redraws of the catch-up line


async def _show_progress(collector: Collector) -> None:
    """After a catch-up (a backfill with --since-serial) has stored the changelog up to its
    target (the follower shows that part), the analysis of what it found can take hours: on a
    terminal, one line with the releases and files analysed of those left at that point."""
    progress: Progress | None = None
    before = 0
    try:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            async with collector.pool.acquire() as conn:
                serial = await load_cursor(conn) or 0
                releases = await fetch_queue_status(conn, "release")
                files = await fetch_queue_status(conn, "artifact")
            target = collector.once_target
            if target is None or serial < target:
                continue  # still reading the changelog
            left = releases.pending + releases.running + files.pending + files.running
            finished = releases.done + files.done
            if progress is None:
                # shown even for one release left: its files join the total once it is read
                progress, before = Progress("analysed", left, at_least=0), finished
                if progress.shown:
                    sys.stderr.write("\n")  # below the follower's last changelog line
            # files are queued as their releases are read: the total grows with them
            progress.total = finished - before + left
            progress.show(finished - before, "releases and files")
    finally:
        if progress is not None:
            progress.done()


async def _stopped(collector: Collector, signum: int) -> int:
    await collector.abandon()
    print(
        "pypi-sentinel: interrupted; what was stored stays, and the next run resumes there",
        file=sys.stderr,
    )
    return 128 + signum  # as shells report a process a signal ended: 130 for Ctrl-C


def cancel_on_signals(task: asyncio.Task[Any]) -> list[int]:
    """Ctrl-C or SIGTERM cancels `task` (again at each signal, so no await can swallow it); the
    third gives up on a clean stop. The loop's own handlers, so the signal is never lost inside
    a callback, as a KeyboardInterrupt raised from a Python signal handler can be. Returns the
    signals received, in order."""
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if len(received) == 1:
            log.warning("interrupted: stopping (a third time stops at once)")
        if len(received) >= 3:
            os._exit(128 + signum)  # the leases of the jobs in flight run out; none is lost
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    return received


def _restore_signals() -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)


def report_once(result: OnceResult, args: argparse.Namespace) -> int:
    drained = result.drained
    if args.format is OutputFormat.JSON:
        print_json(
            {
                "cursor_serial": result.cursor,
                "events": result.events,
                "jobs_processed": drained.processed,
                "jobs_stuck": drained.stuck,
                "files_inspected": drained.files_processed,
                "files_stuck": drained.files_stuck,
                "alerts_undelivered": result.undelivered,
                "failing_by_class": {cls: len(result.failing_of(cls)) for cls in ErrorClass},
                "failing": [failing_job_json(job) for job in result.failing],
            }
        )
    else:
        print(
            f"caught up to serial {result.cursor}: {result.events} events, "
            f"{drained.processed} releases processed, {drained.files_processed} files inspected",
            file=sys.stderr,
        )
    for line in once_warnings(result):
        print(f"pypi-sentinel: {line}", file=sys.stderr)
    return once_exit_code(result)


def once_exit_code(result: OnceResult) -> int:
    """3 when something we depend on could not be reached (PyPI, or an alert channel): run again
    later and nothing is lost. Releases PyPI keeps failing, and our own bugs, leave it at 0:
    the run stored everything it could, and `status` names what it could not."""
    if result.failing_of(ErrorClass.UNREACHABLE) or result.undelivered:
        return 3
    return 0


def once_warnings(result: OnceResult) -> list[str]:
    """One line per kind of trouble left after the run, each saying where to look."""
    lines = []
    if unreachable := result.failing_of(ErrorClass.UNREACHABLE):
        lines.append(
            f"PyPI could not be reached for {_jobs_text(unreachable)} after retries "
            f"({unreachable[0].last_error}); the next run tries again"
        )
    if upstream := result.failing_of(ErrorClass.UPSTREAM):
        lines.append(
            f"PyPI keeps failing {_jobs_text(upstream)} (404, garbage, 4xx): recorded, "
            "`pypi-sentinel status` lists them, and the next run tries again"
        )
    if internal := result.failing_of(ErrorClass.INTERNAL):
        first = internal[0]
        lines.append(
            f"INTERNAL ERROR: a bug in pypi-sentinel kept {_jobs_text(internal)} from being "
            f"stored (first: {first.project} {first.version}: {first.last_error}); "
            "`pypi-sentinel status` names them: please report it"
        )
    if result.undelivered:
        lines.append(
            f"{result.undelivered} alert(s) could not be delivered yet; "
            "`pypi-sentinel status` shows why (they are retried on the next run)"
        )
    return lines


def _jobs_text(jobs: list[FailingJob]) -> str:
    files = sum(1 for job in jobs if job.kind == "artifact")
    return f"{len(jobs) - files} release(s) and {files} file(s)"


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
