"""Reading releases back for `pypi-sentinel releases`: every release ever seen, with its files.

Streams in chunks through a server-side cursor so a store of millions of releases can be
listed in constant memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector.store import PgConnection

EFFECTIVE_STATUS = """
CASE WHEN p.status = 'removed' OR r.status = 'removed' THEN 'removed'
     WHEN p.status = 'quarantined' OR r.status = 'quarantined' THEN 'quarantined'
     WHEN r.status = 'yanked' THEN 'yanked'
     ELSE 'active' END
"""

_RELEASES = f"""
SELECT r.id, r.project, p.name AS display_name, r.version, r.serial, {EFFECTIVE_STATUS} AS status,
       r.first_seen_at, r.first_seen_source, r.fetched_at, r.uploaded_at, r.summary,
       r.risk_score, r.risk_severity::text AS risk_severity, r.yanked_reason
FROM releases r JOIN projects p ON p.normalized = r.project
WHERE ($1::text IS NULL OR r.project = $1)
  AND ($2::timestamptz IS NULL OR r.first_seen_at >= $2)
  AND ($3::text IS NULL OR {EFFECTIVE_STATUS} = $3)
ORDER BY r.first_seen_at DESC, r.id DESC
LIMIT $4
"""

_FILES = """
SELECT release_id, filename, url, packagetype, python_version, requires_python, size, sha256,
       blake2b_256, md5, uploaded_at, yanked, status, serial
FROM files WHERE release_id = ANY($1::bigint[]) ORDER BY release_id, filename
"""


@dataclass(frozen=True, slots=True)
class ReleaseFilter:
    project: str | None = None
    since: datetime | None = None
    status: str | None = None
    limit: int | None = None


async def iter_releases(
    conn: PgConnection, filters: ReleaseFilter, chunk: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Releases newest first, each a dict with its `files` list (a transaction must be open)."""
    limit = filters.limit if filters.limit is not None else 2**62
    cursor = conn.cursor(_RELEASES, filters.project, filters.since, filters.status, limit)
    batch: list[dict[str, Any]] = []
    async for row in cursor:
        batch.append(dict(row))
        if len(batch) >= chunk:
            for item in await _with_files(conn, batch):
                yield item
            batch = []
    for item in await _with_files(conn, batch):
        yield item


async def _with_files(conn: PgConnection, releases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not releases:
        return []
    rows = await conn.fetch(_FILES, [r["id"] for r in releases])
    files: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        item = dict(row)
        files.setdefault(item.pop("release_id"), []).append(item)
    for release in releases:
        release["files"] = files.get(release["id"], [])
    return releases
