"""The Subscriptions page: alert rules listed with their targets masked, created, edited, removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from collector.alerts.model import mask_target
from dashboard.queries.shared import Pool


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """An alert rule as the dashboard may show it: the target masked, the secret only flagged."""

    id: int
    name: str
    channel: str
    target_masked: str
    has_secret: bool
    min_severity: str
    check_ids: list[str]
    watched_projects: list[str]
    name_patterns: list[str]
    delivery: str
    enabled: bool
    origin: str
    updated_at: datetime
    failed_deliveries: int


@dataclass(frozen=True, slots=True)
class SubscriptionInput:
    """A validated create or edit. `target`/`secret` None on edit: keep the stored value."""

    name: str
    channel: str
    target: str | None
    min_severity: str
    check_ids: list[str]
    watched_projects: list[str]
    name_patterns: list[str]
    delivery: str
    enabled: bool
    secret: str | None = None
    clear_secret: bool = False


_SUBSCRIPTIONS = """
SELECT s.id, s.name, s.channel, s.target, (COALESCE(s.secret, '') <> '') AS has_secret,
       s.min_severity::text AS min_severity, s.check_ids, s.watched_projects, s.name_patterns,
       s.delivery, s.enabled, s.origin, s.updated_at,
       (SELECT count(*) FROM alert_outbox o WHERE o.state = 'dead' AND o.subscription_id = s.id)
           AS failed_deliveries
FROM subscriptions s ORDER BY s.name
"""


async def fetch_subscriptions(pool: Pool) -> list[SubscriptionRow]:
    """Every subscription, its target masked here so the full credential never reaches a page."""
    rows = await pool.fetch(_SUBSCRIPTIONS)
    found = []
    for row in rows:
        values = dict(row)
        values["target_masked"] = mask_target(values["channel"], values.pop("target"))
        values["failed_deliveries"] = int(values["failed_deliveries"])
        found.append(SubscriptionRow(**values))
    return found


class DuplicateName(Exception):
    """A subscription with that name exists."""


async def create_subscription(pool: Pool, sub: SubscriptionInput) -> int:
    try:
        value = await pool.fetchval(
            """
            INSERT INTO subscriptions (name, channel, target, secret, min_severity, check_ids,
                                       watched_projects, name_patterns, delivery, enabled, origin)
            VALUES ($1, $2, $3, $4, $5::severity, $6, $7, $8, $9, $10, 'dashboard')
            RETURNING id
            """,
            sub.name,
            sub.channel,
            sub.target,
            sub.secret or None,
            sub.min_severity,
            sub.check_ids,
            sub.watched_projects,
            sub.name_patterns,
            sub.delivery,
            sub.enabled,
        )
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateName(sub.name) from exc
    return int(value)


async def update_subscription(pool: Pool, subscription_id: int, sub: SubscriptionInput) -> bool:
    try:
        status = await pool.execute(
            """
            UPDATE subscriptions SET name = $2, channel = $3, target = COALESCE($4, target),
                secret = CASE WHEN $5 THEN NULL ELSE COALESCE($6, secret) END,
                min_severity = $7::severity, check_ids = $8, watched_projects = $9,
                name_patterns = $10, delivery = $11, enabled = $12, updated_at = now()
            WHERE id = $1
            """,
            subscription_id,
            sub.name,
            sub.channel,
            sub.target,
            sub.clear_secret,
            sub.secret or None,
            sub.min_severity,
            sub.check_ids,
            sub.watched_projects,
            sub.name_patterns,
            sub.delivery,
            sub.enabled,
        )
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateName(sub.name) from exc
    return bool(status.endswith(" 1"))


async def delete_subscription(pool: Pool, subscription_id: int) -> bool:
    status = await pool.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)
    return bool(status.endswith(" 1"))
