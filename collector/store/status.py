"""Read-only queries behind `pypi-sentinel status`: the cursor and row counts."""

from __future__ import annotations

import time
from dataclasses import dataclass

from collector.health import ChangelogLag, changelog_lag
from collector.store import PgConnection
from collector.store.changelog import load_cursor
from collector.store.health import SourceHealth, fetch_source_health
from collector.store.jobs import (
    ErrorClass,
    FailingJob,
    QueueStatus,
    fetch_failing_jobs,
    fetch_queue_status,
)
from collector.store.migrate import current_version

_COUNTS = """
SELECT
    (SELECT count(*) FROM changelog_events)                          AS changelog_events,
    (SELECT count(*) FROM projects)                                  AS projects,
    (SELECT count(*) FROM releases)                                  AS releases,
    (SELECT count(*) FROM files)                                     AS files,
    (SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL)     AS releases_analysed,
    (SELECT count(*) FROM findings)                                  AS findings,
    (SELECT count(*) FROM triage_verdicts)                           AS triage_verdicts,
    (SELECT count(*) FROM subscriptions)                             AS subscriptions,
    (SELECT count(*) FROM alert_outbox WHERE state IN ('pending', 'sending')) AS alerts_pending,
    (SELECT count(*) FROM alert_outbox WHERE state = 'dead')         AS alerts_dead,
    (SELECT count(*) FROM reports)                                   AS reports
"""

_ALERT_PROBLEMS = """
SELECT s.name, s.channel, s.last_error, s.last_error_at,
       count(o.id) FILTER (WHERE o.state = 'dead') AS dead,
       count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')) AS pending
FROM subscriptions s LEFT JOIN alert_outbox o ON o.subscription_id = s.id
WHERE s.last_error IS NOT NULL AND (s.last_sent_at IS NULL OR s.last_error_at > s.last_sent_at)
GROUP BY s.id ORDER BY s.name
"""

_FILES_BY_INSPECTION = """
SELECT COALESCE(inspection, 'not_requested') AS state, count(*) AS n
FROM files WHERE status = 'active' OR inspection IS NOT NULL GROUP BY 1 ORDER BY 1
"""

_FINDINGS_BY_SEVERITY = """
SELECT s.severity::text AS severity, count(f.id) AS n
FROM unnest(enum_range(NULL::severity)) AS s(severity)
LEFT JOIN findings f ON f.severity = s.severity
GROUP BY s.severity ORDER BY s.severity
"""


FAILING_LISTED = 500  # failing jobs named by `status` (the counts cover every one)


@dataclass(frozen=True, slots=True)
class StoreStatus:
    server_version: str
    schema_version: int
    cursor_serial: int | None
    counts: dict[str, int]
    findings_by_severity: dict[str, int]
    queue: QueueStatus  # release jobs
    inspection: QueueStatus  # artifact jobs: files waiting to be downloaded and read
    files_by_inspection: dict[str, int]  # pending, inspected, too_large, unreadable, ...
    sources: list[SourceHealth]
    alert_problems: list[dict[str, object]]  # subscriptions whose last delivery failed
    failing: list[FailingJob]  # open jobs whose last attempt failed (internal errors first)

    @property
    def errors_by_class(self) -> dict[str, int]:
        """Failing release and file jobs together, by whose fault (unreachable, upstream,
        internal)."""
        both = (self.queue.errors_by_class, self.inspection.errors_by_class)
        return {cls: sum(counts[cls] for counts in both) for cls in ErrorClass}

    @property
    def internal_errors(self) -> list[FailingJob]:
        return [job for job in self.failing if job.error_class is ErrorClass.INTERNAL]

    @property
    def pypi_last_serial(self) -> int | None:
        return self.lag().pypi_last_serial

    @property
    def lag_events(self) -> int | None:
        return self.lag().events

    def lag_seconds(self, now: float | None = None) -> float | None:
        """0 when caught up; else how long since the follower was last caught up."""
        return self.lag(now).seconds

    def lag(self, now: float | None = None) -> ChangelogLag:
        """The changelog's lag at `now` (epoch seconds; None: the clock)."""
        return changelog_lag(self.sources, self.cursor_serial, time.time() if now is None else now)


async def fetch_status(conn: PgConnection) -> StoreStatus:
    counts = await conn.fetchrow(_COUNTS)
    assert counts is not None
    by_severity = await conn.fetch(_FINDINGS_BY_SEVERITY)
    return StoreStatus(
        server_version=str(await conn.fetchval("SHOW server_version")),
        schema_version=await current_version(conn),
        cursor_serial=await load_cursor(conn),
        counts={key: int(value) for key, value in counts.items()},
        findings_by_severity={row["severity"]: int(row["n"]) for row in by_severity},
        queue=await fetch_queue_status(conn),
        inspection=await fetch_queue_status(conn, "artifact"),
        files_by_inspection={
            row["state"]: int(row["n"]) for row in await conn.fetch(_FILES_BY_INSPECTION)
        },
        sources=await fetch_source_health(conn),
        alert_problems=[dict(r) for r in await conn.fetch(_ALERT_PROBLEMS)],
        failing=await fetch_failing_jobs(conn, limit=FAILING_LISTED),
    )
