"""What the vetted index reads about one project's releases: our verdicts, status, upload times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analysis.model import Severity
from collector.store import PgConnection
from collector.store.listing import EFFECTIVE_STATUS


@dataclass(frozen=True, slots=True)
class ReleaseStanding:
    version: str
    severity: Severity | None  # None until the release was analysed
    status: str
    uploaded_at: datetime | None


_RELEASES = f"""
SELECT r.version, r.risk_severity::text AS severity, {EFFECTIVE_STATUS} AS status, r.uploaded_at
FROM releases r JOIN projects p ON p.normalized = r.project
WHERE r.project = $1
"""


async def fetch_release_standings(conn: PgConnection, project: str) -> list[ReleaseStanding]:
    """Every release of `project` the store holds, analysed or not, in one query."""
    return [
        ReleaseStanding(
            version=row["version"],
            severity=Severity.parse(row["severity"]) if row["severity"] else None,
            status=row["status"],
            uploaded_at=row["uploaded_at"],
        )
        for row in await conn.fetch(_RELEASES, project)
    ]
