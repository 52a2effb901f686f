"""Storing changelog pages: events once, their effects, new jobs, and the cursor, in one transaction.

The cursor discipline of bandersnatch: the serial moves only in the transaction that stores
what it covers, and only from the value the caller read (two followers cannot both move it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collector.errors import SentinelError
from collector.pypi.changelog import ChangelogEvent, EventKind
from collector.store import PgConnection
from collector.store.jobs import JobRequest, enqueue_jobs, enqueue_unfetched

CHANGELOG_CURSOR = "changelog"


class CursorMoved(SentinelError):
    """Another process moved the changelog cursor; reload it and fetch again."""


@dataclass(frozen=True, slots=True)
class PageResult:
    stored: int  # events new to us (the rest were already stored)
    cursor: int
    jobs: int


async def load_cursor(conn: PgConnection, name: str = CHANGELOG_CURSOR) -> int | None:
    serial = await conn.fetchval("SELECT serial FROM collector_cursor WHERE name = $1", name)
    return None if serial is None else int(serial)


async def init_cursor(conn: PgConnection, serial: int, name: str = CHANGELOG_CURSOR) -> int:
    """Set the cursor if there is none yet; return the cursor in force."""
    await conn.execute(
        "INSERT INTO collector_cursor (name, serial) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        serial,
    )
    stored = await load_cursor(conn, name)
    assert stored is not None
    return stored


async def set_cursor(conn: PgConnection, serial: int, name: str) -> None:
    """Move a cursor that stands for no stored events (the reconciled index serial); the
    changelog's moves only with the page it covers (`store_page`)."""
    await conn.execute(
        "UPDATE collector_cursor SET serial = $2, updated_at = now() WHERE name = $1",
        name,
        serial,
    )


async def store_page(
    conn: PgConnection, events: Sequence[ChangelogEvent], *, expected_cursor: int
) -> PageResult:
    """Store a page read from `expected_cursor`; the cursor becomes the page's last serial."""
    if not events:
        return PageResult(0, expected_cursor, 0)
    new_cursor = max(event.serial for event in events)
    async with conn.transaction():
        current = await conn.fetchval(
            "SELECT serial FROM collector_cursor WHERE name = $1 FOR UPDATE", CHANGELOG_CURSOR
        )
        if current != expected_cursor:
            raise CursorMoved(f"cursor is {current}, expected {expected_cursor}")
        stored = await _insert_events(conn, events)
        await _apply_effects(conn, events)
        jobs = await enqueue_jobs(conn, _job_requests(events))
        for event in events:
            if event.kind is EventKind.PROJECT_QUARANTINE_CLEARED:
                jobs += await enqueue_unfetched(conn, event.normalized, event.serial)
        await conn.execute(
            "UPDATE collector_cursor SET serial = $2, updated_at = now() WHERE name = $1",
            CHANGELOG_CURSOR,
            new_cursor,
        )
    return PageResult(stored, new_cursor, jobs)


_INSERT_EVENTS = """
INSERT INTO changelog_events
    (serial, name, normalized, version, occurred_at, action, kind, filename, python_version, detail)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[])
ON CONFLICT (serial) DO NOTHING
"""


async def _insert_events(conn: PgConnection, events: Sequence[ChangelogEvent]) -> int:
    columns = list(
        zip(
            *(
                (
                    e.serial,
                    e.name,
                    e.normalized,
                    e.version,
                    e.occurred_at,
                    e.action,
                    e.kind.value,
                    e.parsed.filename,
                    e.parsed.python_version,
                    dict(e.parsed.detail) if e.parsed.detail else None,
                )
                for e in events
            ),
            strict=True,
        )
    )
    status = await conn.execute(_INSERT_EVENTS, *columns)
    return int(status.rsplit(" ", 1)[-1])


_UPSERT_PROJECTS = """
INSERT INTO projects (normalized, name, last_serial)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT (normalized) DO UPDATE
    SET name = EXCLUDED.name,
        last_serial = GREATEST(projects.last_serial, EXCLUDED.last_serial),
        updated_at = now()
"""

_UPSERT_RELEASES = """
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(project, version, serial)
), upserted AS (
    INSERT INTO releases (project, version, serial, first_seen_source)
    SELECT project, version, serial, 'changelog' FROM input
    ON CONFLICT (project, version) DO UPDATE
        SET serial = COALESCE(releases.serial, EXCLUDED.serial)
    RETURNING id
)
INSERT INTO release_sightings (release_id, source)
SELECT id, 'changelog' FROM upserted
ON CONFLICT DO NOTHING
"""

_INSERT_FILES = """
INSERT INTO files (release_id, filename, python_version, serial)
SELECT r.id, t.filename, t.python_version, t.serial
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
     AS t(project, version, filename, python_version, serial)
JOIN releases r ON r.project = t.project AND r.version = t.version
ON CONFLICT (filename) DO NOTHING
"""


