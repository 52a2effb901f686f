"""The RSS fast path: new releases and projects from the feeds, seconds before the changelog page.

Feeds are fetched with If-None-Match; what they show is recorded as a sighting, and releases new
to us get a job at once. A feed never moves the changelog cursor; it only wakes the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg

from collector.pypi.http import Http, PyPIUrls
from collector.pypi.rss import Feed, fetch_feed
from collector.store.feeds import Sighting, load_feed_etag, record_sightings, save_feed_state
from collector.store.health import record_failure, record_success

log = logging.getLogger(__name__)


class RssPoller:
    def __init__(
        self,
        pool: asyncpg.Pool,
        http: Http,
        urls: PyPIUrls,
        *,
        on_new: Callable[[], None] = lambda: None,
    ) -> None:
        self.pool = pool
        self.http = http
        self.urls = urls
        self.on_new = on_new

    async def poll(self, feed: Feed) -> int:
        """Poll one feed; return how many releases were new to us."""
        url = self.urls.rss_updates if feed is Feed.UPDATES else self.urls.rss_packages
        try:
            async with self.pool.acquire() as conn:
                etag = await load_feed_etag(conn, feed.value)
            result = await fetch_feed(self.http, url, feed, etag)
        except Exception as exc:  # recorded for status; the scheduler's tick logs it
            async with self.pool.acquire() as conn:
                await record_failure(conn, feed.value, f"{type(exc).__name__}: {exc}")
            raise
        sightings = [Sighting(i.normalized, i.name, i.version) for i in result.items]
        async with self.pool.acquire() as conn:
            new = await record_sightings(conn, sightings, "rss")
            await save_feed_state(conn, feed.value, result.etag, changed=not result.not_modified)
            await record_success(conn, feed.value, detail={"items": len(result.items)})
        if new or (feed is Feed.PACKAGES and sightings and not result.not_modified):
            log.debug("%s: %d new release(s)", feed.value, len(new))
            self.on_new()
        return len(new)
