"""Storing an analysed release never depends on analysis being well-behaved."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from analysis.model import Assessment, Finding, ReleaseMetadata, ReleaseSnapshot, Severity
from collector.store.database import connect
from collector.store.releases import save_analysed_release


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


async def test_findings_sharing_a_check_and_fingerprint_store_as_the_strongest_row(
    conn: asyncpg.Connection,
) -> None:
    snapshot = ReleaseSnapshot("demo", "1.0", ReleaseMetadata(name="demo", version="1.0"))
    doubled = (
        Finding("metadata.free-email", Severity.INFO, 5, "author at gmail.com", fingerprint="gmail.com"),
        Finding("metadata.free-email", Severity.LOW, 20, "maintainer at gmail.com",
                fingerprint="gmail.com"),
        Finding("metadata.free-email", Severity.INFO, 5, "at yahoo.com", fingerprint="yahoo.com"),
    )  # fmt: skip
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
