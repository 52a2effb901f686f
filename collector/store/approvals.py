"""Approvals and the requests waiting for one: decisions about what the vetted index may serve."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from analysis.approvals import Approval, applicable
from analysis.model import Ownership
from collector.store import PgConnection
from collector.store.releases import ownership_from_json


@dataclass(frozen=True, slots=True)
class Request:
    """Someone asked the index for a project (or one release of it) nobody has decided on."""

    project: str  # PEP 503 name
    version: str | None  # None: the project as a whole
    requested_by: str
    requested_at: datetime  # the latest time it was asked for
    count: int  # how many times it was asked for


@dataclass(frozen=True, slots=True)
class ReviewedRelease:
    """What the store knows about the release a request is about (the requested one, else the
    newest stored), for the person reviewing it."""

    version: str
    risk_score: int | None
    risk_severity: str | None
    uploaded_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """The stored facts about one request's project."""

    release: ReviewedRelease | None
    first_uploaded_at: datetime | None  # the project's oldest stored upload
    ownership: Ownership | None


_COLUMNS = "project, version, decision, actor, reason, created_at, expires_at"


def _approval(row: asyncpg.Record) -> Approval:
    return Approval(**dict(row))


async def fetch_approvals(conn: PgConnection, projects: Sequence[str]) -> list[Approval]:
    """Every decision about any of `projects` (PEP 503 names), expired ones included."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM approvals WHERE project = ANY($1::text[]) ORDER BY id",
        list(projects),
    )
    return [_approval(row) for row in rows]


async def save_approval(conn: PgConnection, approval: Approval) -> int:
    """Record a decision; earlier ones stay, as history (the newest one at a level wins)."""
    approval_id = await conn.fetchval(
        f"INSERT INTO approvals ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        approval.project,
        approval.version,
        approval.decision,
        approval.actor,
        approval.reason,
        approval.created_at,
        approval.expires_at,
    )
    return int(approval_id)


async def list_approvals(
    conn: PgConnection, *, include_expired: bool = False, now: datetime | None = None
) -> list[Approval]:
    """Decisions, newest first; only those still in force unless `include_expired`."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM approvals
        WHERE $1::boolean OR expires_at IS NULL OR expires_at > coalesce($2, now())
        ORDER BY created_at DESC, id DESC
        """,
        include_expired,
        now,
    )
    return [_approval(row) for row in rows]


async def record_request(
    conn: PgConnection, project: str, version: str | None, requested_by: str
) -> None:
    """Note that `project` (at `version`) was asked for; asking again counts, and moves it up."""
    await conn.execute(
        """
        INSERT INTO approval_requests (project, version, requested_by) VALUES ($1, $2, $3)
        ON CONFLICT (project, version) DO UPDATE SET
            count = approval_requests.count + 1, requested_at = now(),
            requested_by = EXCLUDED.requested_by
        """,
        project,
        version,
        requested_by,
    )


async def fetch_pending(conn: PgConnection, now: datetime | None = None) -> list[Request]:
    """Requests no decision in force covers, the most recently asked for first."""
    rows = await conn.fetch(
        """
        SELECT project, version, requested_by, requested_at, count FROM approval_requests
        ORDER BY requested_at DESC, id DESC
        """
    )
    requests = [Request(**dict(row)) for row in rows]
    approvals = await fetch_approvals(conn, sorted({r.project for r in requests}))
    at = now if now is not None else await conn.fetchval("SELECT now()")
    return [r for r in requests if not decided(approvals, r, at)]


def decided(approvals: Sequence[Approval], request: Request, now: datetime) -> bool:
    """Whether a decision in force covers the request: a request for the project as a whole is
    only covered by a decision about the whole project."""
    if request.version is not None:
        return applicable(approvals, request.project, request.version, now) is not None
    return any(
        a.project == request.project and a.version is None and a.active(now) for a in approvals
    )


_FACTS = """
SELECT t.project, t.version AS requested, r.version, r.risk_score,
       r.risk_severity::text AS risk_severity, r.uploaded_at, p.ownership,
       (SELECT min(uploaded_at) FROM releases WHERE project = t.project) AS first_uploaded_at
FROM unnest($1::text[], $2::text[]) AS t(project, version)
LEFT JOIN projects p ON p.normalized = t.project
LEFT JOIN LATERAL (
    SELECT version, risk_score, risk_severity, uploaded_at FROM releases
    WHERE project = t.project AND (t.version IS NULL OR version = t.version)
    ORDER BY uploaded_at DESC NULLS LAST, id DESC LIMIT 1
) r ON true
"""


async def fetch_facts(
    conn: PgConnection, requests: Sequence[Request]
) -> dict[tuple[str, str | None], ReviewFacts]:
    """The stored facts about each request, by (project, version)."""
    rows = await conn.fetch(_FACTS, [r.project for r in requests], [r.version for r in requests])
    return {(row["project"], row["requested"]): _facts(row) for row in rows}


def _facts(row: asyncpg.Record) -> ReviewFacts:
    release = None
    if row["version"] is not None:
        release = ReviewedRelease(
            row["version"], row["risk_score"], row["risk_severity"], row["uploaded_at"]
        )
    return ReviewFacts(release, row["first_uploaded_at"], ownership_from_json(row["ownership"]))
