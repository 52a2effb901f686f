"""Fetching one release: its JSON page, its Simple page and provenance, at least as fresh as needed.

A stale CDN copy is retried in place (1 s, 2 s, 4 s, as bandersnatch does) and then handed back
as `StillStale` for the queue to re-try later. A 404 is `Gone`, with the reason the Simple API
gives (quarantined, or removed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from analysis.model import Publisher
from collector.backoff import Backoff
from collector.pypi.http import Http, PyPIUrls, Sleep, with_retries
from collector.pypi.json_api import NotFound, ReleasePage, Stale, fetch_release
from collector.pypi.simple import SimpleProject, fetch_provenance, fetch_simple_project
from collector.store.jobs import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fetched:
    page: ReleasePage
    simple: SimpleProject | None
    publishers: tuple[Publisher, ...]


@dataclass(frozen=True, slots=True)
class Gone:
    status: str  # removed or quarantined
    project_status: str | None  # the project's status when the Simple API says


@dataclass(frozen=True, slots=True)
class StillStale:
    served_serial: int | None
    wanted_serial: int


FetchResult = Fetched | Gone | StillStale
STALE_BACKOFF = Backoff(attempts=4, base=1.0)  # 1 s, 2 s, 4 s "to give the CDN a chance"
ERROR_BACKOFF = Backoff(attempts=3, base=1.0)


class ReleaseFetcher:
    def __init__(
        self,
        http: Http,
        urls: PyPIUrls,
        *,
        sleep: Sleep,
        stale_backoff: Backoff = STALE_BACKOFF,
        error_backoff: Backoff = ERROR_BACKOFF,
    ) -> None:
        self.http = http
        self.urls = urls
        self.sleep = sleep
        self.stale_backoff = stale_backoff
        self.error_backoff = error_backoff

    async def fetch(self, job: Job) -> FetchResult:
        page = await self._fresh_release(job)
        if isinstance(page, StillStale):
            return page
        simple = await self._simple(job.project, job.min_serial)
        if isinstance(page, NotFound):
            return _gone(simple)
        publishers = await self._publishers(simple, page) if simple else ()
        return Fetched(page, simple, publishers)

    async def _fresh_release(self, job: Job) -> ReleasePage | NotFound | StillStale:
        """The release page, re-asked while the CDN serves a copy older than the job's serial."""
        stale = Stale(None, job.min_serial)
        for attempt in range(1, self.stale_backoff.attempts + 1):
            result = await with_retries(
                lambda: fetch_release(
                    self.http, self.urls, job.project, job.version, job.min_serial
                ),
                f"release {job.project} {job.version}",
                self.error_backoff,
                self.sleep,
            )
            if not isinstance(result, Stale):
                return result
            stale = result
            if attempt < self.stale_backoff.attempts:
                log.info(
                    "stale page for %s %s (serial %s < %s); asking again",
                    job.project,
                    job.version,
                    result.served_serial,
                    result.wanted_serial,
                )
                await self.sleep(self.stale_backoff.delay(attempt))
        return StillStale(stale.served_serial, stale.wanted_serial)

    async def _simple(self, project: str, min_serial: int) -> SimpleProject | None:
        """The Simple page for status and provenance; a stale or missing one is not fatal."""
        result = await with_retries(
            lambda: fetch_simple_project(self.http, self.urls, project, min_serial),
            f"simple page of {project}",
            self.error_backoff,
            self.sleep,
        )
        if isinstance(result, Stale):
            # Provenance still comes from the files listed; a slightly old page lacks only the
            # newest files' entries, which then count as "no provenance" until re-analysed.
            log.info("stale simple page for %s; using the JSON page alone", project)
            return None
        return result if isinstance(result, SimpleProject) else None

    async def _publishers(self, simple: SimpleProject, page: ReleasePage) -> tuple[Publisher, ...]:
        """Publishers from the provenance of this release's first attested file."""
        ours = (simple.files.get(f.filename) for f in page.files)
        url = next((f.provenance_url for f in ours if f is not None and f.provenance_url), None)
        if url is None:
            return ()
        publishers = await with_retries(
            lambda: fetch_provenance(self.http, url),
            f"provenance {url}",
            self.error_backoff,
            self.sleep,
        )
        return publishers or ()


def _gone(simple: SimpleProject | None) -> Gone:
    if simple is not None and simple.status == "quarantined":
        return Gone("quarantined", "quarantined")
    return Gone("removed", simple.status if simple is not None else None)
