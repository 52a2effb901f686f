"""The vetted index as a running server: started by `index` on its own, and beside the collector
by `up` and `demo`; its block tally is written to the store every few seconds and at stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from analysis.policy import Policy
from collector.config import Settings
from collector.errors import UsageError
from collector.index.app import IndexState, make_app
from collector.index.cache import FileCache
from collector.policy import load_policy
from collector.pypi.http import Http, PyPIUrls, new_session
from collector.store.database import DB_ERRORS
from collector.store.index_blocks import save_blocks

log = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0


@contextlib.asynccontextmanager
async def index_beside(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """The index beside the collector (`up`, `demo`), unless --index-port is 0."""
    if not settings.index_port:
        yield
        return
    async with serve_index(settings, pool, required=False):
        yield


def index_url(settings: Settings) -> str:
    return f"http://{settings.index_host}:{settings.index_port}/simple/"


@contextlib.asynccontextmanager
async def serve_index(
    settings: Settings, pool: asyncpg.Pool, *, required: bool = True
) -> AsyncIterator[IndexState | None]:
    """The index listening on the configured address until the block exits. A port it cannot
    listen on is a UsageError when the index is the command (`required`); beside the collector
    it is a warning and None, as for the feed server: collecting goes on without it."""
    policy = load_policy(settings.policy) or Policy()
    cache = FileCache(settings.cache_dir / "index", settings.index_cache_size)
    async with new_session(timeout=300.0) as session:
        state = IndexState(pool, Http(session), PyPIUrls(settings.pypi_url), policy, cache)
        runner = web.AppRunner(make_app(state), access_log=None)
        await runner.setup()
        flusher: asyncio.Task[None] | None = None
        try:
            site = web.TCPSite(runner, settings.index_host, settings.index_port)
            try:
                await site.start()
            except OSError as exc:
                problem = (
                    f"--index-port {settings.index_port}: cannot listen: {exc.strerror or exc}"
                )
                if required:
                    raise UsageError(problem) from exc
                log.warning("vetted index not started: %s", problem)
                yield None
                return
            log.info("vetted index on %s (upstream %s)", index_url(settings), settings.pypi_url)
            flusher = asyncio.create_task(_flush_forever(state), name="index-blocks")
            yield state
        finally:
            if flusher is not None:
                flusher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await flusher
                await flush_blocks(state)
            await runner.cleanup()


async def _flush_forever(state: IndexState) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        await flush_blocks(state)


async def flush_blocks(state: IndexState) -> None:
    """Write the tally to the store; while the store is away, the counts wait for the next try."""
    counts = state.blocks.take()
    if not counts:
        return
    try:
        async with state.pool.acquire() as conn:
            await save_blocks(conn, counts)
    except (*DB_ERRORS, OSError) as exc:
        state.blocks.give_back(counts)
        log.warning("index: block counts not saved yet (%s); retrying", exc)
