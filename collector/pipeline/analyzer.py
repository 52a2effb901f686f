"""The seam between the pipeline and analysis/: gather what the checks need, then call them."""

from __future__ import annotations

from typing import Protocol

from analysis.model import Assessment, ReleaseSnapshot
from collector.store import PgConnection


class Analyzer(Protocol):
    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        """Analyse one release; may read the store (history, dependency ages) and fetch targets."""
        ...


class NoChecks:
    """An analyzer with no checks: every release is clean. For runs that only collect."""

    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        return Assessment.clean()
