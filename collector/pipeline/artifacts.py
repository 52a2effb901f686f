"""Processing one artifact job: download a file, read it in a reader process, and store its
findings with the release's recomputed verdict (and any alert it now deserves) in one transaction.

Every outcome is recorded on the file: inspected, partial (a limit or a malformed header stopped
reading), too large, unreadable, digest mismatch, gone. Transient trouble is retried with backoff
through the queue; a file that keeps failing is recorded with a finding, never dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from analysis.artifact import ArtifactRef
from analysis.inspect import (
    DIGEST_MISMATCH,
    INSPECTION_FAILED,
    TOO_LARGE,
    FileInspection,
    not_inspected,
)
from analysis.model import Finding
from analysis.scoring import combine
from collector.alerts.outbox import ALERT_FLOOR, aggregate_finding
from collector.backoff import Backoff
from collector.errors import UpstreamError
from collector.pipeline.inspector import InspectionFailed, ProcessInspector
from collector.pipeline.processor import FlaggedHook, Outcome, RetryPolicy
from collector.pypi.files import (
    DigestMismatch,
    Download,
    FileGone,
    TooLarge,
    fetch_distribution,
)
from collector.pypi.http import Http, Sleep, real_sleep, with_retries
from collector.store.artifacts import (
    ArtifactTarget,
    InspectionRecord,
    current_findings,
    load_artifact_target,
    lock_release,
    record_clean_inspection,
    record_inspection,
    save_findings,
    save_verdict,
)
from collector.store.database import DB_ERRORS
from collector.store.jobs import Job, complete_job, retry_job

log = logging.getLogger(__name__)

DEFAULT_POLICY = RetryPolicy()
GIVE_UP_AFTER = 3  # attempts before a digest mismatch or a crashing reader becomes a finding


@dataclass(frozen=True, slots=True)
class Result:
    record: InspectionRecord
    findings: tuple[Finding, ...] = ()


class ArtifactProcessor:
    def __init__(
        self,
        pool: asyncpg.Pool,
        http: Http,
        inspector: ProcessInspector,
        *,
        max_bytes: int,
        policy: RetryPolicy = DEFAULT_POLICY,
        on_flagged: FlaggedHook | None = None,
        sleep: Sleep = real_sleep,
    ) -> None:
        self.pool = pool
        self.http = http
        self.inspector = inspector
        self.max_bytes = max_bytes
        self.policy = policy
        self.on_flagged = on_flagged
        self.sleep = sleep

    async def process(self, job: Job, history: object = None) -> Outcome:
        """Inspect the job's file; `history` is its target when the claim loaded it."""
        assert job.filename is not None
        try:
            target = history if isinstance(history, ArtifactTarget) else None
            if target is None:
                async with self.pool.acquire() as conn:
                    target = await load_artifact_target(conn, job.filename)
            if target is None:  # the file row is gone (cannot happen today): nothing to read
                return await self._done(job)
            result = await self._inspect(target, job)
            if result is None:
                return Outcome.RETRY
            await self._store(job, target, result)
            return Outcome.STORED
        except UpstreamError as exc:
            return await self._retry(job, exc.kind, str(exc))
        except DB_ERRORS:
            raise  # the database, not this job: the worker logs it and the lease brings it back
        except Exception as exc:  # one bad file must never stop the pipeline
            log.exception("artifact job %s (%s) failed", job.id, job.filename)
            return await self._retry(job, "internal", f"{type(exc).__name__}: {exc}")

    async def _inspect(self, target: ArtifactTarget, job: Job) -> Result | None:
        ref = ArtifactRef(target.project, target.version, target.filename, target.url or "")
        if not target.url and not (target.size is not None and target.size > self.max_bytes):
            return Result(InspectionRecord("gone", "PyPI lists no URL for the file"))
        download = await fetch_file(
            self.http,
            target.url or "",
            sha256=target.sha256,
            size=target.size,
            max_bytes=self.max_bytes,
            sleep=self.sleep,
        )
        if isinstance(download, TooLarge):
            return _too_large(ref, download.size, self.max_bytes)
        if isinstance(download, FileGone):
            return Result(InspectionRecord("gone", f"HTTP {download.status}: the file is gone"))
        if isinstance(download, DigestMismatch):
            message = digest_message(download)
            if job.attempts < GIVE_UP_AFTER:
                await self._retry(job, "digest", message)
                return None
            record = InspectionRecord("digest_mismatch", message)
            return Result(record, (digest_finding(ref, download),))
        try:
            inspection = await self.inspector.inspect(ref, download.data, target.metadata)
        except InspectionFailed as exc:
            if job.attempts < GIVE_UP_AFTER:
                await self._retry(job, "reader", str(exc))
                return None
            return Result(InspectionRecord("unreadable", str(exc)), (reader_failed(ref, exc),))
        return _result(inspection)

    async def _store(self, job: Job, target: ArtifactTarget, result: Result) -> None:
        if not result.findings:  # most files: one statement, the release left alone
            async with self.pool.acquire() as conn:
                await record_clean_inspection(
                    conn, target.file_id, result.record, job.id, job.min_serial
                )
            log.info("inspected %s (%s): no findings", target.filename, result.record.state)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await lock_release(conn, target.project, target.version)
            await save_findings(
                conn, target.release_id, target.project, target.version, result.findings
            )
            await record_inspection(conn, target.file_id, result.record)
            assessment = combine(await current_findings(conn, target.release_id))
            aggregate = aggregate_finding(target.project, target.version, assessment)
            await save_verdict(conn, target, assessment.score, assessment.severity, aggregate)
            if self.on_flagged is not None and assessment.severity >= ALERT_FLOOR:
                await self.on_flagged(conn, target.release_id, target.project, assessment)
            await complete_job(conn, job.id, job.min_serial)
        log.info(
            "inspected %s (%s): %d finding(s); %s %s now %s",
            target.filename,
            result.record.state,
            len(result.findings),
            target.project,
            target.version,
            assessment.severity.label,
        )

    async def _done(self, job: Job) -> Outcome:
        async with self.pool.acquire() as conn:
            await complete_job(conn, job.id, job.min_serial)
        return Outcome.STORED

    async def _retry(self, job: Job, kind: str, error: str) -> Outcome:
        delay = self.policy.delay(job.attempts)
        log.warning(
            "artifact job %s (%s): %s: %s; retry %d in %.0fs",
            job.id,
            job.filename,
            kind,
            error,
            job.attempts,
            delay,
        )
        async with self.pool.acquire() as conn:
            await retry_job(conn, job.id, kind=kind, error=error, delay_seconds=delay)
        return Outcome.RETRY


