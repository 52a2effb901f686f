"""The Subscriptions page: alert rules listed with their targets masked, created, edited, removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from collector.alerts.model import mask_target
from collector.store.subscriptions import remove_subscription
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


def _columns(sub: SubscriptionInput) -> tuple[object, ...]:
    """The form's values in the order both statements below number them ($1.. or $2..)."""
    return (
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


_CREATE = """
INSERT INTO subscriptions (name, channel, target, secret, min_severity, check_ids,
                           watched_projects, name_patterns, delivery, enabled, origin)
VALUES ($1, $2, $3, $4, $5::severity, $6, $7, $8, $9, $10, 'dashboard')
RETURNING id
"""
# An empty target or secret keeps the stored one (the form never shows them); $12 clears it.
_UPDATE = """
UPDATE subscriptions SET name = $2, channel = $3, target = COALESCE($4, target),
    secret = CASE WHEN $12 THEN NULL ELSE COALESCE($5, secret) END,
    min_severity = $6::severity, check_ids = $7, watched_projects = $8,
    name_patterns = $9, delivery = $10, enabled = $11, updated_at = now()
WHERE id = $1
"""


async def create_subscription(pool: Pool, sub: SubscriptionInput) -> int:
    try:
        value = await pool.fetchval(_CREATE, *_columns(sub))
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateName(sub.name) from exc
    return int(value)


async def update_subscription(pool: Pool, subscription_id: int, sub: SubscriptionInput) -> bool:
    try:
        status = await pool.execute(_UPDATE, subscription_id, *_columns(sub), sub.clear_secret)
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateName(sub.name) from exc
    return bool(status.endswith(" 1"))


async def delete_subscription(pool: Pool, subscription_id: int) -> bool:
    async with pool.acquire() as conn:
        return await remove_subscription(conn, subscription_id)
