"""The collector: pollers on an APScheduler, workers on the queue, and the `--once` catch-up.

Only one process at a time polls PyPI (the holder of a Postgres advisory lock); every process
runs workers. A failing source backs off (5 s doubling to 5 min) and is logged each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collector.alerts.sender import OutboxSender
from collector.backoff import Backoff
from collector.config import Settings
from collector.errors import UpstreamError
from collector.pipeline.analyzer import Analyzer
from collector.pipeline.artifacts import ArtifactProcessor
from collector.pipeline.fetcher import ReleaseFetcher
from collector.pipeline.follower import HEAD_SOURCE, ChangelogFollower
from collector.pipeline.follower import SOURCE as CHANGELOG_SOURCE
from collector.pipeline.inspector import ProcessInspector
from collector.pipeline.processor import FlaggedHook, ReleaseProcessor, RetryPolicy
from collector.pipeline.reconcile import Reconciler, advance_simple_cursor
from collector.pipeline.rss_poller import RssPoller
from collector.pipeline.workers import DrainResult, WorkerPool
from collector.pypi.changelog import XmlRpcChangelog
from collector.pypi.http import Http, PyPIUrls, Sleep, real_sleep, with_retries
from collector.pypi.rss import Feed
from collector.store.changelog import load_cursor
from collector.store.database import DB_ERRORS, ping, try_session_lock
from collector.store.health import fetch_upstream_serial, record_switched_off
from collector.store.jobs import ErrorClass, FailingJob, fetch_failing_jobs

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x5E47_1E1_0002  # pg advisory lock: "this process polls PyPI"


@dataclass(frozen=True, slots=True)
class OnceResult:
    cursor: int | None
    events: int
    drained: DrainResult
    undelivered: int = 0  # alerts still in the outbox after draining (dead letters excluded)
    # Jobs still failing after the attempts allowed (releases PyPI has removed excluded), by
    # whose fault: they decide the exit code.
    failing: tuple[FailingJob, ...] = ()

    def failing_of(self, cls: ErrorClass) -> list[FailingJob]:
        return [job for job in self.failing if job.error_class is cls]


class Leadership:
    """A session advisory lock on a dedicated connection: held while that connection lives."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: asyncpg.Connection | None = None

    async def check(self) -> bool:
        try:
            if self._conn is not None and not self._conn.is_closed():
                await ping(self._conn)
                return True
            self._conn = await asyncpg.connect(self.dsn, timeout=10)
            if await try_session_lock(self._conn, LEADER_LOCK_KEY):
                log.info("this process now polls PyPI")
                return True
            await self._close()
        except DB_ERRORS as exc:
            log.warning("leadership check failed: %s", exc)
            await self._close()
        return False

    async def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(*DB_ERRORS):
                await self._conn.close()
        self._conn = None

    async def release(self) -> None:
        await self._close()


SOURCE_BACKOFF = Backoff(base=5.0, cap=300.0)  # a failing source: 5 s, 10 s, ... 5 min


