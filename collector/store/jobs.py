"""The work queue in Postgres: one job per release to fetch and analyse, one per file to inspect.

Workers in any number of processes claim jobs with FOR UPDATE SKIP LOCKED and hold a lease; a
job whose worker died is claimed again when the lease runs out. Failures are retried with
backoff and never dropped; the error stays on the job for `status` to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from collector.store import PgConnection


@dataclass(frozen=True, slots=True)
class JobRequest:
    project: str  # normalized
    version: str
    min_serial: int
    reason: str


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    project: str
    version: str
    min_serial: int
    reason: str
    attempts: int  # including this one
    kind: str = "release"  # or "artifact": inspect one file (`filename`) of the release
    filename: str | None = None


_ENQUEUE = """
INSERT INTO jobs (project, version, min_serial, reason)
SELECT t.project, t.version, t.min_serial, t.reason
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS t(project, version, min_serial, reason)
WHERE NOT EXISTS (
    SELECT 1 FROM releases r
    WHERE r.project = t.project AND r.version = t.version
      AND r.fetched_at IS NOT NULL AND COALESCE(r.fetched_serial, 0) >= t.min_serial
)
ON CONFLICT (project, version) WHERE state <> 'done' AND kind = 'release' DO UPDATE
    SET min_serial = GREATEST(jobs.min_serial, EXCLUDED.min_serial),
        run_after = LEAST(jobs.run_after, now())
"""


async def enqueue_jobs(conn: PgConnection, requests: Sequence[JobRequest]) -> int:
    """Add jobs (at most one open job per release); skip releases already fetched that fresh."""
    if not requests:
        return 0
    merged: dict[tuple[str, str], JobRequest] = {}
    for req in requests:  # one row per release, or ON CONFLICT would touch a row twice
        key = (req.project, req.version)
        if key not in merged or merged[key].min_serial < req.min_serial:
            merged[key] = req
    rows = [merged[key] for key in sorted(merged)]  # lock order: by release, like every writer
    status = await conn.execute(
        _ENQUEUE,
        [r.project for r in rows],
        [r.version for r in rows],
        [r.min_serial for r in rows],
        [r.reason for r in rows],
    )
    return int(status.rsplit(" ", 1)[-1])


async def enqueue_unfetched(conn: PgConnection, project: str, serial: int) -> int:
    """Re-queue every release of `project` we never managed to fetch (e.g. after a quarantine)."""
    rows = await conn.fetch(
        "SELECT version FROM releases WHERE project = $1 AND fetched_at IS NULL", project
    )
    requests = [JobRequest(project, row["version"], serial, "recheck") for row in rows]
    return await enqueue_jobs(conn, requests)


# The common table expressions of a claim, ending in `claimed` (the jobs taken, with their
# columns), for statements that join more onto it; CLAIM_JOBS is the claim alone. Jobs whose
# lease ran out, then due jobs, are picked by two ordered index scans (jobs_leased_idx,
# jobs_due_idx) that stop at the limit: one OR over both states made Postgres read and sort
# every open job of the kind on each claim, milliseconds each with thousands waiting.
CLAIM_CTES = """
expired AS (
    SELECT id FROM jobs
    WHERE state = 'running' AND leased_until < now() AND kind = $4
    ORDER BY leased_until
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), due AS (
    SELECT id FROM jobs
    WHERE kind = $4 AND state = 'pending' AND run_after <= now()
    ORDER BY run_after, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), picked AS (
    (SELECT id FROM expired) UNION ALL (SELECT id FROM due) LIMIT $1
), claimed AS (
    UPDATE jobs SET state = 'running', attempts = attempts + 1, leased_by = $3,
                    leased_until = now() + make_interval(secs => $2)
    WHERE id IN (SELECT id FROM picked)
    RETURNING id, project, version, min_serial, reason, attempts, kind, filename
)"""
CLAIM_JOBS = f"WITH {CLAIM_CTES}\nSELECT * FROM claimed"


async def claim_jobs(
    conn: PgConnection, limit: int, lease_seconds: float, owner: str, kind: str = "release"
) -> list[Job]:
    rows = await conn.fetch(CLAIM_JOBS, limit, lease_seconds, owner, kind)
    return [Job(**dict(row)) for row in rows]


async def release_leases(conn: PgConnection, owners: Sequence[str]) -> int:
    """Hand back the running jobs of these lease holders (ourselves at shutdown, or dead
    processes of this host at start-up) so they run again without waiting for the lease."""
    status = await conn.execute(
        """
        UPDATE jobs SET state = 'pending', leased_until = NULL, leased_by = NULL,
                        attempts = greatest(attempts - 1, 0)
        WHERE state = 'running' AND leased_by = ANY($1::text[])
        """,
        list(owners),
    )
    return int(status.rsplit(" ", 1)[-1])


async def lease_holders(conn: PgConnection, host_prefix: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT leased_by FROM jobs WHERE state = 'running' AND leased_by LIKE $1 || '%'",
        host_prefix,
    )
    return [row["leased_by"] for row in rows]


# A job finished with a page at `fetched_serial`; if newer events arrived meanwhile (min_serial
# rose past what we fetched) it goes back to pending instead.
def complete_job_sql(job: str, serial: str) -> str:
    """The statement that completes job `job` fetched at `serial` (parameter names such as
    "$1"), to run alone or inside a larger statement. A job whose events moved past the serial
    its work covered meanwhile goes back to pending, to be done again."""
    return f"""
