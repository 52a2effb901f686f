"""Alert subscriptions in Postgres: who wants which alerts where, and how their deliveries fare."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from analysis.model import Severity
from collector.alerts.model import Channel, Delivery, Subscription
from collector.store import PgConnection

_COLUMNS = (
    "id, name, channel, target, secret, min_severity::text AS min_severity, check_ids, "
    "watched_projects, name_patterns, delivery, enabled"
)


def _subscription(row: asyncpg.Record) -> Subscription:
    return Subscription(
        id=row["id"],
        name=row["name"],
        channel=Channel(row["channel"]),
        target=row["target"],
        secret=row["secret"],
        min_severity=Severity.parse(row["min_severity"]),
        check_ids=tuple(row["check_ids"]),
        watched_projects=tuple(row["watched_projects"]),
        name_patterns=tuple(row["name_patterns"]),
        delivery=Delivery(row["delivery"]),
        enabled=row["enabled"],
    )


async def list_subscriptions(
    conn: PgConnection, *, enabled_only: bool = False
) -> list[Subscription]:
    where = "WHERE enabled" if enabled_only else ""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM subscriptions {where} ORDER BY id")
    return [_subscription(row) for row in rows]


async def get_subscription(conn: PgConnection, key: str | int) -> Subscription | None:
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM subscriptions WHERE id = $1", int(key))
    else:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM subscriptions WHERE name = $1", key)
    return None if row is None else _subscription(row)


_SAVE = """
INSERT INTO subscriptions (name, channel, target, secret, min_severity, check_ids,
                           watched_projects, name_patterns, delivery, enabled, origin,
                           next_digest_at)
VALUES ($1, $2, $3, $4, $5::severity, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (name) DO UPDATE SET
    channel = EXCLUDED.channel, target = EXCLUDED.target, secret = EXCLUDED.secret,
    min_severity = EXCLUDED.min_severity, check_ids = EXCLUDED.check_ids,
    watched_projects = EXCLUDED.watched_projects, name_patterns = EXCLUDED.name_patterns,
    delivery = EXCLUDED.delivery, enabled = EXCLUDED.enabled, updated_at = now(),
    next_digest_at = EXCLUDED.next_digest_at
RETURNING id
"""


async def save_subscription(
    conn: PgConnection, sub: Subscription, origin: str, next_digest: datetime | None = None
) -> int:
    """Insert, or update the subscription of the same name."""
    value = await conn.fetchval(
        _SAVE,
        sub.name,
        sub.channel.value,
        sub.target,
        sub.secret,
        sub.min_severity.label,
        list(sub.check_ids),
        list(sub.watched_projects),
        list(sub.name_patterns),
        sub.delivery.value,
        sub.enabled,
        origin,
        next_digest,
    )
    return int(value)


async def remove_subscription(conn: PgConnection, sub_id: int) -> bool:
    status = await conn.execute("DELETE FROM subscriptions WHERE id = $1", sub_id)
    return status.endswith(" 1")


async def sync_env_subscriptions(conn: PgConnection, wanted: Sequence[Subscription]) -> None:
    """The env-var shortcuts: keep their subscriptions in step, disable the ones no longer set."""
    names = [sub.name for sub in wanted]
    for sub in wanted:
        await save_subscription(conn, sub, "env")
    await conn.execute(
        "UPDATE subscriptions SET enabled = false, updated_at = now() "
        "WHERE origin = 'env' AND enabled AND NOT (name = ANY($1::text[]))",
        names,
    )


@dataclass(frozen=True, slots=True)
class DeliveryHealth:
    """How one subscription's deliveries fare: its last success and error, and its open rows."""

    last_sent_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    pending: int  # rows still to send ('pending' or 'sending')
    dead: int  # rows that failed too often


_DELIVERY_HEALTH = """
SELECT s.id, s.last_sent_at, s.last_error, s.last_error_at,
       count(o.id) FILTER (WHERE o.state IN ('pending', 'sending')) AS pending,
       count(o.id) FILTER (WHERE o.state = 'dead') AS dead
FROM subscriptions s LEFT JOIN alert_outbox o ON o.subscription_id = s.id
GROUP BY s.id
"""


async def fetch_delivery_health(conn: PgConnection) -> dict[int, DeliveryHealth]:
    """Every subscription's delivery health, by subscription id."""
    return {
        row["id"]: DeliveryHealth(
            last_sent_at=row["last_sent_at"],
            last_error=row["last_error"],
            last_error_at=row["last_error_at"],
            pending=row["pending"],
            dead=row["dead"],
        )
        for row in await conn.fetch(_DELIVERY_HEALTH)
    }
