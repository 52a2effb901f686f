"""Migrations: applied in order on an empty database, once, safely under concurrency."""

from __future__ import annotations

import asyncio
import subprocess

import asyncpg
import pytest

from collector.errors import SchemaError
from collector.store.migrate import LATEST_VERSION, MIGRATIONS, current_version, upgrade
from tests.conftest import CLI

EXPECTED_TABLES = {
    "alert_outbox",
    "approval_requests",
    "approvals",
    "changelog_events",
    "collector_cursor",
    "collector_health",
    "files",
    "findings",
    "projects",
    "releases",
    "reports",
    "schema_migrations",
    "subscriptions",
    "triage_verdicts",
}


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def test_upgrade_on_empty_database_creates_every_table(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await current_version(conn) == 0
        applied = await upgrade(conn)
        assert [m.version for m in applied] == [m.version for m in MIGRATIONS]
        assert await _tables(conn) >= EXPECTED_TABLES
        assert await current_version(conn) == LATEST_VERSION
        assert await upgrade(conn) == []  # idempotent
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["checksum"]) for r in rows] == [
            (m.version, m.checksum) for m in MIGRATIONS
        ]
    finally:
        await conn.close()


async def test_indexes_serve_time_severity_and_name_lookups(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        names = {row["indexname"] for row in rows}
    finally:
        await conn.close()
    for wanted in (
        "findings_first_seen_idx",
        "findings_severity_idx",
        "findings_project_idx",
        "releases_first_seen_idx",
        "changelog_events_normalized_idx",
        "projects_name_pattern_idx",
    ):
        assert wanted in names


async def test_two_concurrent_upgrades_apply_each_migration_once(empty_database_url: str) -> None:
    first = await asyncpg.connect(empty_database_url)
    second = await asyncpg.connect(empty_database_url)
    try:
        results = await asyncio.gather(upgrade(first), upgrade(second))
        applied = sorted(m.version for result in results for m in result)
        assert applied == [m.version for m in MIGRATIONS]  # one of them did the work, once
        count = await first.fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(MIGRATIONS)
    finally:
        await first.close()
        await second.close()


def test_two_processes_upgrading_at_once_both_succeed(
    empty_database_url: str, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "PYPI_SENTINEL_DATABASE_URL": empty_database_url}
    procs = [
        subprocess.Popen(
            [CLI, "db", "upgrade", "--format", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert all(f'"schema_version": {LATEST_VERSION}' in out for out, _ in outputs)


async def test_changed_migration_is_refused(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        with pytest.raises(SchemaError, match="changed after it was applied"):
            await upgrade(conn)
    finally:
        await conn.close()


async def test_database_newer_than_program_is_refused(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'future', 'x')",
            LATEST_VERSION + 1,
        )
        with pytest.raises(SchemaError, match="newer than this program"):
            await upgrade(conn)
    finally:
        await conn.close()


async def test_failed_migration_leaves_no_trace(empty_database_url: str) -> None:
    """A migration runs in one transaction: a failure part-way leaves nothing behind."""
    conn = await asyncpg.connect(empty_database_url)
    try:
        await conn.execute("CREATE TABLE findings (id int)")  # collides with 0001
        with pytest.raises(SchemaError, match=r"0001_init failed: .*findings"):
            await upgrade(conn)
        assert await current_version(conn) == 0
        assert "changelog_events" not in await _tables(conn)
    finally:
        await conn.close()
