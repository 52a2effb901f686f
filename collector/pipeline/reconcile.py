"""Reconciliation: compare every project's last serial on PyPI (Simple index JSON) with ours.

A project whose serial on PyPI is ahead of ours within the range we are responsible for has
events we missed; we read its project page and queue every version we do not know. With
XML-RPC switched off this is also how new releases are found (with RSS for speed), and the
index's own last serial becomes the cursor.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from collector.backoff import Backoff
from collector.pipeline.follower import ORIGIN_CURSOR
from collector.pypi.http import Http, PyPIUrls, Sleep, with_retries
from collector.pypi.json_api import NotFound, fetch_project
from collector.pypi.simple import fetch_simple_index
from collector.store.changelog import init_cursor, load_cursor, set_cursor
from collector.store.feeds import (
    Sighting,
    known_versions,
    project_serials,
    raise_project_serial,
    record_sightings,
)
from collector.store.health import record_failure, record_success

log = logging.getLogger(__name__)

SIMPLE_CURSOR = "simple"  # the index serial already reconciled, in the no-XML-RPC mode


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    behind: int  # projects whose PyPI serial was ahead of ours
    new_releases: int


class Reconciler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        http: Http,
        urls: PyPIUrls,
        *,
        sleep: Sleep,
        concurrency: int = 8,
        source: str = "reconcile",
    ) -> None:
        self.pool = pool
        self.http = http
        self.urls = urls
        self.sleep = sleep
        self.concurrency = concurrency
        self.source = source

    async def run(self, *, upper: int | None = None) -> ReconcileResult:
        """Fetch what we miss of projects changed after our origin and up to `upper`
        (the changelog cursor; None means everything the index shows)."""
        try:
            result = await self._run(upper)
        except Exception as exc:
            log.warning("%s failed: %s", self.source, exc)
            async with self.pool.acquire() as conn:
                await record_failure(conn, self.source, f"{type(exc).__name__}: {exc}")
            raise
        return result

    async def _run(self, upper: int | None) -> ReconcileResult:
        index = await with_retries(
            lambda: fetch_simple_index(self.http, self.urls), "simple index", Backoff(), self.sleep
        )
        async with self.pool.acquire() as conn:
            origin = await init_cursor(conn, index.last_serial, ORIGIN_CURSOR)
            ours = await project_serials(conn)
        limit = index.last_serial if upper is None else upper
        behind = {
            name: serial
            for name, serial in index.projects.items()
            if origin < serial <= limit and ours.get(name, -1) < serial
        }
        semaphore = asyncio.Semaphore(self.concurrency)
        counts = await asyncio.gather(*(self._repair(n, s, semaphore) for n, s in behind.items()))
        async with self.pool.acquire() as conn:
            await record_success(
                conn, self.source, upstream_serial=index.last_serial, detail={"behind": len(behind)}
            )
        if behind:
            log.info(
                "%s: %d project(s) behind, %d release(s) queued",
                self.source,
                len(behind),
                sum(counts),
            )
        return ReconcileResult(len(behind), sum(counts))

    async def _repair(self, name: str, serial: int, semaphore: asyncio.Semaphore) -> int:
        async with semaphore:
            page = await with_retries(
                lambda: fetch_project(self.http, self.urls, name),
                f"project {name}",
                Backoff(),
                self.sleep,
            )
        async with self.pool.acquire() as conn:
            if isinstance(page, NotFound):
                await raise_project_serial(conn, name, serial)
                return 0
            missing = set(page.versions) - await known_versions(conn, name)
            sightings = [Sighting(name, page.metadata.name, v) for v in sorted(missing)]
            new = await record_sightings(conn, sightings, "reconcile", min_serial=serial)
            await raise_project_serial(conn, name, serial)
        return len(new)


async def advance_simple_cursor(pool: asyncpg.Pool, serial: int) -> None:
    """In the no-XML-RPC mode the reconciled index serial is the cursor."""
    async with pool.acquire() as conn:
        current = await load_cursor(conn, SIMPLE_CURSOR)
        if current is None:
            await init_cursor(conn, serial, SIMPLE_CURSOR)
        elif serial > current:
            await set_cursor(conn, serial, SIMPLE_CURSOR)
