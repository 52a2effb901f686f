"""The collector end to end against a stand-in PyPI on a real port and a real Postgres."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from collector.errors import UpstreamError
from standin import Fault, StandInPyPI
from tests.collector.pipeline.conftest import CollectorFactory, Sleeps


async def _count(pool: asyncpg.Pool, sql: str, *args: object) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(sql, *args))


async def _journal_since(pypi: StandInPyPI, serial: int) -> int:
    return sum(1 for entry in pypi.journal if entry.serial > serial)


def _publish(pypi: StandInPyPI, n: int, prefix: str = "pkg") -> None:
    for i in range(n):
        pypi.upload(f"{prefix}{i}", "1.0", metadata={"summary": f"package {i}"})


async def test_once_catches_up_pages_and_stores_every_event_once(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    _publish(pypi, 40)  # ~200 events over pages of 50
    result = await make_collector().run_once(since_serial=start)
    assert result.cursor == pypi.last_serial
    assert await _count(pool, "SELECT count(*) FROM changelog_events") == await _journal_since(
        pypi, start
    )
    assert await _count(pool, "SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL") == 40
    assert await _count(pool, "SELECT count(*) FROM files WHERE sha256 <> ''") == 80
    assert await _count(pool, "SELECT count(*) FROM jobs WHERE state <> 'done'") == 0
    # a second run finds nothing new and stores nothing twice
    again = await make_collector().run_once()
    assert again.events == 0
    assert await _count(pool, "SELECT count(*) FROM changelog_events") == await _journal_since(
        pypi, start
    )


async def test_no_cursor_starts_at_pypi_head(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    _publish(pypi, 3, "old")
    head = pypi.last_serial
    result = await make_collector().run_once()
    assert result.cursor == head
    assert await _count(pool, "SELECT count(*) FROM changelog_events") == 0  # history is not ours


async def test_rate_limit_fault_waits_for_the_reset(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    _publish(pypi, 5)
    pypi.faults.add("xmlrpc", Fault.rate_limited(reset=7), times=2)
    sleeps = Sleeps()
    await make_collector(sleep=sleeps).run_once(since_serial=start)
    assert 7.0 in sleeps.calls  # waited for PyPI's reset, not a guess
    assert await _count(pool, "SELECT count(*) FROM changelog_events") == await _journal_since(
        pypi, start
    )


async def test_server_errors_and_timeouts_are_retried(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    _publish(pypi, 6)
    pypi.faults.add("xmlrpc", Fault.status(503), times=1)
    pypi.faults.add("xmlrpc", Fault.delay(3.0), times=1)  # longer than the 2 s client timeout
    pypi.faults.add("release_json", Fault.status(502), times=2)
    pypi.faults.add("simple_project", Fault.delay(3.0), times=1)
    await make_collector().run_once(since_serial=start)
    assert await _count(pool, "SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL") == 6
    assert await _count(pool, "SELECT count(*) FROM changelog_events") == await _journal_since(
        pypi, start
    )


async def test_stale_pages_are_asked_again_then_requeued(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("fresh", "1.0")
    pypi.faults.add(
        "release_json", Fault.stale(lag=3), times=6, project="fresh"
    )  # > in-place tries
    sleeps = Sleeps()
    await make_collector(sleep=sleeps).run_once(since_serial=start)
    assert sleeps.calls[:3] == [1.0, 2.0, 4.0]  # bandersnatch's stale backoff, in place
    row = await _fetch_release(pool, "fresh", "1.0")
    assert row["fetched_serial"] >= pypi.last_serial - 1  # stored from a fresh page
    async with pool.acquire() as conn:
        job = await conn.fetchrow("SELECT state, attempts FROM jobs WHERE project = 'fresh'")
    assert tuple(job) == ("done", 2)  # re-queued once when the in-place tries ran out


async def _fetch_release(pool: asyncpg.Pool, project: str, version: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM releases WHERE project=$1 AND version=$2", project, version
        )
    assert row is not None
    return row


async def test_garbage_json_retries_that_release_and_the_rest_continue(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    _publish(pypi, 4, "good")
    pypi.upload("bad", "1.0")
    pypi.faults.add("release_json", Fault.garbage(), times=4, project="bad")
    pypi.faults.add("xmlrpc", Fault.garbage(), times=1)
    await make_collector().run_once(since_serial=start)
    assert await _count(pool, "SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL") == 5
    bad = await _fetch_release(pool, "bad", "1.0")
    assert bad["summary"] is not None


async def test_garbage_forever_is_reported_not_dropped(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("cursed", "1.0")
    pypi.upload("fine", "1.0")
    pypi.faults.add("release_json", Fault.garbage(), times=1000, project="cursed")
    result = await make_collector().run_once(since_serial=start)
    assert result.drained.stuck == 1
    async with pool.acquire() as conn:
        job = await conn.fetchrow(
            "SELECT state, error_kind, last_error FROM jobs WHERE project='cursed'"
        )
    assert job["state"] == "pending"
    assert job["error_kind"] == "garbage"
    assert "not JSON" in job["last_error"]
    assert await _count(pool, "SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL") == 1


async def test_files_added_to_an_old_release_later(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("grows", "1.0", files=["grows-1.0.tar.gz"])
    await make_collector().run_once(since_serial=start)
    assert await _count(pool, "SELECT count(*) FROM files WHERE sha256 <> ''") == 1
    pypi.add_file("grows", "1.0", "grows-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")
    await make_collector().run_once()
    async with pool.acquire() as conn:
        names = {
            r["filename"] for r in await conn.fetch("SELECT filename FROM files WHERE sha256 <> ''")
        }
        reasons = [r["reason"] for r in await conn.fetch("SELECT reason FROM jobs ORDER BY id")]
    assert names == {"grows-1.0.tar.gz", "grows-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"}
    assert reasons == ["add file", "add file"]


async def test_removal_and_quarantine_are_states_not_deletions(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("doomed", "1.0")
    pypi.upload("evil", "6.6.6")
    await make_collector().run_once(since_serial=start)
    pypi.remove_release("doomed", "1.0")
    pypi.quarantine_project("evil")
    pypi.upload("late", "1.0")
    pypi.quarantine_project("late")  # quarantined before we ever fetched it
    await make_collector().run_once()
    assert (await _fetch_release(pool, "doomed", "1.0"))["status"] == "removed"
    assert (
        await _count(
            pool, "SELECT count(*) FROM projects WHERE normalized='evil' AND status='quarantined'"
        )
        == 1
    )
    late = await _fetch_release(pool, "late", "1.0")
    assert late["fetched_at"] is None  # PyPI answers 404 for quarantined releases
    assert await _count(pool, "SELECT count(*) FROM files WHERE release_id = $1", late["id"]) > 0
    assert await _count(pool, "SELECT count(*) FROM releases") == 3  # nothing forgotten


async def test_rss_sees_releases_first_and_never_moves_the_cursor(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    from collector.pypi.rss import Feed

    pypi, _ = standin
    collector = make_collector()
    await collector.follower.start()
    cursor = pypi.last_serial
    pypi.upload("speedy", "2.0")
    assert await collector.rss.poll(Feed.UPDATES) == 1
    assert await collector.rss.poll(Feed.UPDATES) == 0  # ETag: not modified, nothing new
    row = await _fetch_release(pool, "speedy", "2.0")
    assert row["first_seen_source"] == "rss"
    assert (
        await _count(pool, "SELECT serial FROM collector_cursor WHERE name='changelog'") == cursor
    )
    assert any(
        r.headers.get("If-None-Match") for r in pypi.requests if r.path.endswith("updates.xml")
    )


async def test_without_xmlrpc_rss_and_index_diff_find_releases(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    pypi.upload("before", "1.0")
    collector = make_collector(xmlrpc=False)
    await collector.run_once()  # the first index read sets the origin
    pypi.upload("after", "1.0")
    pypi.upload("after", "1.1")
    await collector.run_once()
    assert (
        await _count(
            pool, "SELECT count(*) FROM releases WHERE project='after' AND fetched_at IS NOT NULL"
        )
        == 2
    )
    assert not any(r.path.startswith("/pypi") and r.method == "POST" for r in pypi.requests)


async def test_reconciliation_repairs_what_the_changelog_missed(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("holey", "1.0")
    pypi.upload("holey", "1.1")
    collector = make_collector()
    await collector.run_once(since_serial=start)
    async with pool.acquire() as conn:  # lose a release, as if its events never arrived
        await conn.execute("DELETE FROM jobs WHERE version = '1.1'")
        await conn.execute(
            "DELETE FROM files USING releases r WHERE files.release_id = r.id AND r.version = '1.1'"
        )
        await conn.execute(
            "DELETE FROM release_sightings USING releases r "
            "WHERE release_sightings.release_id = r.id AND r.version = '1.1'"
        )
        await conn.execute("DELETE FROM releases WHERE version = '1.1'")
        await conn.execute("UPDATE projects SET last_serial = 0 WHERE normalized = 'holey'")
    result = await collector.reconciler.run(upper=pypi.last_serial)
    assert result.new_releases == 1
    await collector.workers.drain()
    assert (await _fetch_release(pool, "holey", "1.1"))["first_seen_source"] == "reconcile"


async def test_pypi_down_for_good_is_an_upstream_error(
    standin: tuple[StandInPyPI, str], make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    pypi.faults.add("xmlrpc", Fault.status(503), times=100)
    with pytest.raises(UpstreamError) as info:
        await make_collector().run_once()
    assert info.value.exit_code == 3


async def test_run_forever_follows_new_uploads_within_seconds(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    collector = make_collector()
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run_forever(stop, since_serial=pypi.last_serial))
    try:
        await asyncio.sleep(0.5)
        pypi.upload("live", "1.0")
        for _ in range(100):
            if await _count(
                pool,
                "SELECT count(*) FROM releases WHERE project='live' AND fetched_at IS NOT NULL",
            ):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the upload was not stored within 10 s")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert await _count(pool, "SELECT count(*) FROM jobs WHERE state = 'running'") == 0


async def _wait_for_a_lock_waiter(conn: asyncpg.Connection) -> None:
    """Return once another backend of this database waits on a lock (the bound guards a hang)."""
    for _ in range(2000):
        if await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("nothing ever waited on a lock")


async def test_a_changelog_page_rolled_back_by_a_deadlock_is_stored_again(
    standin: tuple[StandInPyPI, str],
    pool: asyncpg.Pool,
    make_collector: CollectorFactory,
    database_url: str,
) -> None:
    """Postgres breaks a deadlock by rolling one transaction back; when that is the follower's
    page, storing it again is safe. It used to end `run --once` with a traceback."""
    pypi, _ = standin
    collector = make_collector()
    start = pypi.last_serial
    pypi.upload("contended", "1.0")
    await collector.follower.start(start)
    await collector.follower.poll()
    pypi.add_file("contended", "1.0", "contended-1.0-py2-none-any.whl")
    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("UPDATE releases SET serial = serial WHERE project = 'contended'")
        polling = asyncio.create_task(collector.follower.poll())
        await _wait_for_a_lock_waiter(blocker)  # the follower: holds the project, wants the release
        await blocker.execute(
            "UPDATE projects SET last_serial = last_serial WHERE normalized = 'contended'"
        )
        await transaction.commit()
        run = await polling
    finally:
        await blocker.close()
    assert run.cursor == pypi.last_serial
    assert (
        await _count(
            pool,
            "SELECT count(*) FROM files WHERE release_id IN "
            "(SELECT id FROM releases WHERE project = 'contended')",
        )
        == 3
    )