async def fetch_file(
    http: Http,
    url: str,
    *,
    sha256: str | None,
    size: int | None,
    max_bytes: int,
    sleep: Sleep = real_sleep,
) -> Download:
    """One distribution file, size-capped, its sha256 checked, transient trouble retried: the
    collector's download and `scan`'s, so both judge a file alike."""
    if size is not None and size > max_bytes:
        return TooLarge(size, max_bytes)
    return await with_retries(
        lambda: fetch_distribution(http, url, max_bytes=max_bytes, sha256=sha256),
        f"download {url}",
        Backoff(attempts=3),
        sleep,
    )


def digest_message(mismatch: DigestMismatch) -> str:
    return f"sha256 {mismatch.actual} but PyPI lists {mismatch.expected}"


def digest_finding(ref: ArtifactRef, mismatch: DigestMismatch) -> Finding:
    summary = "the bytes served do not match the sha256 PyPI lists."
    return not_inspected(
        ref, DIGEST_MISMATCH, summary, expected=mismatch.expected, actual=mismatch.actual
    )


def reader_failed(ref: ArtifactRef, exc: InspectionFailed) -> Finding:
    return not_inspected(ref, INSPECTION_FAILED, f"reading failed: {exc}.", error=str(exc))


def too_large_finding(ref: ArtifactRef, size: int | None, limit: int) -> Finding:
    shown = f"{size:,} bytes" if size is not None else "more than the cap"
    summary = f"not inspected: too large ({shown}, cap {limit:,} bytes)."
    return not_inspected(ref, TOO_LARGE, summary, size=size, limit=limit)


def _too_large(ref: ArtifactRef, size: int | None, limit: int) -> Result:
    shown = f"{size:,} bytes" if size is not None else "more than the cap"
    record = InspectionRecord("too_large", f"{shown} over the {limit:,}-byte cap")
    return Result(record, (too_large_finding(ref, size, limit),))


def _result(inspection: FileInspection) -> Result:
    if inspection.complete:
        state = "inspected"
    else:  # stopped early: by a limit or a fault after some members, or before any
        state = "partial" if inspection.members else "unreadable"
    record = InspectionRecord(state, inspection.error, inspection.members, inspection.unpacked)
    return Result(record, inspection.findings)
