"""The alert outbox in Postgres.

Outbox rows are written in the transaction that stores the finding and claimed by the sender
after commit. A claimed row is 'sending' with a lease; it becomes 'sent' after the channel
accepted it, or goes back to 'pending' with a backoff, and to 'dead' after too many failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analysis.model import Severity
from collector.alerts.model import AGGREGATE_CHECK
from collector.store import PgConnection


@dataclass(frozen=True, slots=True)
class AggregateFinding:
    """A release's aggregate finding: the one alerts are planned for."""

    id: int
    severity: Severity


async def fetch_aggregate_finding(conn: PgConnection, release_id: int) -> AggregateFinding | None:
    row = await conn.fetchrow(
        "SELECT id, severity::text AS severity FROM findings "
        "WHERE release_id = $1 AND check_id = $2",
        release_id,
        AGGREGATE_CHECK,
    )
    return None if row is None else AggregateFinding(row["id"], Severity.parse(row["severity"]))


async def enqueue_alerts(conn: PgConnection, finding_id: int, subscriptions: Iterable[int]) -> int:
    """Plan one delivery per (subscription, finding, severity): a pair already planned at the
    finding's current severity or above is left alone; a verdict that rose is planned again.

    A rise before the earlier alert left (it was settling, grouped or waiting for a digest)
    raises that row instead of adding one: the subscriber gets the finding once, at its new
    severity, rather than the same finding twice in one message."""
    ids = sorted(set(subscriptions))
    if not ids:
        return 0
    raised = await conn.fetch(_RAISE_UNSENT, finding_id, ids)
    status = await conn.execute(_PLAN, finding_id, ids)
    return len(raised) + int(status.rsplit(" ", 1)[-1])


# Rows claimed by a sender ('sending') are left alone: what they carry is on its way, and the
# rise is then planned as a new row, a second alert.
_RAISE_UNSENT = """
UPDATE alert_outbox o SET severity = f.severity
FROM findings f
WHERE f.id = $1 AND o.finding_id = $1 AND o.subscription_id = ANY($2::bigint[])
  AND o.state = 'pending' AND o.severity < f.severity
  AND o.id = (  -- one row per pair: two raised to one severity would break the unique key
      SELECT max(id) FROM alert_outbox x
      WHERE x.subscription_id = o.subscription_id AND x.finding_id = $1 AND x.state = 'pending'
  )
  AND NOT EXISTS (
      SELECT 1 FROM alert_outbox done
      WHERE done.subscription_id = o.subscription_id AND done.finding_id = $1
        AND done.severity >= f.severity
  )
RETURNING o.id
"""
_PLAN = """
INSERT INTO alert_outbox (subscription_id, finding_id)
SELECT s, $1 FROM unnest($2::bigint[]) AS s
WHERE NOT EXISTS (
    SELECT 1 FROM alert_outbox o JOIN findings f ON f.id = $1
    WHERE o.subscription_id = s AND o.finding_id = $1 AND o.severity >= f.severity
)
ON CONFLICT (subscription_id, finding_id, severity) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    subscription_id: int
    finding_id: int
    attempts: int
    release_id: int
    project: str
    version: str
    severity: str
    score: int
    summary: str
    evidence: dict[str, Any]
    first_seen: datetime


# Subscriptions with rows ready to go, and how old their oldest and newest rows are; the
# sender decides (grouping, digests) in Python.
_PENDING_BY_SUBSCRIPTION = """
SELECT o.subscription_id, s.delivery, s.next_digest_at,
       extract(epoch FROM now() - min(o.created_at)) AS oldest_age,
       extract(epoch FROM now() - max(o.created_at)) AS newest_age
