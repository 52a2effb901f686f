"""The seam between the pipeline and analysis/: gather what the checks need, then call them.

The engine needs three things beyond the release: the popular-name index (built once from the
corpus), the metadata of any project the name imitates (fetched from PyPI, cached), and when
the release's dependencies were created (from our store).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from packaging.requirements import InvalidRequirement, Requirement

from analysis import AnalysisContext, NameIndex, assess_release, match_name
from analysis.model import Assessment, Ownership, ReleaseMetadata, ReleaseSnapshot
from analysis.names import normalize
from collector.errors import UpstreamError
from collector.pypi.http import Http, PyPIUrls
from collector.pypi.json_api import NotFound, fetch_project
from collector.store import PgConnection
from collector.store.releases import dependency_first_seen

log = logging.getLogger(__name__)

TARGET_TTL = 6 * 3600.0  # seconds a popular project's metadata is reused


class Analyzer(Protocol):
    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        """Analyse one release; may read the store (history, dependency ages) and fetch targets."""
        ...


class NoChecks:
    """An analyzer with no checks: every release is clean. For runs that only collect."""

    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        return Assessment.clean()


@dataclass(frozen=True, slots=True)
class TargetProfile:
    metadata: ReleaseMetadata | None
    ownership: Ownership | None
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
        self._targets: dict[str, TargetProfile] = {}
        self._inflight: dict[str, asyncio.Task[TargetProfile]] = {}

    def replace_index(self, index: NameIndex) -> None:
        """Swap in an index built from a refreshed corpus."""
        self.index = index
        self._targets.clear()

    async def ready_index(self) -> NameIndex:
        if self.index is None:
            assert self._pending is not None
            self.index = await asyncio.shield(self._pending)
        return self.index

    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection | None) -> Assessment:
        """Every check; without a store (`check --metadata`) dependency ages are not looked up."""
        index = await self.ready_index()
        matches = match_name(snapshot.project, index, ownership=snapshot.ownership)
        names = sorted({m.target for m in matches})
        profiles = await asyncio.gather(*(self._target(name) for name in names))
        context = AnalysisContext(
            now=self.clock(),
            index=index,
            targets={n: p.metadata for n, p in zip(names, profiles, strict=True) if p.metadata},
            target_ownership={
                n: p.ownership for n, p in zip(names, profiles, strict=True) if p.ownership
            },
            dependency_first_seen=(
                await dependency_first_seen(conn, dependency_names(snapshot))
                if conn is not None
                else {}
            ),
        )
        return assess_release(snapshot, context)

    async def _target(self, name: str) -> TargetProfile:
        cached = self._targets.get(name)
        if cached is not None and cached.expires > time.monotonic():
            return cached
        task = self._inflight.get(name)
        if task is None:  # one fetch per target however many squats arrive at once
            task = asyncio.ensure_future(self._fetch_target(name))
            self._inflight[name] = task
            task.add_done_callback(lambda _: self._inflight.pop(name, None))
        return await asyncio.shield(task)

    async def _fetch_target(self, name: str) -> TargetProfile:
        try:
            page = await fetch_project(self.http, self.urls, name)
        except UpstreamError as exc:
            # Analysis goes on without the target's profile; the copy checks just cannot fire.
            log.warning("could not fetch %s to compare against: %s", name, exc)
            return TargetProfile(None, None, time.monotonic() + 60.0)
        if isinstance(page, NotFound):
            profile = TargetProfile(None, None, time.monotonic() + TARGET_TTL)
        else:
            profile = TargetProfile(page.metadata, page.ownership, time.monotonic() + TARGET_TTL)
        self._targets[name] = profile
        return profile


def dependency_names(snapshot: ReleaseSnapshot) -> list[str]:
    names = set()
    for line in snapshot.metadata.requires_dist:
        try:
            names.add(normalize(Requirement(line).name))
        except InvalidRequirement:
            continue
    return sorted(names)
