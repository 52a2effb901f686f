"""The vetted index's block counts: tallied in memory, added up in Postgres, read back by hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from collector.index.blocks import BlockTally
from collector.store.index_blocks import fetch_recent_blocks, save_blocks

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_tally_counts_per_hour_and_a_failed_flush_gives_its_counts_back() -> None:
    clock = Clock(NOW)
    tally = BlockTally(clock)
    tally.add("reqeusts", "1.0", "policy", "listing")
    clock.now = NOW + timedelta(minutes=10)
    tally.add("reqeusts", "1.0", "policy", "listing")
    tally.add("reqeusts", "1.0", "policy", "download")
    clock.now = NOW + timedelta(hours=1)
    tally.add("reqeusts", "1.0", "policy", "listing")
    taken = tally.take()
    assert tally.take() == []  # taken once
    by_key = {(c.block.hour.hour, c.block.kind): (c.count, c.last_at) for c in taken}
    assert by_key == {
        (10, "listing"): (2, NOW + timedelta(minutes=10)),
        (10, "download"): (1, NOW + timedelta(minutes=10)),
        (11, "listing"): (1, NOW + timedelta(hours=1)),
    }
    tally.add("reqeusts", "1.0", "policy", "listing")  # while the flush was failing
    tally.give_back(taken)
    again = {(c.block.hour.hour, c.block.kind): c.count for c in tally.take()}
    assert again == {(10, "listing"): 2, (10, "download"): 1, (11, "listing"): 2}


async def test_saved_counts_add_up_and_are_read_back_from_the_window(
    conn: asyncpg.Connection,
) -> None:
    clock = Clock(NOW - timedelta(days=2))
    tally = BlockTally(clock)
    tally.add("old", "0.1", "age", "listing")  # outside a day's window
    clock.now = NOW
    tally.add("reqeusts", "1.0", "policy", "download")
    tally.add("mystery", None, "unreadable", "listing")
    await save_blocks(conn, tally.take())
    clock.now = NOW + timedelta(minutes=5)
    tally.add("reqeusts", "1.0", "policy", "download")
    tally.add("mystery", None, "unreadable", "listing")  # a NULL version is one row, not two
    await save_blocks(conn, tally.take())
    await save_blocks(conn, [])
    rows = await fetch_recent_blocks(conn, NOW - timedelta(hours=24))
    assert [(r.project, r.version, r.rule, r.kind, r.count) for r in rows] == [
        ("mystery", None, "unreadable", "listing", 2),
        ("reqeusts", "1.0", "policy", "download", 2),
    ]
    assert rows[0].last_at == NOW + timedelta(minutes=5)
    assert await conn.fetchval("SELECT count(*) FROM index_blocks") == 3
