"""Storing an analysed release never depends on analysis being well-behaved."""

from __future__ import annotations

import asyncio

import asyncpg

from analysis.model import Assessment, Finding, ReleaseMetadata, ReleaseSnapshot, Severity
from collector.store.database import connect
from collector.store.releases import save_analysed_release


async def test_findings_sharing_a_check_and_fingerprint_store_as_the_strongest_row(
    conn: asyncpg.Connection,
) -> None:
    snapshot = ReleaseSnapshot("demo", "1.0", ReleaseMetadata(name="demo", version="1.0"))
    doubled = (
        Finding(
            "metadata.free-email", Severity.INFO, 5, "author at gmail.com", fingerprint="gmail.com"
        ),
        Finding(
            "metadata.free-email",
            Severity.LOW,
            20,
            "maintainer at gmail.com",
            fingerprint="gmail.com",
        ),
        Finding("metadata.free-email", Severity.INFO, 5, "at yahoo.com", fingerprint="yahoo.com"),
    )
    # Built by hand, not by combine(): what a misbehaving analysis could hand over.
    assessment = Assessment(30, Severity.LOW, doubled, ("free e-mail",))
    release_id, new = await save_analysed_release(conn, snapshot, assessment, 10)
    rows = await conn.fetch(
        "SELECT fingerprint, severity::text AS severity, summary FROM findings "
        "WHERE release_id = $1 ORDER BY fingerprint",
        release_id,
    )
    assert [tuple(r) for r in rows] == [
        ("gmail.com", "low", "maintainer at gmail.com"),
        ("yahoo.com", "info", "at yahoo.com"),
    ]
    assert len(new) == 2


async def _wait_until_blocked(watcher: asyncpg.Connection, pid: int) -> None:
    """Return once the backend `pid` waits on a lock (polled; the bound only guards a hang)."""
    for _ in range(2000):
        if await watcher.fetchval(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited on a lock")


async def test_saving_a_release_locks_its_project_before_the_release_as_the_changelog_does(
    conn: asyncpg.Connection, database_url: str
) -> None:
    """Real PyPI replayed: the changelog writer (project rows, then release rows) and a worker
    saving a release of the same project deadlocked when the worker took the release row first."""
    snapshot = ReleaseSnapshot("demo", "1.0", ReleaseMetadata(name="demo", version="1.0"))
    assessment = Assessment(0, Severity.INFO, (), ())
    await save_analysed_release(conn, snapshot, assessment, 10)
    follower, worker = await connect(database_url), await connect(database_url)
    try:
        changelog = follower.transaction()
        await changelog.start()
        await follower.execute("UPDATE projects SET last_serial = 11 WHERE normalized = 'demo'")
        saving = asyncio.create_task(save_analysed_release(worker, snapshot, assessment, 11))
        await _wait_until_blocked(conn, worker.get_server_pid())
        await follower.execute(
            "UPDATE releases SET serial = 11 WHERE project = 'demo' AND version = '1.0'"
        )  # the old order raised DeadlockDetectedError here or in the worker
        await changelog.commit()
        await saving
    finally:
        await follower.close()
        await worker.close()
