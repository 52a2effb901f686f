"""The dashboard's database handle: one event loop thread and one asyncpg pool per server process.

Streamlit runs each session's script in its own thread, with no running event loop. asyncpg's pool
is bound to the loop it was created on, so the pool lives on a loop of its own in a background
thread; script threads hand it coroutines with `run()` and wait for the answer. The holder is not
awaitable, which is what lets `st.cache_resource` keep it: Streamlit's async-aware caches treat
an awaitable return value as a result still to await, and an asyncpg pool is awaitable.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from collector.errors import DatabaseUnavailable
from collector.store.database import DB_ERRORS, create_pool, redact_url
from collector.store.embedded import EmbeddedPostgres
from collector.store.migrate import upgrade

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 6
QUERY_TIMEOUT = 30.0
# What a query sees when the server went away or refuses new connections (restart, dropped
# database, wrong password after a change): the database is unavailable, not a bug of ours.
UNAVAILABLE = (
    *DB_ERRORS,
    asyncpg.exceptions.InvalidCatalogNameError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


class AsyncDB:
    """A background event loop with a pool created on it; `run()` is safe from any other thread."""

    def __init__(self, database_url: str | None, pg_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="dashboard-db", daemon=True
        )
        self._thread.start()
        self._embedded: EmbeddedPostgres | None = None
        self.label = ""
        try:
            dsn = self._dsn(database_url, pg_dir)
            self.pool: asyncpg.Pool = self.run(self._open(dsn, self.label))
        except BaseException:
            self.close()
            raise
        # At exit, close the pool before the embedded server (registered earlier) goes away.
        atexit.register(self.close)

    def _dsn(self, database_url: str | None, pg_dir: Path) -> str:
        if database_url:
            self.label = redact_url(database_url)
            return database_url
        # No URL: join (or start) the embedded server the collector shares in HOME/pg.
        self._embedded = EmbeddedPostgres(pg_dir)
        self.label = f"the embedded Postgres in {pg_dir}"
        return self._embedded.start()

    @staticmethod
    async def _open(dsn: str, label: str) -> asyncpg.Pool:
        pool = await create_pool(dsn, label, max_size=POOL_SIZE)
        try:
            async with pool.acquire() as conn:
                await upgrade(conn)
        except UNAVAILABLE as exc:
            await pool.close()
            raise DatabaseUnavailable(f"database unavailable: {label}: {exc}") from exc
        return pool

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = QUERY_TIMEOUT) -> T:
        """Run `coro` on the database loop and wait for it; outages become DatabaseUnavailable."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except FutureTimeout as exc:
            future.cancel()
            raise DatabaseUnavailable(
                f"database unavailable: {self.label} did not answer within {timeout:.0f} s"
            ) from exc
        except UNAVAILABLE as exc:
            raise DatabaseUnavailable(f"database unavailable: {self.label}: {exc}") from exc

    def close(self) -> None:
        """Close the pool, stop the loop and leave the embedded server (idempotent)."""
        atexit.unregister(self.close)
        pool: asyncpg.Pool | None = getattr(self, "pool", None)
        if pool is not None and self.loop.is_running():
            try:
                self.run(_close_pool(pool), timeout=10)
            except DatabaseUnavailable:
                log.debug("pool closed with the database already gone")
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        if not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


async def _close_pool(pool: asyncpg.Pool) -> None:
    try:
        await asyncio.wait_for(pool.close(), 5)
    except (TimeoutError, *UNAVAILABLE):
        pool.terminate()
