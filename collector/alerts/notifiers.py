"""Senders, one per channel: Slack incoming webhooks, email (aiosmtplib), generic signed webhooks.

Each turns a rendered message into one delivery attempt and reports failure as DeliveryError:
transient (retry with backoff: timeouts, 429, 5xx, a server that is down) or permanent (a
webhook that no longer exists, an SMTP login that is refused), which dead-letters sooner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import aiohttp
import aiosmtplib

from collector.alerts.model import WHOLE, AlertItem, Part, Subscription
from collector.alerts.render import render_email, render_slack, render_webhook, sign
from collector.config import Settings
from collector.pypi.http import USER_AGENT, parse_retry_after


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Notifier(Protocol):
    async def send(
        self, items: Sequence[AlertItem], subscription: Subscription, part: Part = WHOLE
    ) -> None: ...


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> None:
    try:
        async with session.post(
            url,
            data=body,
            headers={"User-Agent": USER_AGENT, **headers},
            timeout=aiohttp.ClientTimeout(total=15),
        ) as response:
            text = (await response.text(errors="replace"))[:200]
            status = response.status
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(f"cannot reach the webhook: {type(exc).__name__} {exc}") from exc
    if 200 <= status < 300:
        return
    message = f"webhook answered HTTP {status}: {text.strip() or 'no body'}"
    if status == 429 or status >= 500:
        raise DeliveryError(message, retry_after=retry_after)
    raise DeliveryError(message, permanent=True)  # 4xx: a wrong or revoked URL, a bad payload


class SlackNotifier:
    """Slack incoming webhooks answer 200 "ok", or 4xx with a reason such as no_service."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def send(
        self, items: Sequence[AlertItem], subscription: Subscription, part: Part = WHOLE
    ) -> None:
        body = render_slack(items, subscription.name, part)
        await _post(
            self.session,
            subscription.target,
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )


class WebhookNotifier:
    """Any HTTPS endpoint: a JSON body, signed with the subscription's secret (HMAC-SHA256)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def send(
        self, items: Sequence[AlertItem], subscription: Subscription, part: Part = WHOLE
    ) -> None:
        body = render_webhook(items, subscription.name, datetime.now(UTC), part)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Sentinel-Timestamp": timestamp}
        if subscription.secret:
            headers["X-Sentinel-Signature"] = sign(subscription.secret, timestamp, body)
        await _post(self.session, subscription.target, body, headers)


class EmailNotifier:
    """SMTP with STARTTLS (default), implicit TLS or none, and an optional login."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(
        self, items: Sequence[AlertItem], subscription: Subscription, part: Part = WHOLE
    ) -> None:
        s = self.settings
        sender = s.smtp_from or "pypi-sentinel@localhost"
        message = render_email(
            items,
            subscription.name,
            sender=sender,
            recipient=subscription.target,
            unsubscribe=f"mailto:{sender}?subject=unsubscribe%20{subscription.id}",
            part=part,
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host or "localhost",
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                timeout=20,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP login refused: {exc.code} {exc.message}", permanent=True
            ) from exc
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPSenderRefused) as exc:
            raise DeliveryError(f"SMTP refused the message: {exc}", permanent=True) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc
