"""The Health page: cursor and lag, the queue, failing jobs and sources, the outbox, blocks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import asyncpg
import pandas as pd

from collector.health import SourceProblem, changelog_lag, check_sources, internal_problem
from collector.store.health import SourceHealth
from collector.store.index_blocks import BlockedRelease, fetch_recent_blocks
from collector.store.jobs import INTERNAL_KINDS, ErrorClass, FailingJob, count_by_class
from dashboard.queries.shared import Pool, frame
from dashboard.text import redact_urls


@dataclass(frozen=True, slots=True)
class Health:
    cursor_serial: int | None
    cursor_updated_at: datetime | None
    pypi_last_serial: int | None
    lag_events: int | None
    lag_seconds: float | None
    queue: dict[str, Any]
    errors_by_kind: dict[str, int]
    sources: pd.DataFrame
    failing_jobs: pd.DataFrame
    outbox: dict[str, int]
    failed_deliveries: pd.DataFrame
    problems: tuple[SourceProblem, ...] = ()  # failing sources, by the rule /healthz uses

    @property
    def errors_by_class(self) -> dict[str, int]:
        return count_by_class(self.errors_by_kind)

    @property
    def internal_problem(self) -> str | None:
        """Internal errors make the collector unhealthy, by the rule /healthz uses."""
        jobs = self.failing_jobs
        named = jobs[jobs["error_kind"].isin(INTERNAL_KINDS)] if not jobs.empty else jobs
        return internal_problem(
            self.errors_by_class[ErrorClass.INTERNAL],
            [_failing_job(row) for row in named.to_dict("records")],
        )


_QUEUE = """
SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'running') AS running,
       count(*) FILTER (WHERE state = 'pending' AND error_kind IS NOT NULL) AS retrying,
       min(created_at) AS oldest_open, min(run_after) FILTER (WHERE state = 'pending') AS next_due,
       (SELECT count(*) FROM jobs WHERE state = 'done'
          AND finished_at >= now() - interval '1 hour') AS done_last_hour,
       extract(epoch FROM now())::float8 AS now_epoch
FROM jobs WHERE state <> 'done'
"""
_ERRORS = """
SELECT error_kind, count(*) AS n FROM jobs
WHERE state <> 'done' AND error_kind IS NOT NULL GROUP BY error_kind ORDER BY n DESC
"""
_QUEUE_FIELDS = ("pending", "running", "retrying", "oldest_open", "next_due", "done_last_hour")
JOB_COLUMNS = (
    "project",
    "version",
    "filename",
    "reason",
    "attempts",
    "error_kind",
    "last_error",
    "run_after",
)
# Internal errors (bugs) first: they are the ones nobody but us can fix.
_FAILING_JOBS = f"""
SELECT {", ".join(JOB_COLUMNS)} FROM jobs
WHERE state <> 'done' AND error_kind IS NOT NULL
ORDER BY error_kind = ANY($1::text[]) DESC, attempts DESC, run_after LIMIT 50
"""
SOURCE_COLUMNS = (
    "source",
    "last_attempt_at",
    "last_success_at",
    "last_error_at",
    "consecutive_failures",
    "upstream_serial",
    "last_error",
)
_CURSOR = "SELECT serial, updated_at FROM collector_cursor WHERE name = 'changelog'"
_SOURCES = "SELECT * FROM collector_health ORDER BY source"
_OUTBOX = """
SELECT state, count(*) AS n FROM alert_outbox
WHERE state IN ('pending', 'sending', 'dead') GROUP BY state
"""
DELIVERY_COLUMNS = (
    "subscription",
    "channel",
    "project",
    "version",
    "check_id",
    "state",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
)
_FAILED_DELIVERIES = """
SELECT s.name AS subscription, s.channel, f.project, f.version, f.check_id, o.state, o.attempts,
       o.last_error, o.created_at, o.next_attempt_at
FROM alert_outbox o
JOIN subscriptions s ON s.id = o.subscription_id
JOIN findings f ON f.id = o.finding_id
WHERE o.state = 'dead' OR (o.state IN ('pending', 'sending') AND o.attempts > 0)
ORDER BY o.state = 'dead' DESC, o.id DESC LIMIT 50
"""


async def fetch_health(pool: Pool) -> Health:
    async with asyncio.TaskGroup() as group:
        cursor_task = group.create_task(pool.fetchrow(_CURSOR))
        sources_task = group.create_task(pool.fetch(_SOURCES))
        queue_task = group.create_task(pool.fetchrow(_QUEUE))
        errors_task = group.create_task(pool.fetch(_ERRORS))
        failing_task = group.create_task(pool.fetch(_FAILING_JOBS, list(INTERNAL_KINDS)))
        outbox_task = group.create_task(pool.fetch(_OUTBOX))
        deliveries_task = group.create_task(pool.fetch(_FAILED_DELIVERIES))
    cursor, sources, queue = cursor_task.result(), sources_task.result(), queue_task.result()
    errors, failing, outbox = errors_task.result(), failing_task.result(), outbox_task.result()
    deliveries = deliveries_task.result()
    assert queue is not None
    serial = None if cursor is None else int(cursor["serial"])
    source_health = [_source_health(row) for row in sources]
    lag = changelog_lag(source_health, serial, float(queue["now_epoch"]))
    delivery_frame = frame(deliveries, DELIVERY_COLUMNS)
    delivery_frame["last_error"] = delivery_frame["last_error"].map(
        lambda e: redact_urls(e) if isinstance(e, str) else e
    )
    return Health(
        cursor_serial=serial,
        cursor_updated_at=None if cursor is None else cursor["updated_at"],
        pypi_last_serial=lag.pypi_last_serial,
        lag_events=lag.events,
        lag_seconds=lag.seconds,
        queue={k: queue[k] for k in _QUEUE_FIELDS},
        errors_by_kind={row["error_kind"]: int(row["n"]) for row in errors},
        sources=frame(sources, SOURCE_COLUMNS),
        failing_jobs=frame(failing, JOB_COLUMNS),
        outbox={row["state"]: int(row["n"]) for row in outbox},
        failed_deliveries=delivery_frame,
        problems=tuple(check_sources(source_health)),
    )


def _failing_job(row: dict[Any, Any]) -> FailingJob:
    return FailingJob(
        kind="release" if row["filename"] is None else "artifact",
        project=row["project"],
        version=row["version"],
        filename=row["filename"],
        error_kind=row["error_kind"],
        last_error=row["last_error"] or "",
        attempts=int(row["attempts"]),
    )


def _source_health(row: asyncpg.Record) -> SourceHealth:
    return SourceHealth(**{f.name: row[f.name] for f in fields(SourceHealth)})


async def fetch_index_blocks(pool: Pool, since: datetime) -> list[BlockedRelease]:
    """What the vetted index kept out since `since` (Health)."""
    async with pool.acquire() as conn:
        return await fetch_recent_blocks(conn, since)
