"""Reports to PyPI in the store: what a report is built from, and the one row per reported release.

A release is never submitted twice: `claim_report` commits 'sending' durably before the request
leaves, and a release already 'submitted' or 'sending' is never claimed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector.reports.build import FileRef, Report, ReportFinding
from collector.store import PgConnection


@dataclass(frozen=True, slots=True)
class ReportState:
    """Where an earlier report of a release got to."""

    status: str  # prepared, sending, submitted, failed
    submitted_at: datetime | None
    created_at: datetime


async def fetch_release_id(conn: PgConnection, project: str, version: str) -> int | None:
    value = await conn.fetchval(
        "SELECT id FROM releases WHERE project = $1 AND version = $2", project, version
    )
    return None if value is None else int(value)


async def fetch_report_state(conn: PgConnection, release_id: int) -> ReportState | None:
    row = await conn.fetchrow(
        "SELECT status, submitted_at, created_at FROM reports WHERE release_id = $1", release_id
    )
    return None if row is None else ReportState(**dict(row))


async def fetch_report_findings(conn: PgConnection, release_id: int) -> list[ReportFinding]:
    """Every finding on the release, as a report quotes it."""
    rows = await conn.fetch(
        "SELECT check_id, severity::text AS severity, score, summary, evidence FROM findings "
        "WHERE release_id = $1",
        release_id,
    )
    return [
        ReportFinding(r["check_id"], r["severity"], r["score"], r["summary"], r["evidence"])
        for r in rows
    ]


async def fetch_report_files(conn: PgConnection, release_id: int) -> list[FileRef]:
    rows = await conn.fetch(
        "SELECT filename, url, packagetype FROM files WHERE release_id = $1", release_id
    )
    return [FileRef(r["filename"], r["url"] or "", r["packagetype"] or "") for r in rows]


_UPSERT = """
INSERT INTO reports (release_id, project, version, kind, summary, inspector_url, status, actor, submit_url, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (release_id) DO UPDATE SET
    kind = EXCLUDED.kind, summary = EXCLUDED.summary, inspector_url = EXCLUDED.inspector_url,
    status = EXCLUDED.status, actor = EXCLUDED.actor, submit_url = EXCLUDED.submit_url,
    attempts = reports.attempts + EXCLUDED.attempts, last_error = NULL
WHERE reports.status NOT IN ('submitted', 'sending')
RETURNING id
"""


async def record_report(
    conn: PgConnection,
    release_id: int,
    report: Report,
    status: str,
    actor: str,
    form: str,
    attempts: int = 0,
) -> bool:
    """Insert or update the release's report row; False when it is already submitted or
    being sent."""
    row = await conn.fetchval(
        _UPSERT,
        release_id,
        report.project,
        report.version,
        report.kind,
        report.summary,
        report.inspector_url,
        status,
        actor,
        form,
        attempts,
    )
    return row is not None


async def claim_report(
    conn: PgConnection, release_id: int, report: Report, actor: str, form: str
) -> bool:
    """Commit 'sending' durably before the request leaves: the at-most-once point. False when
    the release is already submitted or being sent."""
    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = on")
        return await record_report(conn, release_id, report, "sending", actor, form, attempts=1)


async def finish_report(
    conn: PgConnection,
    release_id: int,
    status: str,
    http_status: int | None,
    body: Any,
    error: str | None,
) -> None:
    """What PyPI answered: submitted (with its time) or failed, and the response kept."""
    await conn.execute(
        "UPDATE reports SET status = $2, http_status = $3, response = $4, last_error = $5, "
        "submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END "
        "WHERE release_id = $1",
        release_id,
        status,
        http_status,
        body if isinstance(body, dict) else {"body": body},
        error,
    )
