"""Read-only queries behind `pypi-sentinel status`: the cursor and row counts."""

from __future__ import annotations

from dataclasses import dataclass

from collector.store import PgConnection
from collector.store.migrate import current_version

CHANGELOG_CURSOR = "changelog"

_COUNTS = """
SELECT
    (SELECT count(*) FROM changelog_events)                          AS changelog_events,
    (SELECT count(*) FROM projects)                                  AS projects,
    (SELECT count(*) FROM releases)                                  AS releases,
    (SELECT count(*) FROM files)                                     AS files,
    (SELECT count(*) FROM findings)                                  AS findings,
    (SELECT count(*) FROM triage_verdicts)                           AS triage_verdicts,
    (SELECT count(*) FROM subscriptions)                             AS subscriptions,
    (SELECT count(*) FROM alert_outbox WHERE state IN ('pending', 'sending')) AS alerts_pending,
    (SELECT count(*) FROM alert_outbox WHERE state = 'dead')         AS alerts_dead,
    (SELECT count(*) FROM reports)                                   AS reports
"""

_FINDINGS_BY_SEVERITY = """
SELECT s.severity::text AS severity, count(f.id) AS n
FROM unnest(enum_range(NULL::severity)) AS s(severity)
LEFT JOIN findings f ON f.severity = s.severity
GROUP BY s.severity ORDER BY s.severity
"""


@dataclass(frozen=True, slots=True)
class StoreStatus:
    server_version: str
    schema_version: int
    cursor_serial: int | None
    counts: dict[str, int]
    findings_by_severity: dict[str, int]


async def fetch_status(conn: PgConnection) -> StoreStatus:
    counts = await conn.fetchrow(_COUNTS)
    assert counts is not None
    by_severity = await conn.fetch(_FINDINGS_BY_SEVERITY)
    return StoreStatus(
        server_version=str(await conn.fetchval("SHOW server_version")),
        schema_version=await current_version(conn),
        cursor_serial=await fetch_cursor(conn),
        counts={key: int(value) for key, value in counts.items()},
        findings_by_severity={row["severity"]: int(row["n"]) for row in by_severity},
    )


async def fetch_cursor(conn: PgConnection, name: str = CHANGELOG_CURSOR) -> int | None:
    serial = await conn.fetchval("SELECT serial FROM collector_cursor WHERE name = $1", name)
    return None if serial is None else int(serial)