FROM alert_outbox o JOIN subscriptions s ON s.id = o.subscription_id
WHERE (o.state = 'pending' OR o.state = 'sending') AND o.next_attempt_at <= now()
GROUP BY o.subscription_id, s.delivery, s.next_digest_at
ORDER BY o.subscription_id
"""


@dataclass(frozen=True, slots=True)
class PendingGroup:
    subscription_id: int
    delivery: str
    next_digest_at: datetime | None
    oldest_age: float  # seconds since the oldest ready row was planned
    newest_age: float


_CLAIM = """
WITH claimed AS (
    UPDATE alert_outbox o SET state = 'sending', attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => $3)
    WHERE o.id IN (
        SELECT id FROM alert_outbox
        WHERE subscription_id = $1 AND (state = 'pending' OR state = 'sending')
          AND next_attempt_at <= now()
        ORDER BY id LIMIT $2
        FOR UPDATE SKIP LOCKED
    )
    RETURNING o.id, o.subscription_id, o.finding_id, o.attempts
)
SELECT c.id, c.subscription_id, c.finding_id, c.attempts, f.release_id, f.project, f.version,
       f.severity::text AS severity, f.score, f.summary, f.evidence, f.first_seen_at AS first_seen
FROM claimed c JOIN findings f ON f.id = c.finding_id
ORDER BY f.severity DESC, c.id
"""


async def pending_groups(conn: PgConnection) -> list[PendingGroup]:
    rows = await conn.fetch(_PENDING_BY_SUBSCRIPTION)
    return [
        PendingGroup(
            r["subscription_id"],
            r["delivery"],
            r["next_digest_at"],
            float(r["oldest_age"]),
            float(r["newest_age"]),
        )
        for r in rows
    ]


async def claim_outbox(
    conn: PgConnection, subscription_id: int, limit: int, lease_seconds: float
) -> list[OutboxRow]:
    rows = await conn.fetch(_CLAIM, subscription_id, limit, lease_seconds)
    return [OutboxRow(**dict(row)) for row in rows]


async def outbox_ready(conn: PgConnection, subscription_id: int) -> int:
    """Rows a claim for this subscription would take now (the same condition as _CLAIM)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM alert_outbox WHERE subscription_id = $1 "
            "AND (state = 'pending' OR state = 'sending') AND next_attempt_at <= now()",
            subscription_id,
        )
    )


async def mark_sent(
    conn: PgConnection,
    ids: Sequence[int],
    subscription_id: int,
    message_id: str,
    next_digest: datetime | None,
) -> None:
    async with conn.transaction():
        await conn.execute(
            "UPDATE alert_outbox SET state = 'sent', sent_at = now(), message_id = $2, "
            "last_error = NULL WHERE id = ANY($1::bigint[])",
            list(ids),
            message_id,
        )
        await conn.execute(
            "UPDATE subscriptions SET last_sent_at = now(), last_error = NULL, "
            "next_digest_at = COALESCE($2, next_digest_at) WHERE id = $1",
            subscription_id,
            next_digest,
        )


async def mark_failed(
    conn: PgConnection,
    ids: Sequence[int],
    subscription_id: int,
    error: str,
    *,
    delay_seconds: float,
    max_attempts: int,
) -> int:
    """Back off, or dead-letter rows that failed `max_attempts` times; return how many died."""
    async with conn.transaction():
        dead = await conn.fetchval(
            """
            WITH updated AS (
                UPDATE alert_outbox SET
                    state = CASE WHEN attempts >= $3 THEN 'dead' ELSE 'pending' END,
                    next_attempt_at = now() + make_interval(secs => $4),
                    last_error = $2
                WHERE id = ANY($1::bigint[])
                RETURNING state
            )
            SELECT count(*) FILTER (WHERE state = 'dead') FROM updated
            """,
            list(ids),
            error[:2000],
            max_attempts,
            delay_seconds,
        )
        await conn.execute(
            "UPDATE subscriptions SET last_error = $2, last_error_at = now() WHERE id = $1",
            subscription_id,
            error[:2000],
        )
    return int(dead)


async def outbox_open(conn: PgConnection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM alert_outbox WHERE state IN ('pending', 'sending')"
        )
    )


async def requeue_dead(conn: PgConnection, subscription_id: int) -> int:
    status = await conn.execute(
        "UPDATE alert_outbox SET state = 'pending', attempts = 0, next_attempt_at = now() "
        "WHERE subscription_id = $1 AND state = 'dead'",
        subscription_id,
    )
    return int(status.rsplit(" ", 1)[-1])


async def count_by_state(conn: PgConnection) -> dict[str, int]:
    """Outbox rows by state (pending, sending, sent, dead), for the metrics."""
    rows = await conn.fetch("SELECT state, count(*) AS n FROM alert_outbox GROUP BY state")
    return {row["state"]: row["n"] for row in rows}
