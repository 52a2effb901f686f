"""Following PyPI's changelog: page from our cursor, store each page with the cursor, wake workers.

Paging never assumes PyPI's page size: we keep asking while a page is as long as the longest
page seen so far, or while we are behind the head serial we know of; an empty page ends it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from collector.errors import UsageError
from collector.pypi.changelog import ChangelogEvent, XmlRpcChangelog
from collector.store.changelog import CursorMoved, init_cursor, load_cursor, store_page
from collector.store.health import record_failure, record_success

log = logging.getLogger(__name__)

SOURCE = "changelog"
HEAD_SOURCE = "changelog-head"  # PyPI's last serial, asked every minute
ORIGIN_CURSOR = "origin"  # where we started following: history before it is not ours to repair
FIRST_PAGE_GUESS = 50_000
ROLLBACK_ATTEMPTS = 5  # a deadlock victim's transaction is rolled back whole: safe to redo
STORE_CHUNK = 2_000  # events per transaction when storing a page  # PyPI's cap today; we learn larger pages if they ever come


@dataclass(slots=True)
class CatchUp:
    pages: int = 0
    events: int = 0
    stored: int = 0
    jobs: int = 0
    cursor: int = 0
    started: float = field(default_factory=time.monotonic)


class ChangelogFollower:
    def __init__(
        self,
        pool: asyncpg.Pool,
        changelog: XmlRpcChangelog,
        *,
        on_jobs: Callable[[], None] = lambda: None,
        progress: bool | None = None,
    ) -> None:
        self.pool = pool
        self.changelog = changelog
        self.on_jobs = on_jobs
        self.page_guess = FIRST_PAGE_GUESS
        self.head: int | None = None  # PyPI's last serial, when we last asked
        self.since_serial: int | None = None  # --since-serial, used if no cursor exists yet
        self.progress = sys.stderr.isatty() if progress is None else progress

    async def start(self, since_serial: int | None = None) -> int:
        """The cursor to resume from: the saved one, else --since-serial, else PyPI's head."""
        async with self.pool.acquire() as conn:
            saved = await load_cursor(conn)
        if saved is not None:
            if since_serial is not None and since_serial != saved:
                log.warning(
                    "ignoring --since-serial %d: resuming from the saved cursor %d",
                    since_serial,
                    saved,
                )
            return saved
        if since_serial is not None and since_serial < 0:
            raise UsageError("--since-serial must be 0 or more")
        start = since_serial if since_serial is not None else await self.refresh_head()
        async with self.pool.acquire() as conn, conn.transaction():
            cursor = await init_cursor(conn, start)
            await init_cursor(conn, cursor, ORIGIN_CURSOR)  # reconciliation looks after this
        log.info("changelog cursor starts at serial %d", cursor)
        return cursor

    async def refresh_head(self) -> int:
        try:
            self.head = await self.changelog.fetch_last_serial()
        except Exception as exc:
            await self._record_failure(exc, HEAD_SOURCE)
            raise
        async with self.pool.acquire() as conn:
            await record_success(conn, HEAD_SOURCE, upstream_serial=self.head)
        return self.head

    async def poll(self, target: int | None = None) -> CatchUp:
        """Store every event after the cursor, up to `target` (or until PyPI has no more)."""
        run = CatchUp()
        try:
            # Starting asks PyPI for its head: a changelog that never answers must show up in
            # the health table as this source failing, not as no row at all.
            async with self.pool.acquire() as conn:
                cursor = await load_cursor(conn)
            run.cursor = cursor if cursor is not None else await self.start(self.since_serial)
            goal = target if target is not None else self.head
            while True:
                events = await self.changelog.fetch_since(run.cursor)
                if not events:
                    break
                try:
                    # Big pages are stored in chunks, each with its own cursor step, so the
                    # workers can start on the first releases while the rest is stored.
                    for start in range(0, len(events), STORE_CHUNK):
                        await self._store(run, events[start : start + STORE_CHUNK])
                except CursorMoved as exc:  # another process stored this page first
                    log.info("%s; continuing from there", exc)
                    async with self.pool.acquire() as conn:
                        run.cursor = await load_cursor(conn) or run.cursor
                    continue
                full = len(events) >= self.page_guess
                self.page_guess = max(self.page_guess, len(events))
                behind = goal is not None and run.cursor < goal
                if not (full or behind):
                    break
        except Exception as exc:
            await self._record_failure(exc)
            raise
        finally:
            self._end_progress(run)
        await self._record_success(run)
        return run

    async def _store(self, run: CatchUp, events: list[ChangelogEvent]) -> None:
        began = time.monotonic()
        for attempt in range(1, ROLLBACK_ATTEMPTS + 1):
            try:
                async with self.pool.acquire() as conn:
                    result = await store_page(conn, events, expected_cursor=run.cursor)
                break
            except asyncpg.TransactionRollbackError as exc:
                # Postgres rolled the page back to break a deadlock or a serialization conflict
                # with a worker: nothing was stored, and the same page stored again succeeds.
                if attempt == ROLLBACK_ATTEMPTS:
                    raise
                log.warning("storing a changelog page was rolled back (%s); storing it again", exc)
        log.debug(
            "stored %d events up to serial %d (%d jobs) in %.2fs",
            len(events),
            result.cursor,
            result.jobs,
            time.monotonic() - began,
        )
        run.pages += 1
        run.events += len(events)
        run.stored += result.stored
        run.jobs += result.jobs
        run.cursor = result.cursor
        if self.head is not None and run.cursor > self.head:
            self.head = run.cursor
        if result.jobs:
            self.on_jobs()
        self._show_progress(run)

    async def _record_success(self, run: CatchUp) -> None:
        head = max(self.head or 0, run.cursor)
        caught_up = self.head is None or run.cursor >= self.head
        detail: dict[str, object] = {"cursor": run.cursor}
        if caught_up:
            detail["caught_up_at"] = time.time()
        async with self.pool.acquire() as conn:
            await record_success(conn, SOURCE, upstream_serial=head, detail=detail)

    async def _record_failure(self, exc: BaseException, source: str = SOURCE) -> None:
        """For status; whoever called the poll logs the failure."""
        try:
            async with self.pool.acquire() as conn:
                await record_failure(conn, source, f"{type(exc).__name__}: {exc}")
        except Exception:  # the database may be the thing that failed
            log.debug("could not record the %s failure", source, exc_info=True)

    def _show_progress(self, run: CatchUp) -> None:
        if not self.progress:
            return
        rate = run.events / max(1e-6, time.monotonic() - run.started)
        goal = f" / {self.head}" if self.head else ""
        sys.stderr.write(
            f"\rchangelog: serial {run.cursor}{goal}  {run.events} events  {rate:,.0f}/s "
        )
        sys.stderr.flush()

    def _end_progress(self, run: CatchUp) -> None:
        if self.progress and run.pages:
            sys.stderr.write("\n")
