"""`pypi-sentinel subscribe add|list|remove|test|retry`: alert rules kept in Postgres.

Webhook URLs are credentials: pass "-" to read one from stdin instead of the command line, and
`list` only ever shows them masked.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from analysis.model import Severity
from analysis.names import normalize
from collector.alerts.model import Channel, Delivery, Subscription
from collector.alerts.sender import next_digest_after
from collector.alerts.service import send_test_alert
from collector.config import Settings, parse_email, parse_optional_url
from collector.errors import UsageError
from collector.output import OutputFormat, add_format_flag, print_json, print_text, render_table
from collector.store.database import open_database
from collector.store.outbox import requeue_dead
from collector.store.subscriptions import (
    DeliveryHealth,
    fetch_delivery_health,
    get_subscription,
    list_subscriptions,
    remove_subscription,
    save_subscription,
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "subscribe", help="manage alert subscriptions (Slack, email, webhooks)"
    )
    actions = parser.add_subparsers(dest="subscribe_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add or replace a subscription")
    add.add_argument("name")
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--slack", metavar="WEBHOOK_URL", help="Slack incoming webhook ('-': stdin)")
    where.add_argument("--email", metavar="ADDRESS")
    where.add_argument("--webhook", metavar="URL", help="generic JSON webhook ('-': stdin)")
    add.add_argument("--secret", help="HMAC-SHA256 key for --webhook ('-': stdin)")
    add.add_argument("--min-severity", choices=[s.label for s in Severity], default="medium")
    add.add_argument(
        "--check",
        action="append",
        default=[],
        help="only these check ids (or prefixes ending in .)",
    )
    add.add_argument(
        "--watch", action="append", default=[], help="only releases of or imitating this project"
    )
    add.add_argument(
        "--pattern", action="append", default=[], help="only project names matching this glob"
    )
    add.add_argument("--delivery", choices=[d.value for d in Delivery], default="immediate")
    add.add_argument("--disabled", action="store_true")
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list subscriptions (credentials masked)")
    add_format_flag(listing)
    listing.set_defaults(handler=run_list)
    for name, help_text, handler in (
        ("remove", "delete a subscription", run_remove),
        ("test", "send a test alert now", run_test),
        ("retry", "put its dead-lettered alerts back in the outbox", run_retry),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("subscription", help="name or id")
        action.set_defaults(handler=handler)
    return parser


def _secret_arg(value: str | None) -> str | None:
    if value == "-":
        return sys.stdin.readline().strip() or None
    return value


def subscription_from_args(args: argparse.Namespace) -> Subscription:
    try:
        if args.email:
            channel, target = Channel.EMAIL, parse_email(args.email)
        else:
            channel = Channel.SLACK if args.slack else Channel.WEBHOOK
            target = parse_optional_url(_secret_arg(args.slack or args.webhook) or "")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if not target:
        raise UsageError("a subscription needs a destination")
    if args.secret and channel is not Channel.WEBHOOK:
        raise UsageError("--secret signs generic webhooks only")
    return Subscription(
        id=0,
        name=args.name,
        channel=channel,
        target=target,
        min_severity=Severity.parse(args.min_severity),
        check_ids=tuple(args.check),
        watched_projects=tuple(normalize(p) for p in args.watch),
        name_patterns=tuple(p.lower() for p in args.pattern),
        delivery=Delivery(args.delivery),
        secret=_secret_arg(args.secret),
        enabled=not args.disabled,
    )


async def run_add(settings: Settings, args: argparse.Namespace) -> int:
    subscription = subscription_from_args(args)
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        sub_id = await save_subscription(
            conn, subscription, "cli", next_digest_after(subscription.delivery, datetime.now(UTC))
        )
    print_text(f"subscription {subscription.name} (id {sub_id}) saved: {describe(subscription)}")
    return 0


def describe(sub: Subscription) -> str:
    parts = [f"{sub.channel} {sub.masked_target}", f"{sub.min_severity.label}+", sub.delivery.value]
    if sub.check_ids:
        parts.append("checks " + ",".join(sub.check_ids))
    if sub.watched_projects:
        parts.append("watching " + ",".join(sub.watched_projects))
    if sub.name_patterns:
        parts.append("names " + ",".join(sub.name_patterns))
    if not sub.enabled:
        parts.append("disabled")
    return "; ".join(parts)


async def run_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        subs = await list_subscriptions(conn)
        health = await fetch_delivery_health(conn)
    if args.format is OutputFormat.JSON:
        print_json({"subscriptions": [_json(s, health.get(s.id)) for s in subs]})
        return 0
    if not subs:
        print_text("no subscriptions")
    for sub in subs:
        h = health.get(sub.id)
        state = f"{h.pending} pending, {h.dead} dead" if h else ""
        error = f"; last error: {h.last_error}" if h and h.last_error else ""
        print_text(render_table([(f"{sub.id} {sub.name}", f"{describe(sub)}; {state}{error}")]))
    return 0


def _json(sub: Subscription, health: DeliveryHealth | None) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name,
        "channel": sub.channel.value,
        "target": sub.masked_target,
        "min_severity": sub.min_severity.label,
        "checks": list(sub.check_ids),
        "watched_projects": list(sub.watched_projects),
        "name_patterns": list(sub.name_patterns),
        "delivery": sub.delivery.value,
        "enabled": sub.enabled,
        "signed": bool(sub.secret),
        "pending": health.pending if health else 0,
        "dead": health.dead if health else 0,
        "last_sent_at": health.last_sent_at if health else None,
        "last_error": health.last_error if health else None,
    }


async def _find(conn: Any, key: str) -> Subscription:
    subscription = await get_subscription(conn, key)
    if subscription is None:
        raise UsageError(f"no subscription {key!r}")
    return subscription


async def run_remove(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        subscription = await _find(conn, args.subscription)
        await remove_subscription(conn, subscription.id)
    print_text(f"subscription {subscription.name} removed")
    return 0


async def run_test(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=1) as db:
        async with db.pool.acquire() as conn:
            subscription = await _find(conn, args.subscription)
        print_text(await send_test_alert(db.pool, settings, subscription.id))
    return 0


async def run_retry(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        subscription = await _find(conn, args.subscription)
        count = await requeue_dead(conn, subscription.id)
    print_text(f"{count} dead-lettered alert(s) of {subscription.name} back in the outbox")
    return 0
