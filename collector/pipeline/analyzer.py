"""The seam between the pipeline and analysis/: gather what the checks need, then call them.

The engine needs four things beyond the release: the popular-name index (built once from the
corpus), the metadata of any project the name imitates and the age and releases of any
dependency whose name imitates one (both from PyPI's JSON pages, cached), and when the
release's dependencies were created (from our store).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from analysis import AnalysisContext, NameIndex, assess_release, match_name
from analysis.metadata import imitating_dependencies, parse_requirement
from analysis.model import Assessment, Ownership, ProjectFacts, ReleaseMetadata, ReleaseSnapshot
from analysis.names import normalize
from collector.errors import UpstreamError
from collector.pypi.http import Http, PyPIUrls
from collector.pypi.json_api import NotFound, fetch_project, project_facts
from collector.store import PgConnection
from collector.store.osv import fetch_advisories
from collector.store.releases import dependency_first_seen

log = logging.getLogger(__name__)

PROFILE_TTL = 6 * 3600.0  # seconds a looked-up project's page is reused
RETRY_AFTER = 60.0  # seconds before a failed lookup is tried again


class Analyzer(Protocol):
    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        """Analyse one release; may read the store (history, dependency ages) and fetch targets."""
        ...


class NoChecks:
    """An analyzer with no checks: every release is clean. For runs that only collect."""

    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        return Assessment.clean()


@dataclass(frozen=True, slots=True)
class ProjectProfile:
    """Another project's page as the checks use it: an imitated one's metadata and owners, a
    look-alike dependency's age and releases (none when it is not on PyPI). All None when the
    lookup failed."""

    metadata: ReleaseMetadata | None
    ownership: Ownership | None
    facts: ProjectFacts | None
    expires: float


class EngineAnalyzer:
    """Runs every check of analysis/ with the facts it needs looked up."""

    def __init__(
        self,
        index: NameIndex | Awaitable[NameIndex],
        http: Http,
        urls: PyPIUrls,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        # The index may still be building (start-up overlaps it with the first changelog page).
        self._pending = asyncio.ensure_future(index) if isinstance(index, Awaitable) else None
        self.index: NameIndex | None = None if self._pending else index  # type: ignore[assignment]
        self.http = http
        self.urls = urls
        self.clock = clock
        self._profiles: dict[str, ProjectProfile] = {}
        self._inflight: dict[str, asyncio.Task[ProjectProfile]] = {}

    def replace_index(self, index: NameIndex) -> None:
        """Swap in an index built from a refreshed corpus."""
        self.index = index
        self._profiles.clear()

    async def ready_index(self) -> NameIndex:
        if self.index is None:
            assert self._pending is not None
            self.index = await asyncio.shield(self._pending)
        return self.index

    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection | None) -> Assessment:
        """Every check; without a store (`check --metadata`) dependency ages are not looked up."""
        index = await self.ready_index()
        matches = match_name(snapshot.project, index, ownership=snapshot.ownership)
        targets = {m.target for m in matches}
        lookalikes = set(imitating_dependencies(snapshot.metadata.requires_dist, index))
        names = sorted(targets | lookalikes)
        profiles = dict(
            zip(names, await asyncio.gather(*(self._profile(n) for n in names)), strict=True)
        )
        context = AnalysisContext(
            now=self.clock(),
            index=index,
            targets={n: m for n in targets if (m := profiles[n].metadata)},
            target_ownership={n: o for n in targets if (o := profiles[n].ownership)},
            dependency_facts={n: f for n in lookalikes if (f := profiles[n].facts)},
            dependency_first_seen=(
                await dependency_first_seen(conn, dependency_names(snapshot))
                if conn is not None
                else {}
            ),
            reports=(
                await fetch_advisories(conn, [snapshot.project], malicious_only=True)
                if conn is not None
                else ()
            ),
        )
        return assess_release(snapshot, context)

    async def _profile(self, name: str) -> ProjectProfile:
        cached = self._profiles.get(name)
        if cached is not None and cached.expires > time.monotonic():
            return cached
        task = self._inflight.get(name)
        if task is None:  # one fetch per project however many releases name it at once
            task = asyncio.ensure_future(self._fetch_profile(name))
            self._inflight[name] = task
            task.add_done_callback(lambda _: self._inflight.pop(name, None))
        return await asyncio.shield(task)

    async def _fetch_profile(self, name: str) -> ProjectProfile:
        try:
            page = await fetch_project(self.http, self.urls, name)
        except UpstreamError as exc:
            # Analysis goes on without the profile: the copy checks cannot fire and a look-alike
            # dependency counts as one of unknown age.
            log.warning("could not fetch %s to compare against: %s", name, exc)
            return ProjectProfile(None, None, None, time.monotonic() + RETRY_AFTER)
        expires = time.monotonic() + PROFILE_TTL
        if isinstance(page, NotFound):  # known to be absent: a project with nothing in it
            profile = ProjectProfile(None, None, ProjectFacts(None, 0), expires)
        else:
            profile = ProjectProfile(page.metadata, page.ownership, project_facts(page), expires)
        self._profiles[name] = profile
        return profile


def dependency_names(snapshot: ReleaseSnapshot) -> list[str]:
    names = set()
    for line in snapshot.metadata.requires_dist:
        requirement = parse_requirement(line)
        if requirement is not None:
            names.add(normalize(requirement.name))
    return sorted(names)
