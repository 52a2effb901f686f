"""The outbox sender: after commit, deliver what the outbox holds, once, grouped, within limits.

Delivery guarantee: every (subscription, finding) pair is planned once (a unique row) and sent
until its channel accepts it or it is dead-lettered. A row is marked 'sent' only after the
channel said yes; if the process dies between the channel's yes and that mark, the row's lease
runs out and it is sent once more. So: at least once, and at most one duplicate, only after a
crash at that exact moment.

Grouping: an immediate subscription gets each alert within about a second (`settle` catches
findings committed together). When it has already had `burst_messages` messages in the last
`burst_window` seconds, a campaign is under way: further rows wait until the oldest has waited
`max_wait` and then go as one grouped message, so 200 squats in a minute make a handful of
messages, not a flood. Each channel is also rate limited (Slack: one message a second).

Every release is named: a grouped burst larger than one message may carry (Slack's Block Kit
limits: 50 compact lines; email and webhooks: `batch`) goes as parts ("part 2 of 4"), one after
the other within the rate limit. Each part is claimed, sent and marked sent on its own, so a
crash resends at most the one part that was in flight, never the parts already delivered. A
part that fails is retried with the rest of its burst, numbered afresh.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from analysis.model import Severity
from collector.alerts.model import (
    AlertItem,
    Channel,
    Delivery,
    Part,
    Subscription,
    one_per_finding,
)
from collector.alerts.notifiers import DeliveryError, Notifier
from collector.alerts.render import per_message
from collector.backoff import Backoff
from collector.dashboard_links import dashboard_release_url
from collector.pypi.http import PyPIUrls
from collector.store.database import DB_ERRORS
from collector.store.outbox import (
    OutboxRow,
    PendingGroup,
    claim_outbox,
    mark_failed,
    mark_sent,
    outbox_open,
    outbox_ready,
    pending_groups,
)
from collector.store.subscriptions import get_subscription

log = logging.getLogger(__name__)

MIN_INTERVAL = {Channel.SLACK: 1.0, Channel.EMAIL: 1.0, Channel.WEBHOOK: 0.1}  # seconds


@dataclass(frozen=True, slots=True)
class SenderPolicy:
    settle: float = 0.5
    max_wait: float = 30.0
    burst_messages: int = 10  # messages a subscription may get in `burst_window` before grouping
    burst_window: float = 60.0
    lease: float = 60.0
    batch: int = 500  # rows in one email or webhook message at most (Slack: render.SLACK_ITEMS)
    base: float = 5.0
    cap: float = 1800.0
    max_attempts: int = 12  # transient failures (about 3.5 hours of backoff)
    max_attempts_permanent: int = 3  # a wrong URL or a refused login

    def delay(self, attempts: int, retry_after: float | None) -> float:
        backoff = Backoff(base=self.base, cap=self.cap).delay(attempts)
        return max(backoff, retry_after or 0.0)


@dataclass(frozen=True, slots=True)
class Links:
    pypi: PyPIUrls
    dashboard: str

    def item(self, row: OutboxRow) -> AlertItem:
        evidence = row.evidence if isinstance(row.evidence, dict) else {}
        return AlertItem(
            finding_id=row.finding_id,
            project=row.project,
            version=row.version,
            severity=Severity.parse(row.severity),
            score=row.score,
            summary=row.summary,
            reasons=tuple(str(r) for r in evidence.get("reasons", [])),
            checks=tuple(str(c) for c in evidence.get("checks", [])),
            targets=tuple(str(t) for t in evidence.get("targets", [])),
            first_seen=row.first_seen,
            pypi_url=self.pypi.project_page(row.project, row.version),
            inspector_url=str(
                evidence.get("inspector_url")
                or f"https://inspector.pypi.io/project/{row.project}/{row.version}/"
            ),
            dashboard_url=dashboard_release_url(self.dashboard, row.release_id),
        )


class OutboxSender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        notifiers: Mapping[Channel, Notifier],
        links: Links,
        *,
        policy: SenderPolicy | None = None,
    ) -> None:
        self.pool = pool
        self.notifiers = notifiers
        self.links = links
        self.policy = policy or SenderPolicy()
        self.wake = asyncio.Event()
        self._last_sent: dict[int, float] = {}
        self._recent: dict[int, deque[float]] = {}  # when each subscription's messages went
        self.sent_messages = 0

    async def run(self, stop: asyncio.Event, interval: float = 0.5) -> None:
        while not stop.is_set():
            try:
                await self.send_due()
            except DB_ERRORS as exc:
                log.warning("alert sender: database error (%s); retrying", exc)
            self.wake.clear()
            waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def drain(self, *, max_attempts: int = 4, give_up_after: float = 600.0) -> int:
        """Send everything now (digests too) until nothing is left but dead letters."""
        policy = self.policy
        self.policy = SenderPolicy(
            settle=0.0,
            max_wait=0.0,
            burst_messages=policy.burst_messages,
            burst_window=policy.burst_window,
            lease=policy.lease,
            batch=policy.batch,
            base=min(policy.base, 2.0),
            cap=10.0,
            max_attempts=max_attempts,
            max_attempts_permanent=min(max_attempts, 2),
        )
        deadline = time.monotonic() + give_up_after
        try:
            while time.monotonic() < deadline:
                await self.send_due(flush=True)
                async with self.pool.acquire() as conn:
                    if await outbox_open(conn) == 0:
                        break
                await asyncio.sleep(0.2)
        finally:
            self.policy = policy
        async with self.pool.acquire() as conn:
            return await outbox_open(conn)

    async def send_due(self, *, flush: bool = False) -> int:
        """One pass: every subscription with something due gets what is ready, in as many parts
        as its channel needs; returns the number of messages sent."""
        async with self.pool.acquire() as conn:
            groups = await pending_groups(conn)
        now = time.monotonic()
        sent = 0
        for group in groups:
            recent = self._recent.setdefault(group.subscription_id, deque())
            while recent and now - recent[0] > self.policy.burst_window:
                recent.popleft()
            if flush or is_due(group, len(recent), self.policy, datetime.now(UTC)):
                sent += await self._send_subscription(group.subscription_id)
        return sent

    async def _send_subscription(self, subscription_id: int) -> int:
        async with self.pool.acquire() as conn:
            subscription = await get_subscription(conn, subscription_id)
            ready = await outbox_ready(conn, subscription_id)
        if subscription is None:
            return 0
        size = per_message(subscription.channel, self.policy.batch)
        total = max(1, math.ceil(ready / size))
        for index in range(1, total + 1):
            if not await self._send_part(subscription, size, Part(index, total)):
                return index - 1
        return total

    async def _send_part(self, subscription: Subscription, size: int, part: Part) -> bool:
        """Claim, send and mark one message's rows; False when nothing went (none left, or the
        channel failed and the rows were put back with a backoff)."""
        await self._respect_rate_limit(subscription)
        async with self.pool.acquire() as conn:
            rows = await claim_outbox(conn, subscription.id, size, self.policy.lease)
        if not rows:
            return False
        items = one_per_finding([self.links.item(row) for row in rows])
        try:
            await self.notifiers[subscription.channel].send(items, subscription, part)
        except DeliveryError as exc:
            await self._failed(subscription, rows, exc)
            return False
        finally:
            self._last_sent[subscription.id] = time.monotonic()
        async with self.pool.acquire() as conn:
            await mark_sent(
                conn,
                [r.id for r in rows],
                subscription.id,
                uuid.uuid4().hex,
                next_digest_after(subscription.delivery, datetime.now(UTC)),
            )
        self.sent_messages += 1
        self._recent.setdefault(subscription.id, deque()).append(time.monotonic())
        label = f", {part.label}" if part.label else ""
        log.info(
            "alert to %s (%s): %d release(s)%s",
            subscription.name,
            subscription.channel,
            len(items),
            label,
        )
        return True

    async def _respect_rate_limit(self, subscription: Subscription) -> None:
        last = self._last_sent.get(subscription.id)
        if last is not None:
            wait = MIN_INTERVAL[subscription.channel] - (time.monotonic() - last)
            if wait > 0:
                await asyncio.sleep(wait)

    async def _failed(
        self, subscription: Subscription, rows: list[OutboxRow], exc: DeliveryError
    ) -> None:
        attempts = max(row.attempts for row in rows)
        limit = self.policy.max_attempts_permanent if exc.permanent else self.policy.max_attempts
        delay = self.policy.delay(attempts, exc.retry_after)
        async with self.pool.acquire() as conn:
            dead = await mark_failed(
                conn,
                [r.id for r in rows],
                subscription.id,
                str(exc),
                delay_seconds=delay,
                max_attempts=limit,
            )
        log.warning(
            "alert to %s (%s, %s) failed: %s; %s",
            subscription.name,
            subscription.channel,
            subscription.masked_target,
            exc,
            f"{dead} dead-lettered" if dead else f"retry in {delay:.0f}s",
        )


def is_due(group: PendingGroup, recent_messages: int, policy: SenderPolicy, now: datetime) -> bool:
    """Should this subscription's ready rows go now? Pure: the grouping and digest rules."""
    if group.delivery != Delivery.IMMEDIATE.value:
        return group.next_digest_at is None or group.next_digest_at <= now
    if recent_messages >= policy.burst_messages:  # a campaign: group it
        return group.oldest_age >= policy.max_wait
    return group.newest_age >= policy.settle or group.oldest_age >= policy.max_wait


def next_digest_after(delivery: Delivery, now: datetime) -> datetime | None:
    """Digests go out on the hour (hourly) or at 08:00 UTC (daily)."""
    if delivery is Delivery.HOURLY:
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if delivery is Delivery.DAILY:
        today = now.replace(hour=8, minute=0, second=0, microsecond=0)
        return today if today > now else today + timedelta(days=1)
    return None
