"""Reading findings back: for `pypi-sentinel findings`, the feed, the metrics and `audit`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analysis.model import Severity
from collector.store import PgConnection

_FINDINGS = """
SELECT f.id, f.project, f.version, f.check_id, f.severity::text AS severity, f.score, f.summary,
       f.evidence, f.target, f.first_seen_at, f.last_seen_at, f.release_id,
       COALESCE(t.verdict, 'new') AS status, t.actor AS triaged_by, t.created_at AS triaged_at,
       rep.status AS report_status, rep.kind AS report_kind, rep.submitted_at AS reported_at
FROM findings f
LEFT JOIN LATERAL (
    SELECT verdict, actor, created_at FROM triage_verdicts
    WHERE release_id = f.release_id ORDER BY created_at DESC, id DESC LIMIT 1
) t ON true
LEFT JOIN reports rep ON rep.release_id = f.release_id
WHERE ($1::timestamptz IS NULL OR f.first_seen_at >= $1)
  AND f.severity >= $2::severity
  AND ($3::text IS NULL OR f.check_id = $3 OR f.check_id LIKE $3 || '%')
  AND ($4::text IS NULL OR f.project = $4 OR f.target = $4)
ORDER BY f.first_seen_at DESC, f.id DESC
LIMIT $5
"""


@dataclass(frozen=True, slots=True)
class ExportFilter:
    since: datetime | None = None
    min_severity: str = "info"
    check: str | None = None  # an id, or a prefix such as "typosquat."
    project: str | None = None  # the release's project, or the project it imitates
    limit: int | None = None


async def iter_findings(conn: PgConnection, filters: ExportFilter) -> AsyncIterator[dict[str, Any]]:
    """Newest first, each with its release's triage status and report (a transaction must be open)."""
    limit = filters.limit if filters.limit is not None else 2**62
    cursor = conn.cursor(
        _FINDINGS, filters.since, filters.min_severity, filters.check, filters.project, limit
    )
    async for row in cursor:
        yield dict(row)


# The latest finding of each check on each release of the audited projects, worst first: by the
# enum (findings.severity), not the text column of the same name, which sorts "medium" first.
# Findings made from OSV records are left out: the audit matches the records against the pinned
# version itself (a vulnerability of another release is not this dependency's).
_AUDITED_FINDINGS = """
SELECT project, version, check_id, severity::text AS severity, score, summary, target,
       first_seen_at
  FROM findings
 WHERE project = ANY($1::text[]) AND check_id NOT LIKE 'known.%'
 ORDER BY project, findings.severity DESC, score DESC, first_seen_at DESC
"""


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding the collector stored on one release of a dependency."""

    project: str
    version: str
    check_id: str
    severity: Severity
    score: int
    summary: str
    target: str | None
    first_seen_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "check_id": self.check_id,
            "severity": self.severity.label,
            "score": self.score,
            "summary": self.summary,
            "target": self.target,
            "first_seen_at": self.first_seen_at,
        }


async def fetch_stored_findings(
    conn: PgConnection, projects: Sequence[str]
) -> dict[str, list[StoredFinding]]:
    found: dict[str, list[StoredFinding]] = {}
    for row in await conn.fetch(_AUDITED_FINDINGS, list(projects)):
        finding = StoredFinding(
            project=row["project"],
            version=row["version"],
            check_id=row["check_id"],
            severity=Severity.parse(row["severity"]),
            score=row["score"],
            summary=row["summary"],
            target=row["target"],
            first_seen_at=row["first_seen_at"],
        )
        found.setdefault(finding.project, []).append(finding)
    return found