UPDATE jobs SET
    state = CASE WHEN min_serial > {serial} THEN 'pending' ELSE 'done' END,
    finished_at = CASE WHEN min_serial > {serial} THEN NULL ELSE now() END,
    attempts = CASE WHEN min_serial > {serial} THEN 0 ELSE attempts END,
    leased_until = NULL, leased_by = NULL, last_error = NULL, error_kind = NULL, run_after = now()
WHERE id = {job}
"""


_COMPLETE = complete_job_sql("$1", "$2")


async def complete_job(conn: PgConnection, job_id: int, fetched_serial: int) -> None:
    await conn.execute(_COMPLETE, job_id, fetched_serial)


async def retry_job(
    conn: PgConnection, job_id: int, *, kind: str, error: str, delay_seconds: float
) -> None:
    """Put a job back with its error, to run again after `delay_seconds`."""
    await conn.execute(
        """
        UPDATE jobs SET state = 'pending', leased_until = NULL, leased_by = NULL,
                        error_kind = $2, last_error = $3,
                        run_after = now() + make_interval(secs => $4)
        WHERE id = $1
        """,
        job_id,
        kind,
        error[:2000],
        delay_seconds,
    )


class ErrorClass(StrEnum):
    """Who a job's last error is on: it decides `run --once`'s exit code and where `status`,
    /metrics and the Health page show the job."""

    UNREACHABLE = "unreachable"  # PyPI could not be reached, or kept answering 5xx
    UPSTREAM = "upstream"  # PyPI answered, but keeps failing this release (404, garbage, 4xx)
    INTERNAL = "internal"  # a bug of ours: retrying will not help until it is fixed


# Error kinds by class; every other kind (not_found, garbage, rejected, stale, digest, reader,
# overran) is PyPI answering but failing this one release.
UNREACHABLE_KINDS = ("connection", "fault", "http", "rate_limited", "timeout")
INTERNAL_KINDS = ("internal",)


def error_class(kind: str) -> ErrorClass:
    if kind in UNREACHABLE_KINDS:
        return ErrorClass.UNREACHABLE
    if kind in INTERNAL_KINDS:
        return ErrorClass.INTERNAL
    return ErrorClass.UPSTREAM


@dataclass(frozen=True, slots=True)
class FailingJob:
    """An open job whose last attempt failed: what `status` and the Health page list."""

    kind: str  # release or artifact
    project: str
    version: str
    filename: str | None
    error_kind: str
    last_error: str
    attempts: int

    @property
    def error_class(self) -> ErrorClass:
        return error_class(self.error_kind)


async def fetch_failing_jobs(
    conn: PgConnection, *, min_attempts: int = 1, limit: int | None = None
) -> list[FailingJob]:
    """Open jobs whose last attempt failed at least `min_attempts` times, internal errors first
    (bugs are the news), then the most attempted."""
    rows = await conn.fetch(
        """
        SELECT kind, project, version, filename, error_kind, COALESCE(last_error, '') AS last_error,
               attempts
        FROM jobs
        WHERE state <> 'done' AND error_kind IS NOT NULL AND attempts >= $1
        ORDER BY error_kind = ANY($2::text[]) DESC, attempts DESC, project, version, filename
        LIMIT $3
        """,
        min_attempts,
        list(INTERNAL_KINDS),
        limit,
    )
    return [FailingJob(**dict(row)) for row in rows]


def count_by_class(errors_by_kind: dict[str, int]) -> dict[str, int]:
    """Error counts by kind, summed by class (every class present, 0 when none)."""
    counts = dict.fromkeys(ErrorClass, 0)
    for kind, n in errors_by_kind.items():
        counts[error_class(kind)] += n
    return {str(cls): n for cls, n in counts.items()}


@dataclass(frozen=True, slots=True)
class QueueStatus:
    pending: int
    running: int
    retrying: int  # pending jobs that have failed at least once
    done: int
    errors_by_kind: dict[str, int]
    oldest_pending: datetime | None
    next_due: datetime | None

    @property
    def errors_by_class(self) -> dict[str, int]:
        return count_by_class(self.errors_by_kind)


async def fetch_queue_status(conn: PgConnection, kind: str = "release") -> QueueStatus:
    row = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
               count(*) FILTER (WHERE state = 'running') AS running,
               count(*) FILTER (WHERE state = 'pending' AND error_kind IS NOT NULL) AS retrying,
               count(*) FILTER (WHERE state = 'done') AS done,
               min(created_at) FILTER (WHERE state <> 'done') AS oldest_pending,
               min(run_after) FILTER (WHERE state = 'pending') AS next_due
        FROM jobs WHERE kind = $1
        """,
        kind,
    )
    assert row is not None
    kinds = await conn.fetch(
        "SELECT error_kind, count(*) AS n FROM jobs "
        "WHERE kind = $1 AND state <> 'done' AND error_kind IS NOT NULL "
        "GROUP BY error_kind ORDER BY error_kind",
        kind,
    )
    return QueueStatus(
        pending=row["pending"],
        running=row["running"],
        retrying=row["retrying"],
        done=row["done"],
        errors_by_kind={r["error_kind"]: r["n"] for r in kinds},
        oldest_pending=row["oldest_pending"],
        next_due=row["next_due"],
    )


# Jobs of a kind still to finish, less releases PyPI no longer has (retrying those is pointless).
_OPEN = "kind = $2 AND state <> 'done' AND error_kind IS DISTINCT FROM 'not_found'"


async def count_waiting(conn: PgConnection, kind: str, max_attempts: int) -> tuple[int, float]:
    """Open jobs with attempts left, and seconds until the next is due (negative: overdue)."""
    row = await conn.fetchrow(
        f"""
        SELECT count(*) AS n, extract(epoch FROM min(run_after) - now()) AS due_in
        FROM jobs WHERE {_OPEN} AND attempts < $1
        """,
        max_attempts,
        kind,
    )
    assert row is not None
    return int(row["n"]), float(row["due_in"] or 0.0)


async def count_stuck(conn: PgConnection, kind: str, max_attempts: int) -> int:
    """Open jobs that used up their attempts."""
    value = await conn.fetchval(
        f"SELECT count(*) FROM jobs WHERE {_OPEN} AND attempts >= $1", max_attempts, kind
    )
    return int(value)
