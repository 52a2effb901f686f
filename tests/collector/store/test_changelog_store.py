"""Changelog pages stored once with their effects, jobs and cursor in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from collector.pypi.changelog import parse_changelog_rows
from collector.store.changelog import CursorMoved, init_cursor, load_cursor, store_page
from collector.store.database import connect
from collector.store.jobs import (
    CLAIM_JOBS,
    JobRequest,
    claim_jobs,
    complete_job,
    enqueue_jobs,
    retry_job,
)


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await connect(database_url)
    yield connection
    await connection.close()


def rows(*items: tuple[str, str | None, str, int]) -> list[list[object]]:
    return [
        [name, version, 1_700_000_000 + serial, action, serial]
        for name, version, action, serial in items
    ]


async def _release_status(conn: asyncpg.Connection, project: str, version: str) -> str:
    return str(
        await conn.fetchval(
            "SELECT status FROM releases WHERE project=$1 AND version=$2", project, version
        )
    )


async def test_page_stores_events_effects_jobs_and_cursor(conn: asyncpg.Connection) -> None:
    await init_cursor(conn, 100)
    events = parse_changelog_rows(
        rows(
            ("Demo_Pkg", None, "create", 101),
            ("Demo_Pkg", None, "add Owner alice", 102),
            ("Demo_Pkg", "1.0", "new release", 103),
            ("Demo_Pkg", "1.0", "add source file demo_pkg-1.0.tar.gz", 104),
            ("Demo_Pkg", "1.0", "add py3 file demo_pkg-1.0-py3-none-any.whl", 106),  # a gap at 105
        )
    )
    result = await store_page(conn, events, expected_cursor=100)
    assert (result.stored, result.cursor, result.jobs) == (5, 106, 1)
    assert await load_cursor(conn) == 106
    project = await conn.fetchrow("SELECT * FROM projects WHERE normalized = 'demo-pkg'")
    assert project["name"] == "Demo_Pkg"
    assert project["created_serial"] == 101
    assert project["last_serial"] == 106
    release = await conn.fetchrow("SELECT * FROM releases WHERE project = 'demo-pkg'")
    assert (release["version"], release["serial"], release["first_seen_source"]) == (
        "1.0",
        103,
        "changelog",
    )
    files = await conn.fetch("SELECT filename, python_version, serial FROM files ORDER BY serial")
    assert [tuple(f) for f in files] == [
        ("demo_pkg-1.0.tar.gz", "source", 104),
        ("demo_pkg-1.0-py3-none-any.whl", "py3", 106),
    ]
    job = await conn.fetchrow("SELECT project, version, min_serial, state FROM jobs")
    assert tuple(job) == ("demo-pkg", "1.0", 106, "pending")  # one job, the newest serial
    role = await conn.fetchrow("SELECT kind, detail FROM changelog_events WHERE serial = 102")
    assert role["kind"] == "role_add"
    assert role["detail"] == {"role": "Owner", "user": "alice"}


async def test_cursor_moves_only_from_the_expected_value(conn: asyncpg.Connection) -> None:
    await init_cursor(conn, 10)
    events = parse_changelog_rows(rows(("a", "1", "new release", 11)))
    await store_page(conn, events, expected_cursor=10)
    with pytest.raises(CursorMoved):
        await store_page(conn, events, expected_cursor=10)  # a second follower with a stale view
    assert await conn.fetchval("SELECT count(*) FROM changelog_events") == 1
    assert await load_cursor(conn) == 11


async def test_a_failing_page_leaves_nothing_behind(conn: asyncpg.Connection) -> None:
    await init_cursor(conn, 10)
    await conn.execute("ALTER TABLE jobs ADD CONSTRAINT no_jobs CHECK (false) NOT VALID")
    events = parse_changelog_rows(rows(("a", "1", "new release", 11)))
    with pytest.raises(asyncpg.CheckViolationError):
        await store_page(conn, events, expected_cursor=10)
    assert await load_cursor(conn) == 10
    assert await conn.fetchval("SELECT count(*) FROM changelog_events") == 0
    assert await conn.fetchval("SELECT count(*) FROM releases") == 0


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["yank release"], "yanked"),
        (["yank release", "unyank release"], "active"),
        (["remove release"], "removed"),
        (["remove release", "unyank release"], "removed"),  # removal is final
        (["release quarantined"], "quarantined"),
        (["release quarantined", "release quarantine cleared"], "active"),
        (["yank release", "release quarantined", "release quarantine cleared"], "active"),
    ],
)
async def test_release_state_changes_apply_in_serial_order(
    conn: asyncpg.Connection, actions: list[str], expected: str
) -> None:
    await init_cursor(conn, 0)
    items = [("pkg", "1.0", "new release", 1)] + [
        ("pkg", "1.0", a, i + 2) for i, a in enumerate(actions)
    ]
    await store_page(conn, parse_changelog_rows(rows(*items)), expected_cursor=0)
    assert await _release_status(conn, "pkg", "1.0") == expected


async def test_project_removal_and_quarantine(conn: asyncpg.Connection) -> None:
    await init_cursor(conn, 0)
    page = rows(
        ("pkg", "1.0", "new release", 1),
        ("pkg", "1.1", "new release", 2),
        ("pkg", "1.1", "remove file pkg-1.1.tar.gz", 3),  # a file we never saw added
        ("pkg", None, "remove project", 4),
        ("other", "0.1", "new release", 5),
        ("other", None, "project quarantined", 6),
    )
    await store_page(conn, parse_changelog_rows(page), expected_cursor=0)
    assert await _release_status(conn, "pkg", "1.0") == "removed"
    assert await _release_status(conn, "pkg", "1.1") == "removed"
    assert await conn.fetchval("SELECT status FROM projects WHERE normalized='pkg'") == "removed"
    assert (
        await conn.fetchval("SELECT status FROM files WHERE filename='pkg-1.1.tar.gz'") == "removed"
    )
    assert (
        await conn.fetchval("SELECT status FROM projects WHERE normalized='other'") == "quarantined"
    )
    cleared = rows(("other", None, "project quarantine cleared", 7))
    result = await store_page(conn, parse_changelog_rows(cleared), expected_cursor=6)
    assert await conn.fetchval("SELECT status FROM projects WHERE normalized='other'") == "active"
    assert result.jobs == 1  # the open job from serial 5 is raised, not doubled
    assert await conn.fetchval("SELECT min_serial FROM jobs WHERE project='other'") == 7


async def test_one_open_job_per_release_and_serial_raised_while_running(
    conn: asyncpg.Connection,
) -> None:
    await enqueue_jobs(
        conn, [JobRequest("p", "1", 5, "new release"), JobRequest("p", "1", 7, "add file")]
    )
    (job,) = await claim_jobs(conn, 10, 60, "host:1")
    assert (job.min_serial, job.attempts) == (7, 1)
    # A file is added while the job runs: the open job's serial rises instead of a new job.
    await enqueue_jobs(conn, [JobRequest("p", "1", 9, "add file")])
    assert await conn.fetchval("SELECT count(*) FROM jobs") == 1
    await complete_job(conn, job.id, fetched_serial=8)  # fetched before the new file
    assert await conn.fetchval("SELECT state FROM jobs WHERE id=$1", job.id) == "pending"
    (again,) = await claim_jobs(conn, 10, 60, "host:1")
    await complete_job(conn, again.id, fetched_serial=9)
    assert await conn.fetchval("SELECT state FROM jobs WHERE id=$1", job.id) == "done"


async def test_fetched_releases_are_not_queued_again(conn: asyncpg.Connection) -> None:
    await conn.execute("INSERT INTO projects (normalized, name) VALUES ('p', 'p')")
    await conn.execute(
        "INSERT INTO releases (project, version, first_seen_source, fetched_at, fetched_serial) "
        "VALUES ('p', '1', 'rss', now(), 20)"
    )
    assert await enqueue_jobs(conn, [JobRequest("p", "1", 15, "new release")]) == 0
    assert await enqueue_jobs(conn, [JobRequest("p", "1", 0, "rss")]) == 0
    assert await enqueue_jobs(conn, [JobRequest("p", "1", 21, "add file")]) == 1


async def test_workers_in_two_connections_claim_disjoint_jobs(database_url: str) -> None:
    first, second = await connect(database_url), await connect(database_url)
    try:
        await enqueue_jobs(first, [JobRequest("p", str(i), 1, "new release") for i in range(40)])

        async def claim(conn: asyncpg.Connection) -> list[int]:
            async with conn.transaction():
                jobs = await claim_jobs(conn, 25, 60, "host:1")
                await asyncio.sleep(0.05)  # hold the row locks while the other claims
                return [j.id for j in jobs]

        a, b = await asyncio.gather(claim(first), claim(second))
        assert len(a) + len(b) == 40
        assert not set(a) & set(b)
    finally:
        await first.close()
        await second.close()


async def test_expired_lease_is_claimed_again_and_retry_waits(conn: asyncpg.Connection) -> None:
    await enqueue_jobs(conn, [JobRequest("p", "1", 1, "new release")])
    (job,) = await claim_jobs(conn, 1, 0.01, "host:1")
    await asyncio.sleep(0.05)
    (again,) = await claim_jobs(conn, 1, 60, "host:2")  # the first worker died
    assert again.id == job.id
    assert again.attempts == 2
    await retry_job(conn, job.id, kind="http", error="HTTP 503", delay_seconds=3600)
    assert await claim_jobs(conn, 1, 60, "host:2") == []  # backing off
    row = await conn.fetchrow("SELECT state, error_kind, last_error FROM jobs WHERE id=$1", job.id)
    assert tuple(row) == ("pending", "http", "HTTP 503")


def _plan_rows(node: dict[str, object]) -> Iterator[int]:
    """Rows every node of an EXPLAIN (ANALYZE, FORMAT JSON) plan produced, all loops together."""
    yield int(node["Actual Rows"]) * int(node["Actual Loops"])  # type: ignore[call-overload]
    for child in node.get("Plans", []):  # type: ignore[attr-defined]
        yield from _plan_rows(child)


async def test_a_claim_reads_only_the_jobs_it_takes(conn: asyncpg.Connection) -> None:
    """A backfill queues thousands of jobs and claims a few at a time: a claim that reads and
    sorts every open job costs milliseconds of database CPU each time."""
    await enqueue_jobs(conn, [JobRequest("p", str(i), 1, "new release") for i in range(3000)])
    await conn.execute("ANALYZE jobs")
    (plan,) = await conn.fetchval(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {CLAIM_JOBS}", 8, 60, "host:1", "release"
    )
    assert max(_plan_rows(plan["Plan"])) <= 8 + 1  # a limit node may read one row past


async def test_expired_leases_are_claimed_before_due_jobs_in_due_order(
    conn: asyncpg.Connection,
) -> None:
    await enqueue_jobs(conn, [JobRequest("p", str(i), 1, "new release") for i in range(6)])
    (stuck,) = await claim_jobs(conn, 1, 0.01, "host:1")  # the oldest due job, leased briefly
    await conn.execute(
        "UPDATE jobs SET run_after = now() - make_interval(secs => id) WHERE state = 'pending'"
    )  # the newest job is now the most overdue
    await asyncio.sleep(0.05)
    claimed = await claim_jobs(conn, 3, 60, "host:2")
    due = await conn.fetch("SELECT id FROM jobs WHERE id <> $1 ORDER BY id DESC LIMIT 2", stuck.id)
    assert {j.id for j in claimed} == {stuck.id} | {row["id"] for row in due}
