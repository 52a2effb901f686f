"""The Approvals page: requests of the vetted index waiting for a decision, and decisions."""

from __future__ import annotations

from analysis.approvals import Approval
from analysis.corpus import Corpus
from collector.approvals import Review, fetch_reviews
from collector.store.approvals import list_approvals, save_approval
from dashboard.queries.shared import Pool


async def fetch_approval_reviews(pool: Pool, popular: Corpus) -> list[Review]:
    """Requests of the vetted index waiting for a decision, with evidence, as `pending` lists."""
    async with pool.acquire() as conn:
        return await fetch_reviews(conn, popular)


async def fetch_decisions(pool: Pool, *, include_expired: bool = False) -> list[Approval]:
    """Decisions about the vetted index, newest first, as `approvals` lists."""
    async with pool.acquire() as conn:
        return await list_approvals(conn, include_expired=include_expired)


async def save_decision(pool: Pool, approval: Approval) -> int:
    async with pool.acquire() as conn:
        return await save_approval(conn, approval)
