"""Findings from public reports in the store: the stored releases an OSV record may name, the
`known.*` findings already made from records, and the lead-time figures (our verdict before
the report)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from analysis.known import MALICIOUS, LeadTimes, lead_time
from analysis.model import Finding
from collector.store import PgConnection
from collector.store.artifacts import ReleaseRef
from collector.store.releases import findings_json


async def fetch_stored_releases(
    conn: PgConnection, projects: Sequence[str]
) -> dict[str, list[ReleaseRef]]:
    """Every stored release of these projects, by project."""
    rows = await conn.fetch(
        "SELECT id, project, version FROM releases WHERE project = ANY($1::text[]) ORDER BY id",
        sorted(set(projects)),
    )
    found: dict[str, list[ReleaseRef]] = {}
    for row in rows:
        found.setdefault(row["project"], []).append(
            ReleaseRef(row["id"], row["project"], row["version"])
        )
    return found


@dataclass(frozen=True, slots=True)
class KnownFinding:
    """A `known.*` finding made from one advisory on one stored release."""

    finding_id: int
    release: ReleaseRef
    check_id: str
    advisory_id: str


async def fetch_known_findings(
    conn: PgConnection, advisory_ids: Sequence[str]
) -> list[KnownFinding]:
    rows = await conn.fetch(
        """
        SELECT f.id, f.release_id, f.project, f.version, f.check_id, f.fingerprint
          FROM findings f
         WHERE f.check_id LIKE 'known.%' AND f.fingerprint = ANY($1::text[])
         ORDER BY f.id
        """,
        list(advisory_ids),
    )
    return [
        KnownFinding(
            row["id"],
            ReleaseRef(row["release_id"], row["project"], row["version"]),
            row["check_id"],
            row["fingerprint"],
        )
        for row in rows
    ]


async def save_known_finding(
    conn: PgConnection, release: ReleaseRef, finding: Finding
) -> tuple[int, bool]:
    """Store (or refresh) one finding; its id, and whether it is new."""
    row = await conn.fetchrow(
        """
        INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity,
                              score, summary, target, evidence)
        SELECT $1, $2, $3, g.check_id, g.fingerprint, g.severity::severity, g.score, g.summary,
               g.target, g.evidence
          FROM jsonb_to_recordset($4::jsonb)
            AS g(check_id text, fingerprint text, severity text, score smallint, summary text,
                 target text, evidence jsonb)
        ON CONFLICT (release_id, check_id, fingerprint) DO UPDATE SET
            severity = EXCLUDED.severity, score = EXCLUDED.score, summary = EXCLUDED.summary,
            evidence = EXCLUDED.evidence, last_seen_at = now()
        RETURNING id, (xmax = 0) AS created
        """,
        release.release_id,
        release.project,
        release.version,
        findings_json([finding]),
    )
    assert row is not None  # an upsert always returns its row
    return int(row["id"]), bool(row["created"])


async def withdraw_findings(conn: PgConnection, finding_ids: Sequence[int]) -> None:
    """Findings of records that no longer hold (withdrawn, or the range moved away): kept for
    the record (alerts and triage may point at them) but at info, where they weigh nothing."""
    await conn.execute(
        """
        UPDATE findings
           SET severity = 'info', score = 0, last_seen_at = now(),
               summary = CASE WHEN summary LIKE 'Withdrawn: %' THEN summary
                              ELSE 'Withdrawn: ' || summary END,
               evidence = evidence || '{"withdrawn": true}'::jsonb
         WHERE id = ANY($1::bigint[])
        """,
        list(finding_ids),
    )


async def fetch_lead_times(conn: PgConnection, since: datetime | None = None) -> LeadTimes:
    """One row per reported release (its earliest report)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (f.release_id) r.flagged_at, f.first_seen_at AS reported_at,
               (f.evidence->>'published')::timestamptz AS published
          FROM findings f JOIN releases r ON r.id = f.release_id
         WHERE f.check_id = $1 AND ($2::timestamptz IS NULL OR f.first_seen_at >= $2)
         ORDER BY f.release_id, (f.evidence->>'published')::timestamptz NULLS LAST
        """,
        MALICIOUS,
        since,
    )
    leads, first = [], 0
    for row in rows:
        flagged_first = row["flagged_at"] is not None and row["flagged_at"] < row["reported_at"]
        first += flagged_first
        lead = lead_time(row["flagged_at"], row["published"], row["reported_at"])
        if lead is not None:
            leads.append(lead)
    return LeadTimes(len(rows), first, tuple(leads))
