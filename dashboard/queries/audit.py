"""The Audit page: what the store holds on pasted dependencies, read as `audit` reads it."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.requirements import Dependency
from collector.audit import Lookup, look_up
from dashboard.queries.shared import Pool


async def fetch_audit_lookup(pool: Pool, dependencies: Sequence[Dependency]) -> Lookup:
    """What the store holds on audited dependencies, read as `audit` reads it."""
    async with pool.acquire() as conn:
        return await look_up(conn, dependencies)
