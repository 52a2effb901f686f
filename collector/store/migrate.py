"""Numbered SQL migrations, applied under an advisory lock so concurrent starts are safe."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from collector.errors import SchemaError
from collector.store import PgConnection

log = logging.getLogger(__name__)

# pg_advisory_lock key: "pypi-sentinel migrations" squeezed into a bigint.
MIGRATION_LOCK_KEY = 0x5E47_1E1_0001
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> tuple[Migration, ...]:
    """The migrations shipped with this program, in order."""
    found = []
    for entry in resources.files("collector.store.migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return tuple(found)


MIGRATIONS = load_migrations()
LATEST_VERSION = MIGRATIONS[-1].version


async def upgrade(conn: PgConnection) -> list[Migration]:
    """Apply every pending migration; return the ones this call applied."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        applied = await _applied(conn)
        _verify(applied)
        pending = [m for m in MIGRATIONS if m.version not in applied]
        for migration in pending:
            await _apply(conn, migration)
        return pending
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def current_version(conn: PgConnection) -> int:
    """The highest applied migration, 0 for an empty database."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval("SELECT max(version) FROM schema_migrations")
    return int(version or 0)


async def _applied(conn: PgConnection) -> dict[int, str]:
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
    return {row["version"]: row["checksum"] for row in rows}


def _verify(applied: dict[int, str]) -> None:
    known = {m.version: m for m in MIGRATIONS}
    newer = sorted(v for v in applied if v not in known)
    if newer:
        raise SchemaError(
            f"the database has schema version {max(newer)}, newer than this program knows "
            f"({LATEST_VERSION}); upgrade pypi-sentinel"
        )
    for version, checksum in applied.items():
        if known[version].checksum != checksum:
            raise SchemaError(
                f"migration {version:04d}_{known[version].name}.sql was changed after it was "
                "applied; migrations are append-only, add a new one instead"
            )


async def _apply(conn: PgConnection, migration: Migration) -> None:
    log.info("applying migration %04d_%s", migration.version, migration.name)
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as exc:
        raise SchemaError(
            f"migration {migration.version:04d}_{migration.name} failed: {exc}"
        ) from exc
