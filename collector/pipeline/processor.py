"""Processing one job: fetch, analyse, and store the release with its findings in one transaction.

One bad release never stops the pipeline: any failure puts the job back with its error and a
backoff, and the worker moves on.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import asyncpg

from analysis.model import Assessment, ReleaseSnapshot
from analysis.scoring import combine
from collector.alerts.outbox import ALERT_FLOOR, with_aggregate
from collector.backoff import Backoff
from collector.errors import UpstreamError
from collector.pipeline.analyzer import Analyzer
from collector.pipeline.fetcher import Fetched, Gone, ReleaseFetcher, StillStale
from collector.pipeline.snapshot import build_snapshot
from collector.store import PgConnection
from collector.store.artifacts import current_findings, lock_release
from collector.store.database import DB_ERRORS
from collector.store.jobs import Job, complete_job, retry_job
from collector.store.releases import (
    History,
    load_history,
    mark_release_gone,
    release_status,
    save_analysed_release,
    set_project_status,
)

log = logging.getLogger(__name__)

# Called inside the saving transaction of a flagged release (the alert outbox hooks in here,
# so alerts commit with their findings).
# Arguments: the connection, the release id, its project and the release's combined assessment.
FlaggedHook = Callable[[PgConnection, int, str, Assessment], Awaitable[object]]


class Outcome(StrEnum):
    STORED = "stored"
    GONE = "gone"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 5.0
    cap: float = 3600.0
    recheck_after: float = 3600.0  # a 404 is checked again this much later...
    rechecks: int = 3  # ...this many times
    rand: Callable[[], float] = random.random  # the jitter's source, for a test to fix

    def delay(self, attempts: int) -> float:
        return Backoff(base=self.base, cap=self.cap, jitter=0.1).delay(attempts, self.rand)


class ReleaseProcessor:
    def __init__(
        self,
        pool: asyncpg.Pool,
        fetcher: ReleaseFetcher,
        analyzer: Analyzer,
        *,
        policy: RetryPolicy = RetryPolicy(),
        on_flagged: FlaggedHook | None = None,
        inspect: bool = False,
    ) -> None:
        self.pool = pool
        self.fetcher = fetcher
        self.analyzer = analyzer
        self.policy = policy
        self.on_flagged = on_flagged
        self.inspect = inspect  # queue every new file of a stored release for inspection

    async def process(self, job: Job, history: History | None = None) -> Outcome:
        try:
            if history is None:
                async with self.pool.acquire() as conn:
                    history = await load_history(conn, job.project, job.version)
            # Removed or quarantined by the changelog already: PyPI would only answer 404.
            if gone := _gone_by_changelog(history.status):
                return await self._gone(job, gone)
            result = await self.fetcher.fetch(job)
            if isinstance(result, StillStale):
                # A 404 without a serial is ambiguous (stale CDN, or gone): the changelog,
                # which may have caught up meanwhile, settles it.
                async with self.pool.acquire() as conn:
                    status = await release_status(conn, job.project, job.version)
                if gone := _gone_by_changelog(status):
                    return await self._gone(job, gone)
                message = f"page at serial {result.served_serial}, need {result.wanted_serial}"
                return await self._retry(job, "stale", message)
            if isinstance(result, Gone):
                return await self._gone(job, result)
            return await self._store(job, result, history)
        except UpstreamError as exc:
            return await self._retry(job, exc.kind, str(exc))
        except DB_ERRORS:
            raise  # the database, not this job: the worker logs it and the lease brings it back
        except Exception as exc:  # one bad release must never stop the pipeline
            log.exception("job %s (%s %s) failed", job.id, job.project, job.version)
            return await self._retry(job, "internal", f"{type(exc).__name__}: {exc}")

    async def _store(self, job: Job, fetched: Fetched, history: History) -> Outcome:
        async with self.pool.acquire() as conn:
            snapshot = build_snapshot(job, fetched, history)
            analysed = await self.analyzer.assess(snapshot, conn)
            # Files of this release were read before, or a public report names it: those
            # findings count in the verdict, and the release row's lock keeps an inspection or
            # a sync finishing meanwhile from being lost.
            locked = history.keeps_findings
            async with conn.transaction() if locked else contextlib.nullcontext():
                if locked:
                    analysed = await self._with_file_findings(conn, snapshot, analysed)
                assessment = with_aggregate(snapshot.project, snapshot.version, analysed)
                # One statement stores everything and completes the job; a transaction is
                # needed when a flagged release must take its alerts along (already open when
                # the release row is locked).
                hook = self.on_flagged if assessment.severity >= ALERT_FLOOR else None
                own = hook is not None and not locked
                async with conn.transaction() if own else contextlib.nullcontext():
                    release_id, _ = await save_analysed_release(
                        conn,
                        snapshot,
                        assessment,
                        fetched.page.last_serial,
                        job_id=job.id,
                        completed_serial=fetched.page.last_serial or job.min_serial,
                        inspect=self.inspect,
                    )
                    if hook is not None:
                        await hook(conn, release_id, snapshot.project, assessment)
        log.debug("stored %s %s (%s)", job.project, job.version, assessment.severity.label)
        return Outcome.STORED

    async def _with_file_findings(
        self, conn: PgConnection, snapshot: ReleaseSnapshot, analysed: Assessment
    ) -> Assessment:
        release_id = await lock_release(conn, snapshot.project, snapshot.version)
        if release_id is None:
            return analysed
        kept = await current_findings(conn, release_id, kept_only=True)
        return combine([*analysed.findings, *kept]) if kept else analysed

    async def _gone(self, job: Job, gone: Gone) -> Outcome:
        async with self.pool.acquire() as conn, conn.transaction():
            await mark_release_gone(conn, job.project, job.version, gone.status)
            if gone.project_status == "quarantined":
                await set_project_status(conn, job.project, "quarantined")
            if job.attempts <= self.policy.rechecks:
                await retry_job(
                    conn,
                    job.id,
                    kind="not_found",
                    error=f"PyPI answers 404 ({gone.status}); checking again later",
                    delay_seconds=self.policy.recheck_after,
                )
            else:
                await complete_job(conn, job.id, job.min_serial)
        log.info("%s %s is %s on PyPI", job.project, job.version, gone.status)
        return Outcome.GONE

    async def _retry(self, job: Job, kind: str, error: str) -> Outcome:
        delay = self.policy.delay(job.attempts)
        log.warning(
            "job %s (%s %s): %s: %s; retry %d in %.0fs",
            job.id,
            job.project,
            job.version,
            kind,
            error,
            job.attempts,
            delay,
        )
        async with self.pool.acquire() as conn:
            await retry_job(conn, job.id, kind=kind, error=error, delay_seconds=delay)
        return Outcome.RETRY


def _gone_by_changelog(status: str | None) -> Gone | None:
    if status in ("removed", "quarantined"):
        return Gone(status, "quarantined" if status == "quarantined" else None)
    return None
