"""Opening the database: the configured URL or the embedded server, a pool, and migrations."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from collector.config import Settings
from collector.errors import DatabaseUnavailable
from collector.store import PgConnection
from collector.store.embedded import EmbeddedPostgres
from collector.store.migrate import upgrade

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
# What asyncpg raises when a server cannot be reached or refuses us.
CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
# What a running program sees when the server goes away (restart, network): retry, never crash.
DB_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """Where the data lives, safe to print (no password)."""

    kind: Literal["embedded", "external"]
    url: str


def redact_url(url: str) -> str:
    """The URL without its password, for messages and status output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _encode_json(value: object) -> str:
    return json.dumps(value, default=str)


async def init_connection(conn: PgConnection) -> None:
    """Codecs every connection of ours uses: JSON and JSONB as Python objects."""
    for jsontype in ("json", "jsonb"):
        await conn.set_type_codec(
            jsontype, encoder=_encode_json, decoder=json.loads, schema="pg_catalog"
        )


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with our codecs (tools and tests; the program uses pools)."""
    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    await init_connection(conn)
    return conn


async def _keep_session(conn: PgConnection) -> None:
    """Pool reset: nothing to undo (no session state is ever left set), so no round trip.
    asyncpg still rolls back a transaction left open before calling this."""


async def create_pool(dsn: str, label: str, *, max_size: int = 10) -> asyncpg.Pool:
    """A pool with our codecs; an unreachable server becomes DatabaseUnavailable."""
    try:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=max_size,
            timeout=CONNECT_TIMEOUT,
            init=init_connection,
            reset=_keep_session,
            # Commits do not wait for the WAL flush. A crash can lose the last fraction of a
            # second of commits, but every transaction carries its own cursor or job state,
            # so what is lost is redone on restart: nothing is skipped, nothing doubled.
            server_settings={"synchronous_commit": "off"},
        )
    except CONNECT_ERRORS as exc:
        raise DatabaseUnavailable(
            f"database unavailable: cannot connect to {label}: {exc}"
        ) from exc
    assert pool is not None
    return pool


async def ping(conn: PgConnection) -> None:
    """One round trip: raises when the server or the connection is gone."""
    await conn.fetchval("SELECT 1")


async def try_session_lock(conn: PgConnection, key: int) -> bool:
    """Take the session advisory lock `key` if nobody holds it; it is held until the connection
    closes."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", key))


async def wait_until_lost(dsn: str, patience: float, every: float = 5.0) -> str:
    """Ask the server `SELECT 1` every `every` seconds on a connection of its own (a busy pool
    must not look like a dead server); return why, once it has not answered for `patience`
    seconds in a row. A restart within that time is ridden out."""
    conn: asyncpg.Connection | None = None
    down_since: float | None = None
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                if conn is None:
                    conn = await asyncpg.connect(dsn, timeout=every)
                await asyncio.wait_for(ping(conn), every)
                down_since = None
            except (*CONNECT_ERRORS, *DB_ERRORS) as exc:
                _discard(conn)
                conn = None
                down_since = loop.time() if down_since is None else down_since
                if loop.time() - down_since >= patience:
                    return f"no answer for {patience:g} s ({str(exc) or type(exc).__name__})"
            await asyncio.sleep(every)
    finally:
        _discard(conn)


def _discard(conn: asyncpg.Connection | None) -> None:
    if conn is not None:
        conn.terminate()  # no goodbye to a server that may be gone


@dataclass(frozen=True, slots=True)
class Database:
    """An open, migrated database: the pool plus a printable description."""

    pool: asyncpg.Pool
    info: DatabaseInfo
    dsn: str = field(repr=False, default="")


@asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool = True, max_size: int = 10
) -> AsyncIterator[Database]:
    """Connect (starting the embedded server when no URL is set) and apply pending migrations."""
    async with _server(settings) as (dsn, info):
        pool = await create_pool(dsn, info.url, max_size=max_size)
        try:
            if migrate:
                async with pool.acquire() as conn:
                    await upgrade(conn)
            yield Database(pool, info, dsn)
        finally:
            await pool.close()


@asynccontextmanager
async def _server(settings: Settings) -> AsyncIterator[tuple[str, DatabaseInfo]]:
    if settings.database_url:
        yield settings.database_url, DatabaseInfo("external", redact_url(settings.database_url))
        return
    embedded = EmbeddedPostgres(settings.pg_dir)
    dsn = await asyncio.to_thread(embedded.start)
    try:
        yield dsn, DatabaseInfo("embedded", str(embedded.pgdata))
    finally:
        await asyncio.to_thread(embedded.stop)