async def _apply_effects(conn: PgConnection, events: Sequence[ChangelogEvent]) -> None:
    # Every multi-row write goes in name order, as the other writers' do: concurrent
    # transactions then take row locks in the same order and cannot deadlock.
    latest: dict[str, ChangelogEvent] = {}
    for event in events:  # sorted by serial: the last one names the project
        latest[event.normalized] = event
    latest = dict(sorted(latest.items()))
    await conn.execute(
        _UPSERT_PROJECTS,
        list(latest),
        [e.name for e in latest.values()],
        [e.serial for e in latest.values()],
    )
    releases: dict[tuple[str, str], int] = {}
    for event in events:
        if event.version and event.kind in _RELEASE_KINDS:
            releases.setdefault((event.normalized, event.version), event.serial)
    if releases:
        keys = sorted(releases)
        await conn.execute(
            _UPSERT_RELEASES,
            [k[0] for k in keys],
            [k[1] for k in keys],
            [releases[k] for k in keys],
        )
    files = sorted(
        (e for e in events if e.kind is EventKind.ADD_FILE and e.version),
        key=lambda e: (e.normalized, e.version or "", e.parsed.filename or ""),
    )
    if files:
        await conn.execute(
            _INSERT_FILES,
            [e.normalized for e in files],
            [e.version for e in files],
            [e.parsed.filename for e in files],
            [e.parsed.python_version for e in files],
            [e.serial for e in files],
        )
    for event in events:
        change = _state_change(event)
        if change is not None:
            await conn.execute(*change)


# Every event that names a release makes sure the release exists, even a removal we see first.
_RELEASE_KINDS = frozenset(
    {
        EventKind.NEW_RELEASE,
        EventKind.ADD_FILE,
        EventKind.REMOVE_FILE,
        EventKind.REMOVE_RELEASE,
        EventKind.YANK,
        EventKind.UNYANK,
        EventKind.RELEASE_QUARANTINED,
        EventKind.RELEASE_QUARANTINE_CLEARED,
    }
)

_SET_RELEASE_STATUS = """
UPDATE releases SET status = $3, status_changed_at = now()
WHERE project = $1 AND version = $2 AND status = ANY($4::text[])
"""
_SET_PROJECT_STATUS = """
UPDATE projects SET status = $2, updated_at = now() WHERE normalized = $1 AND status = ANY($3::text[])
"""
_PROJECT_CREATED = """
UPDATE projects SET status = 'active', created_serial = COALESCE(created_serial, $2)
WHERE normalized = $1
"""
_FILE_REMOVED = """
INSERT INTO files (release_id, filename, status, removed_at)
SELECT id, $3, 'removed', now() FROM releases WHERE project = $1 AND version = $2
ON CONFLICT (filename) DO UPDATE SET status = 'removed', removed_at = now()
"""
_PROJECT_REMOVED = """
WITH p AS (
    UPDATE projects SET status = 'removed', updated_at = now() WHERE normalized = $1
    RETURNING normalized
)
UPDATE releases SET status = 'removed', status_changed_at = now()
FROM p WHERE releases.project = p.normalized AND releases.status <> 'removed'
"""
# Release status transitions: event -> (new status, statuses it may replace).
_RELEASE_TRANSITIONS = {
    EventKind.REMOVE_RELEASE: ("removed", ["active", "yanked", "quarantined"]),
    EventKind.YANK: ("yanked", ["active"]),
    EventKind.UNYANK: ("active", ["yanked"]),
    EventKind.RELEASE_QUARANTINED: ("quarantined", ["active", "yanked"]),
    EventKind.RELEASE_QUARANTINE_CLEARED: ("active", ["quarantined"]),
}
_PROJECT_TRANSITIONS = {
    EventKind.PROJECT_QUARANTINED: ("quarantined", ["active", "archived", "deprecated"]),
    EventKind.PROJECT_QUARANTINE_CLEARED: ("active", ["quarantined"]),
}


def _state_change(event: ChangelogEvent) -> tuple[str, *tuple[object, ...]] | None:
    """The statement and arguments that apply one state-changing event, if it is one."""
    kind = event.kind
    if kind in _RELEASE_TRANSITIONS and event.version:
        new, old = _RELEASE_TRANSITIONS[kind]
        return (_SET_RELEASE_STATUS, event.normalized, event.version, new, old)
    if kind in _PROJECT_TRANSITIONS:
        new, old = _PROJECT_TRANSITIONS[kind]
        return (_SET_PROJECT_STATUS, event.normalized, new, old)
    if kind is EventKind.CREATE:
        return (_PROJECT_CREATED, event.normalized, event.serial)
    if kind is EventKind.REMOVE_PROJECT:
        return (_PROJECT_REMOVED, event.normalized)
    if kind is EventKind.REMOVE_FILE and event.parsed.filename and event.version:
        return (_FILE_REMOVED, event.normalized, event.version, event.parsed.filename)
    return None


def _job_requests(events: Sequence[ChangelogEvent]) -> list[JobRequest]:
    """One request per release: its newest serial in the page and why it needs a fetch."""
    wanted: dict[tuple[str, str], JobRequest] = {}
    for event in events:
        if not event.version:
            continue
        reason = _JOB_REASONS.get(event.kind)
        if reason is not None:
            key = (event.normalized, event.version)
            wanted[key] = JobRequest(event.normalized, event.version, event.serial, reason)
    return list(wanted.values())


_JOB_REASONS = {
    EventKind.NEW_RELEASE: "new release",
    EventKind.ADD_FILE: "add file",
    EventKind.RELEASE_QUARANTINE_CLEARED: "quarantine cleared",
    EventKind.UNYANK: "unyank",
}
