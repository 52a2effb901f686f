"""The stored copy of OSV's PyPI advisories: saved whole by `modified`, looked up by project."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analysis.known import LeadTimes
from analysis.osv import Advisory, parse_advisory
from collector.store import PgConnection
from collector.store.known import fetch_lead_times


@dataclass(frozen=True, slots=True)
class SyncCounts:
    """What one sync of one source did."""

    records: int  # well-formed records read from the source
    added: int
    updated: int
    malformed: int


@dataclass(frozen=True, slots=True)
class LastSync:
    source: str
    finished_at: datetime
    records: int
    added: int
    updated: int
    malformed: int


async def fetch_modified(conn: PgConnection) -> dict[str, datetime]:
    """Every stored advisory's `modified`: what an incremental sync compares against."""
    rows = await conn.fetch("SELECT id, modified FROM osv_advisories")
    return {row["id"]: row["modified"] for row in rows}


_UPSERT = """
INSERT INTO osv_advisories (id, modified, withdrawn, malicious, aliases, summary, record)
SELECT t.id, t.modified, t.withdrawn, t.malicious, t.aliases, t.summary, t.record
FROM jsonb_to_recordset($1::jsonb) AS t(
    id text, modified timestamptz, withdrawn timestamptz, malicious boolean, aliases text[],
    summary text, record jsonb)
ON CONFLICT (id) DO UPDATE SET
    modified = EXCLUDED.modified, withdrawn = EXCLUDED.withdrawn,
    malicious = EXCLUDED.malicious, aliases = EXCLUDED.aliases, summary = EXCLUDED.summary,
    record = EXCLUDED.record, synced_at = now()
"""
_CLEAR_AFFECTED = "DELETE FROM osv_affected WHERE advisory_id = ANY($1::text[])"
_ADD_AFFECTED = """
INSERT INTO osv_affected (project, advisory_id)
SELECT DISTINCT t.project, t.advisory_id
FROM unnest($1::text[], $2::text[]) AS t(project, advisory_id)
"""


async def save_advisories(
    conn: PgConnection, advisories: Sequence[tuple[Advisory, Mapping[str, Any]]]
) -> None:
    """Store advisories (each with the record it was parsed from) and the projects they name,
    replacing earlier versions whole; the caller holds the transaction."""
    if not advisories:
        return
    rows = [_row(advisory, record) for advisory, record in advisories]
    ids = [advisory.id for advisory, _ in advisories]
    pairs = [(project, advisory.id) for advisory, _ in advisories for project in advisory.projects]
    await conn.execute(_UPSERT, rows)
    await conn.execute(_CLEAR_AFFECTED, ids)
    await conn.execute(_ADD_AFFECTED, [p for p, _ in pairs], [a for _, a in pairs])


def _row(advisory: Advisory, record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": advisory.id,
        "modified": advisory.modified.isoformat(),
        "withdrawn": advisory.withdrawn.isoformat() if advisory.withdrawn else None,
        "malicious": advisory.malicious,
        "aliases": list(advisory.aliases),
        "summary": advisory.summary,
        "record": dict(record),
    }


async def record_sync(
    conn: PgConnection, source: str, started_at: datetime, counts: SyncCounts
) -> None:
    await conn.execute(
        """
        INSERT INTO osv_syncs (source, started_at, records, added, updated, malformed)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        source,
        started_at,
        counts.records,
        counts.added,
        counts.updated,
        counts.malformed,
    )


async def fetch_last_sync(conn: PgConnection, source: str | None = None) -> LastSync | None:
    """The latest sync (of `source`, or of any source)."""
    row = await conn.fetchrow(
        """
        SELECT source, finished_at, records, added, updated, malformed
        FROM osv_syncs WHERE $1::text IS NULL OR source = $1
        ORDER BY finished_at DESC, id DESC LIMIT 1
        """,
        source,
    )
    return LastSync(**dict(row)) if row is not None else None


@dataclass(frozen=True, slots=True)
class OsvStatus:
    vulnerabilities: int
    malicious: int
    last_sync: LastSync | None
    leads: LeadTimes  # stored releases reported malicious, and our lead over the reports


async def fetch_osv_status(conn: PgConnection) -> OsvStatus:
    vulnerabilities, malicious = await count_advisories(conn)
    last, leads = await fetch_last_sync(conn), await fetch_lead_times(conn)
    return OsvStatus(vulnerabilities, malicious, last, leads)


async def count_advisories(conn: PgConnection) -> tuple[int, int]:
    """Stored advisories: (known vulnerabilities, known-malicious records)."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE NOT malicious) AS vulns, "
        "count(*) FILTER (WHERE malicious) AS malicious FROM osv_advisories"
    )
    assert row is not None
    return int(row["vulns"]), int(row["malicious"])


async def fetch_advisories(
    conn: PgConnection, projects: Sequence[str], *, malicious_only: bool = False
) -> list[Advisory]:
    """Every stored advisory naming any of `projects` (PEP 503 names), withdrawn ones included
    (matching ignores them, a report may still show them); only known-malware records when
    `malicious_only` (what analysing a new release looks up)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT a.id, a.record FROM osv_advisories a
        JOIN osv_affected f ON f.advisory_id = a.id
        WHERE f.project = ANY($1::text[]) AND (a.malicious OR NOT $2::boolean)
        ORDER BY a.id
        """,
        list(projects),
        malicious_only,
    )
    return [parse_advisory(row["record"]) for row in rows]
