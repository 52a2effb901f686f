"""Wiring alerts for the commands and the dashboard: notifiers, the sender, env subscriptions,
and a test alert sent straight to one subscription."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import asyncpg

from analysis.model import Severity
from collector.alerts.model import AlertItem, Channel, Subscription
from collector.alerts.notifiers import (
    DeliveryError,
    EmailNotifier,
    Notifier,
    SlackNotifier,
    WebhookNotifier,
)
from collector.alerts.sender import Links, OutboxSender, SenderPolicy
from collector.config import Settings
from collector.errors import UpstreamError, UsageError
from collector.pypi.http import PyPIUrls, new_session
from collector.store.subscriptions import get_subscription, sync_env_subscriptions

ENV_SLACK = "env-slack"
ENV_EMAIL = "env-email"


def notifiers(settings: Settings, session: aiohttp.ClientSession) -> dict[Channel, Notifier]:
    return {
        Channel.SLACK: SlackNotifier(session),
        Channel.WEBHOOK: WebhookNotifier(session),
        Channel.EMAIL: EmailNotifier(settings),
    }


def build_sender(
    pool: asyncpg.Pool,
    settings: Settings,
    session: aiohttp.ClientSession,
    policy: SenderPolicy | None = None,
) -> OutboxSender:
    links = Links(PyPIUrls(settings.pypi_url), settings.dashboard_url)
    return OutboxSender(pool, notifiers(settings, session), links, policy=policy)


def env_subscriptions(settings: Settings) -> list[Subscription]:
    """The one-variable setups: a Slack webhook or an email address, medium and up."""
    wanted = []
    if settings.slack_webhook_url:
        wanted.append(Subscription(0, ENV_SLACK, Channel.SLACK, settings.slack_webhook_url))
    if settings.alert_email:
        wanted.append(Subscription(0, ENV_EMAIL, Channel.EMAIL, settings.alert_email))
    return wanted


async def apply_env_subscriptions(pool: asyncpg.Pool, settings: Settings) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await sync_env_subscriptions(conn, env_subscriptions(settings))


def test_item(settings: Settings, severity: Severity) -> AlertItem:
    urls = PyPIUrls(settings.pypi_url)
    return AlertItem(
        finding_id=0,
        project="pypi-sentinel-test",
        version="0.0.0",
        severity=severity,
        score=0,
        summary="A test alert from pypi-sentinel: this subscription can reach you.",
        reasons=("This is a test; no package was flagged.",),
        checks=(),
        targets=(),
        first_seen=datetime.now(UTC),
        pypi_url=urls.project_page("pypi-sentinel-test"),
        inspector_url="https://inspector.pypi.io/project/pypi-sentinel-test/",
        dashboard_url=settings.dashboard_url,
    )


async def send_test_alert(pool: asyncpg.Pool, settings: Settings, subscription_id: int) -> str:
    """Send a test alert straight to one subscription (not through the outbox)."""
    async with pool.acquire() as conn:
        subscription = await get_subscription(conn, subscription_id)
    if subscription is None:
        raise UsageError(f"no subscription {subscription_id}")
    async with new_session() as session:
        notifier = notifiers(settings, session)[subscription.channel]
        try:
            await notifier.send([test_item(settings, subscription.min_severity)], subscription)
        except DeliveryError as exc:
            raise UpstreamError(
                "delivery", f"test alert to {subscription.name} failed: {exc}"
            ) from exc
    return f"test alert sent to {subscription.name} ({subscription.channel}, {subscription.masked_target})"
