"""Reading findings back: for `pypi-sentinel findings`, the feed and the metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
class FindingFilter:
    since: datetime | None = None
    min_severity: str = "info"
    check: str | None = None  # an id, or a prefix such as "typosquat."
    project: str | None = None  # the release's project, or the project it imitates
    limit: int | None = None


async def iter_findings(
    conn: PgConnection, filters: FindingFilter
) -> AsyncIterator[dict[str, Any]]:
    """Newest first, each with its release's triage status and report (a transaction must be open)."""
    limit = filters.limit if filters.limit is not None else 2**62
    cursor = conn.cursor(
        _FINDINGS, filters.since, filters.min_severity, filters.check, filters.project, limit
    )
    async for row in cursor:
        yield dict(row)
