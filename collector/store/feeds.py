"""What RSS and reconciliation add to the store: sightings, new releases and their jobs.

Neither ever moves the changelog cursor; they only make releases known sooner (RSS) or repair
what the changelog missed (reconciliation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.store import PgConnection
from collector.store.jobs import JobRequest, enqueue_jobs


@dataclass(frozen=True, slots=True)
class Sighting:
    project: str  # normalized
    name: str  # display
    version: str | None  # None: the project only


_INSERT_PROJECTS = """
INSERT INTO projects (normalized, name)
SELECT DISTINCT ON (project) project, name FROM unnest($1::text[], $2::text[]) AS t(project, name)
ORDER BY project
ON CONFLICT (normalized) DO NOTHING
"""

_INSERT_RELEASES = """
WITH input AS (
    SELECT DISTINCT project, version FROM unnest($1::text[], $2::text[]) AS t(project, version)
), inserted AS (
    INSERT INTO releases (project, version, first_seen_source)
    SELECT project, version, $3 FROM input ORDER BY project, version
    ON CONFLICT (project, version) DO NOTHING
    RETURNING id, project, version
), sighted AS (
    INSERT INTO release_sightings (release_id, source)
    SELECT r.id, $3 FROM input JOIN releases r USING (project, version)
    UNION ALL SELECT id, $3 FROM inserted
    ON CONFLICT DO NOTHING
)
SELECT project, version FROM inserted
"""


async def record_sightings(
    conn: PgConnection, sightings: Sequence[Sighting], source: str, min_serial: int = 0
) -> list[tuple[str, str]]:
    """Record what a source saw; releases new to us get a job. Returns the new releases."""
    if not sightings:
        return []
    async with conn.transaction():
        await conn.execute(
            _INSERT_PROJECTS, [s.project for s in sightings], [s.name for s in sightings]
        )
        releases = [s for s in sightings if s.version]
        if not releases:
            return []
        rows = await conn.fetch(
            _INSERT_RELEASES,
            [s.project for s in releases],
            [s.version for s in releases],
            source,
        )
        new = [(row["project"], row["version"]) for row in rows]
        await enqueue_jobs(conn, [JobRequest(p, v, min_serial, source) for p, v in new])
    return new


async def load_feed_etag(conn: PgConnection, feed: str) -> str | None:
    etag = await conn.fetchval("SELECT etag FROM feed_state WHERE feed = $1", feed)
    return None if etag is None else str(etag)


async def save_feed_state(conn: PgConnection, feed: str, etag: str | None, changed: bool) -> None:
    await conn.execute(
        """
        INSERT INTO feed_state (feed, etag, polled_at, changed_at)
        VALUES ($1, $2, now(), CASE WHEN $3 THEN now() END)
        ON CONFLICT (feed) DO UPDATE SET
            etag = COALESCE(EXCLUDED.etag, feed_state.etag), polled_at = now(),
            changed_at = CASE WHEN $3 THEN now() ELSE feed_state.changed_at END
        """,
        feed,
        etag,
        changed,
    )


async def known_versions(conn: PgConnection, project: str) -> set[str]:
    rows = await conn.fetch("SELECT version FROM releases WHERE project = $1", project)
    return {row["version"] for row in rows}


async def project_serials(conn: PgConnection) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT normalized, last_serial FROM projects WHERE last_serial IS NOT NULL"
    )
    return {row["normalized"]: int(row["last_serial"]) for row in rows}


async def raise_project_serial(conn: PgConnection, project: str, serial: int) -> None:
    await conn.execute(
        "UPDATE projects SET last_serial = GREATEST(last_serial, $2) WHERE normalized = $1",
        project,
        serial,
    )