class Throttle:
    """Skip a failing source's ticks with exponential backoff, so a storm is not hammered."""

    def __init__(
        self, backoff: Backoff = SOURCE_BACKOFF, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.backoff, self.clock = backoff, clock
        self.failures = 0
        self.not_before = 0.0

    def ready(self) -> bool:
        return self.clock() >= self.not_before

    def failed(self) -> float:
        self.failures += 1
        delay = self.backoff.delay(self.failures)
        self.not_before = self.clock() + delay
        return delay

    def succeeded(self) -> None:
        self.failures, self.not_before = 0, 0.0


class Collector:
    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        dsn: str,
        http: Http,
        analyzer: Analyzer,
        *,
        sleep: Sleep = real_sleep,
        retry_policy: RetryPolicy | None = None,
        on_flagged: FlaggedHook | None = None,
        refresh_corpus: Callable[[], Awaitable[object]] | None = None,
        refresh_osv: Callable[[], Awaitable[object]] | None = None,
        sender: OutboxSender | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.sleep = sleep
        self.once_target: int | None = None  # the serial `run --once` catches up to
        urls = PyPIUrls(settings.pypi_url)
        fetcher = ReleaseFetcher(http, urls, sleep=sleep)
        policy = retry_policy or RetryPolicy()
        processor = ReleaseProcessor(
            pool, fetcher, analyzer, policy=policy, on_flagged=on_flagged, inspect=settings.inspect
        )
        self.workers = WorkerPool(pool, processor, concurrency=settings.workers)
        self.inspector: ProcessInspector | None = None
        self.inspection: WorkerPool | None = None
        if settings.inspect:
            self.inspector = ProcessInspector(settings.inspect_processes)
            files = ArtifactProcessor(
                pool,
                http,
                self.inspector,
                max_bytes=settings.max_file_size,
                policy=policy,
                on_flagged=on_flagged,
                sleep=sleep,
            )
            self.inspection = WorkerPool(
                pool,
                files,
                kind="artifact",
                concurrency=settings.inspect_workers,
                lease_seconds=600.0,
            )
        changelog = XmlRpcChangelog(http, urls.xmlrpc, sleep=sleep)
        self.follower = ChangelogFollower(pool, changelog, on_jobs=self.workers.wake.set)
        self.rss = RssPoller(pool, http, urls, on_new=self._on_news)
        self.reconciler = Reconciler(pool, http, urls, sleep=sleep)
        self.leadership = Leadership(dsn)
        self.leader = False
        self.refresh_corpus = refresh_corpus
        self.refresh_osv = refresh_osv
        self.sender = sender
        self._scheduler: AsyncIOScheduler | None = None
        self._throttles: dict[str, Throttle] = {}

    # -- run forever -------------------------------------------------------------------------
    async def run_forever(self, stop: asyncio.Event, since_serial: int | None = None) -> None:
        await self._recover_leases()
        await self._note_switched_off()
        await self._lead(since_serial)
        scheduler = self._schedule(since_serial)
        scheduler.start()
        tasks = [asyncio.create_task(self.workers.run(stop), name="workers")]
        if self.inspection is not None:
            tasks.append(asyncio.create_task(self.inspection.run(stop), name="inspection"))
        if self.sender is not None:
            tasks.append(asyncio.create_task(self.sender.run(stop), name="alerts"))
        try:
            await asyncio.gather(*tasks)
        finally:
            scheduler.shutdown(wait=False)
            await self.leadership.release()
            self.close()

    async def _recover_leases(self) -> None:
        """Take back the jobs of both pools that crashed processes of this host still lease."""
        await self.workers.recover_leases()
        if self.inspection is not None:
            await self.inspection.recover_leases()

    async def abandon(self) -> None:
        """Stop `run_once` part-way (Ctrl-C): what is stored stays, with the cursor that covers
        it; the jobs in flight go back to the queue for the next run."""
        await self.workers.abandon()
        if self.inspection is not None:
            await self.inspection.abandon()

    async def _note_switched_off(self) -> None:
        """Sources this run does not poll: their failures from an earlier run are history."""
        if not self.settings.xmlrpc:
            async with self.pool.acquire() as conn:
                await record_switched_off(conn, (CHANGELOG_SOURCE, HEAD_SOURCE))

    def close(self) -> None:
        """Stop the reader processes."""
        if self.inspector is not None:
            self.inspector.close()

    def _schedule(self, since_serial: int | None) -> AsyncIOScheduler:
        self._scheduler = scheduler = AsyncIOScheduler(timezone="UTC")
        s = self.settings
        now = datetime.now().astimezone()
        jobs: list[tuple[str, Callable[[], Awaitable[object]], float]] = [
            ("leadership", lambda: self._lead(since_serial), 30.0),
            ("rss-updates", lambda: self.rss.poll(Feed.UPDATES), s.rss_interval),
            ("rss-packages", lambda: self.rss.poll(Feed.PACKAGES), s.rss_interval),
            (
                "reconcile",
                self._reconcile,
                s.reconcile_interval if s.xmlrpc else min(600.0, s.reconcile_interval),
            ),
        ]
        if self.refresh_corpus is not None:
            jobs.append(("corpus", self.refresh_corpus, 6 * 3600.0))  # the list itself: daily
        if self.refresh_osv is not None:
            jobs.append(("osv", self.refresh_osv, 3600.0))  # syncs when the copy is a day old
        if s.xmlrpc:
            jobs += [
                ("changelog", self.follower.poll, s.changelog_interval),
                ("changelog-head", self.follower.refresh_head, 60.0),
            ]
        for name, func, seconds in jobs:
            first = now if name != "reconcile" else now + timedelta(seconds=60)
            scheduler.add_job(
                self._guarded(name, func),
                "interval",
                seconds=seconds,
                id=name,
                max_instances=1,
                coalesce=True,
                next_run_time=first,
                misfire_grace_time=None,
            )
        return scheduler

    def _guarded(
        self, name: str, func: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        throttle = self._throttles.setdefault(name, Throttle())

        async def tick() -> None:
            local = name in ("leadership", "corpus")  # every process does these for itself
            if (not local and not self.leader) or not throttle.ready():
                return
            try:
                await func()
                throttle.succeeded()
            except (UpstreamError, *DB_ERRORS) as exc:
                delay = throttle.failed()
                log.warning("%s failed (%s); next try in %.0fs", name, exc, delay)
            except Exception:
                delay = throttle.failed()
                log.exception("%s failed unexpectedly; next try in %.0fs", name, delay)

        return tick

    async def _lead(self, since_serial: int | None) -> None:
        was = self.leader
        self.leader = await self.leadership.check()
        self.follower.since_serial = since_serial
        if self.leader and not was and self.settings.xmlrpc:
            try:
                await self.follower.start(since_serial)
            except (UpstreamError, *DB_ERRORS) as exc:
                # PyPI (or the database) is not there yet: the changelog polls start it later.
                log.warning("cannot start following the changelog yet: %s", exc)

    def _on_news(self) -> None:
        """RSS saw something new: wake the workers and poll the changelog now."""
        self.workers.wake.set()
        if self._scheduler is not None and self.settings.xmlrpc:
            job = self._scheduler.get_job("changelog")
            if job is not None:
                job.modify(next_run_time=datetime.now().astimezone())

    async def _reconcile(self) -> None:
        if self.settings.xmlrpc:
            async with self.pool.acquire() as conn:
                cursor = await load_cursor(conn)
            await self.reconciler.run(upper=cursor)
        else:
            result = await self.reconciler.run(upper=None)
            log.debug("reconciled: %s", result)
            async with self.pool.acquire() as conn:
                head = await fetch_upstream_serial(conn, self.reconciler.source)
            if head is not None:
                await advance_simple_cursor(self.pool, head)
        self.workers.wake.set()

    # -- run once ----------------------------------------------------------------------------
    async def run_once(self, since_serial: int | None = None, max_attempts: int = 5) -> OnceResult:
        """Catch up to PyPI's head as of now, finish every job, and return."""
        await self._recover_leases()
        await self._note_switched_off()
        # Files are read while releases are still being fetched: the two pools wait on
        # different things (PyPI's JSON pages, the files host and the reader processes).
        files_stop = asyncio.Event()
        files = None
        if self.inspection is not None:
            files = asyncio.create_task(self.inspection.run(files_stop), name="inspection")
        try:
            events, drained = await self._catch_up(since_serial, max_attempts)
        finally:
            files_stop.set()
            if files is not None:
                await files
        if self.inspection is not None:
            inspected = await self.inspection.drain(max_attempts)
            drained = DrainResult(
                drained.processed, drained.stuck, inspected.processed, inspected.stuck
            )
        undelivered = await self.sender.drain() if self.sender is not None else 0
        async with self.pool.acquire() as conn:
            cursor = await load_cursor(conn)
            failing = await fetch_failing_jobs(conn, min_attempts=max_attempts)
        # A 404 is recorded as a removed release and checked again later: not a failure.
        stuck = tuple(job for job in failing if job.error_kind != "not_found")
        return OnceResult(cursor, events, drained, undelivered, stuck)

    async def _catch_up(
        self, since_serial: int | None, max_attempts: int
    ) -> tuple[int, DrainResult]:
        """Follow the changelog (or reconcile) to PyPI's head as of now and finish every
        release job: the events seen and the release pool's result."""
        events = 0
        if self.settings.xmlrpc:
            await self.follower.start(since_serial)
            target = await with_retries(
                self.follower.refresh_head, "changelog head", Backoff(), self.sleep
            )
            self.once_target = target
            stop = asyncio.Event()
            workers = asyncio.create_task(self.workers.run(stop))
            try:
                run = await with_retries(
                    lambda: self.follower.poll(target), "changelog catch-up", Backoff(), self.sleep
                )
                events = run.events
            finally:
                stop.set()
                await workers
        else:
            await self._reconcile()
        return events, await self.workers.drain(max_attempts)
