"""The outbox sender against real local servers: once per (subscription, finding), grouped,
retried through outages, dead-lettered with a clear error, and safe across crashes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from analysis.model import Severity
from collector.alerts.model import (
    AGGREGATE_CHECK,
    WHOLE,
    AlertItem,
    Channel,
    Delivery,
    Part,
    Subscription,
)
from collector.alerts.notifiers import Notifier
from collector.alerts.sender import SenderPolicy
from collector.alerts.service import build_sender, send_test_alert
from collector.config import Settings
from collector.errors import SentinelError
from collector.store.database import create_pool
from collector.store.outbox import enqueue_alerts
from collector.store.subscriptions import save_subscription
from tests.collector.alerts.test_render_and_match import within_slack_limits
from tests.servers import Sink, Smtp

FAST = SenderPolicy(
    settle=0.05,
    max_wait=1.0,
    lease=0.5,
    base=0.05,
    cap=0.2,
    max_attempts=4,
    max_attempts_permanent=2,
)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "test", max_size=6)
    yield pool
    await pool.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: Smtp) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_username="sentinel",
        smtp_password="right",
        smtp_from="alerts@sentinel.example",
    )


async def subscribe(
    pool: asyncpg.Pool, name: str, channel: Channel, target: str, **extra: object
) -> int:
    async with pool.acquire() as conn:
        return await save_subscription(conn, Subscription(0, name, channel, target, **extra), "cli")  # type: ignore[arg-type]


async def flag(pool: asyncpg.Pool, project: str, subs: list[int], severity: str = "high") -> int:
    """A flagged release with its aggregate finding, planned for `subs` (as the pipeline does)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO projects (normalized, name) VALUES ($1, $1) ON CONFLICT DO NOTHING",
            project,
        )
        release = await conn.fetchval(
            "INSERT INTO releases (project, version, first_seen_source) VALUES ($1, '1.0', 'changelog') RETURNING id",
            project,
        )
        finding = await conn.fetchval(
            "INSERT INTO findings (release_id, project, version, check_id, severity, score, summary, target, evidence) "
            "VALUES ($1, $2, '1.0', $3, $4::severity, 80, $5, 'requests', $6) RETURNING id",
            release,
            project,
            AGGREGATE_CHECK,
            severity,
            f"{project} 1.0: high risk.",
            {
                "reasons": [f"{project} imitates requests"],
                "checks": ["typosquat.swapped-chars"],
                "targets": ["requests"],
            },
        )
        await enqueue_alerts(conn, finding, subs)
    return int(finding)


async def outbox(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT state, count(*) AS n FROM alert_outbox GROUP BY state ORDER BY state"
        )
    return [(r["state"], r["n"]) for r in rows]


async def test_each_channel_gets_the_alert_once(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink, smtp: Smtp
) -> None:
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    hook = await subscribe(pool, "siem", Channel.WEBHOOK, f"{sink.base}/hook", secret="s3cret")
    mail = await subscribe(pool, "oncall", Channel.EMAIL, "oncall@example.org")
    await flag(pool, "reqeusts", [slack, hook, mail])
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.drain() == 0
    assert await sender.drain() == 0  # nothing is sent twice
    (slack_msg,) = sink.at("/slack")
    assert slack_msg.json()["text"] == "HIGH reqeusts 1.0 imitates requests"
    (hook_msg,) = sink.at("/hook")
    assert hook_msg.json()["alerts"][0]["name"] == "reqeusts"
    assert hook_msg.headers["X-Sentinel-Signature"].startswith("sha256=")
    (mail_msg,) = smtp.wait(1)
    assert "reqeusts 1.0" in mail_msg["Subject"]
    assert await outbox(pool) == [("sent", 3)]


def named(message: dict[str, Any]) -> list[str]:  # type: ignore[misc]
    """The releases a Slack message names on its compact lines (the header aside)."""
    return [
        line.split()[1]
        for block in message["blocks"][1:]
        if block["type"] == "section"
        for line in block["text"]["text"].splitlines()
    ]


async def test_a_burst_is_grouped_and_names_every_release(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    """200 at once: a few messages, not 200, and together they name all 200 once."""
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    for i in range(200):
        await flag(pool, f"campaign-{i:03d}", [slack])
    sender = build_sender(pool, settings, session, SenderPolicy(settle=0.5, max_wait=60))
    await asyncio.sleep(0.6)  # the burst has settled
    assert await sender.send_due() == 4
    messages = [m.json() for m in sink.at("/slack")]
    assert [m["text"].split(":")[0] for m in messages] == [f"Part {i} of 4" for i in range(1, 5)]
    assert sorted(n for m in messages for n in named(m)) == [
        f"campaign-{i:03d}" for i in range(200)
    ]
    assert await outbox(pool) == [("sent", 200)]


async def test_several_hundred_flagged_name_each_once_on_every_channel(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink, smtp: Smtp
) -> None:
    """A backfill's worth: every Slack part within Block Kit's limits, every release named in
    exactly one part; the email and the webhook carry every item."""
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    hook = await subscribe(pool, "siem", Channel.WEBHOOK, f"{sink.base}/hook", secret="s3cret")
    mail = await subscribe(pool, "oncall", Channel.EMAIL, "oncall@example.org")
    projects = [f"squat-{i:03d}" for i in range(320)]
    for project in projects:
        await flag(pool, project, [slack, hook, mail])
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.drain() == 0
    parts = [m.json() for m in sink.at("/slack")]
    assert len(parts) == 7  # 50 a message
    for part in parts:
        within_slack_limits(part)
    assert Counter(n for part in parts for n in named(part)) == Counter(projects)
    (hook_msg,) = sink.at("/hook")
    assert sorted(a["name"] for a in hook_msg.json()["alerts"]) == projects
    assert hook_msg.json()["part"] == {"index": 1, "of": 1}
    (mail_msg,) = smtp.wait(1)
    body = mail_msg.get_payload()[0].get_payload(decode=True).decode()
    assert all(body.count(f"HIGH {p} 1.0 imitates") == 1 for p in projects)


async def test_a_part_that_fails_is_retried_alone(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    """Slack took part 1 and refused part 2 (503): part 1 is marked sent and never resent; part
    2 and what follows go later, so each release still reaches Slack exactly once."""
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    projects = [f"wave-{i:03d}" for i in range(120)]
    for project in projects:
        await flag(pool, project, [slack])
    sink.failures["/slack"] = [200, 503]
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.send_due(flush=True) == 1
    assert await outbox(pool) == [("pending", 70), ("sent", 50)]
    assert await sender.drain() == 0
    delivered = [m.json() for m in sink.at("/slack")]
    assert Counter(n for m in delivered for n in named(m)) == Counter(projects)


class Crash(Exception):
    """The process dying: not a delivery failure the sender handles."""


class DiesAfterDelivering:
    """A Slack notifier whose process dies right after Slack accepted part `fatal`, before the
    sender could mark that part sent."""

    def __init__(self, notifier: Notifier, fatal: int) -> None:
        self.notifier, self.fatal = notifier, fatal

    async def send(
        self, items: Sequence[AlertItem], subscription: Subscription, part: Part = WHOLE
    ) -> None:
        await self.notifier.send(items, subscription, part)
        if part.index == self.fatal:
            raise Crash


async def test_a_crash_mid_burst_resends_only_the_part_in_flight(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    """Killed after Slack took part 2 of 3 but before it was recorded: the restarted sender
    resends that part once (the one duplicate the guarantee allows) and never part 1."""
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    projects = [f"wave-{i:03d}" for i in range(120)]
    for project in projects:
        await flag(pool, project, [slack])
    dying = build_sender(pool, settings, session, FAST)
    dying.notifiers = {Channel.SLACK: DiesAfterDelivering(dying.notifiers[Channel.SLACK], 2)}
    with pytest.raises(Crash):
        await dying.send_due(flush=True)
    await asyncio.sleep(0.6)  # part 2's lease runs out
    assert await build_sender(pool, settings, session, FAST).drain() == 0
    first, second, *rest = [named(m.json()) for m in sink.at("/slack")]
    counts = Counter(n for names in (first, second, *rest) for n in names)
    assert set(counts) == set(projects)
    assert all(counts[n] == 1 for n in first)  # part 1 was recorded: never sent again
    assert all(counts[n] == 2 for n in second)  # the part in flight: at most one duplicate
    assert sum(counts.values()) == len(projects) + len(second)


async def test_a_digest_larger_than_one_message_goes_whole_at_its_hour(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, smtp: Smtp
) -> None:
    """A digest over `batch` rows goes as parts in the same pass, not one part an hour."""
    async with pool.acquire() as conn:
        hourly = Subscription(
            0, "hourly", Channel.EMAIL, "oncall@example.org", delivery=Delivery.HOURLY
        )
        digest = await save_subscription(
            conn, hourly, "cli", next_digest=datetime.now(UTC) - timedelta(seconds=1)
        )
    projects = [f"digest-{i:02d}" for i in range(12)]
    for project in projects:
        await flag(pool, project, [digest])
    sender = build_sender(pool, settings, session, replace(FAST, batch=5))
    assert await sender.send_due() == 3
    mails = smtp.wait(3)
    assert sorted(m["Subject"].split(":")[0] for m in mails) == [
        f"[pypi-sentinel] Part {i} of 3" for i in range(1, 4)
    ]
    assert await outbox(pool) == [("sent", 12)]


async def test_a_settling_burst_waits_instead_of_flooding(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    sender = build_sender(pool, settings, session, SenderPolicy(settle=30, max_wait=60))
    await flag(pool, "first", [slack])
    assert await sender.send_due() == 0  # newest row is younger than the settle time
    assert sink.received == []


async def test_channel_down_for_a_while_then_everything_once(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    sink.failures["/slack"] = [503, 502, 429]
    for name in ("a1", "a2", "a3"):
        await flag(pool, name, [slack])
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.drain() == 0
    (message,) = sink.at("/slack")  # the three went out together, once, after the outage
    assert message.json()["text"].startswith("3 flagged releases")
    assert await outbox(pool) == [("sent", 3)]


async def test_bad_url_and_refused_login_are_clear_and_others_unaffected(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink, smtp: Smtp
) -> None:
    good = await subscribe(pool, "good", Channel.SLACK, f"{sink.base}/slack")
    gone = await subscribe(pool, "revoked", Channel.SLACK, f"{sink.base}/revoked")
    mail = await subscribe(pool, "mail", Channel.EMAIL, "oncall@example.org")
    sink.failures["/revoked"] = [404] * 10
    await flag(pool, "reqeusts", [good, gone, mail])
    bad_login = settings.replace(smtp_password="wrong")
    sender = build_sender(pool, bad_login, session, FAST)
    assert await sender.drain() == 0  # drained: sent or dead-lettered
    assert len(sink.at("/slack")) == 1
    async with pool.acquire() as conn:
        rows = {
            r["name"]: r for r in await conn.fetch("SELECT name, last_error FROM subscriptions")
        }
        states = dict(
            await conn.fetch(
                "SELECT s.name, o.state FROM alert_outbox o JOIN subscriptions s ON s.id = o.subscription_id"
            )
        )
    assert states == {"good": "sent", "revoked": "dead", "mail": "dead"}
    assert "HTTP 404" in rows["revoked"]["last_error"]
    assert "SMTP login refused" in rows["mail"]["last_error"]
    assert rows["good"]["last_error"] is None
    from collector.store.status import fetch_status

    async with pool.acquire() as conn:
        problems = {p["name"]: p for p in (await fetch_status(conn)).alert_problems}
    assert set(problems) == {"revoked", "mail"}  # status names the broken channels
    assert problems["mail"]["dead"] == 1


async def test_killed_between_commit_and_send_the_alert_still_goes_out(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    await flag(pool, "reqeusts", [slack])  # committed; the process "dies" before sending
    async with pool.acquire() as conn:  # ...or dies holding the claim (state 'sending')
        await conn.execute(
            "UPDATE alert_outbox SET state = 'sending', attempts = 1, next_attempt_at = now() + interval '0.3 s'"
        )
    sender = build_sender(pool, settings, session, FAST)  # the restarted process
    assert await sender.send_due(flush=True) == 0  # the lease still holds
    await asyncio.sleep(0.4)
    assert await sender.drain() == 0
    assert len(sink.at("/slack")) == 1
    assert await outbox(pool) == [("sent", 1)]


async def test_digest_waits_for_its_hour_unless_flushed(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    from datetime import UTC, datetime, timedelta

    async with pool.acquire() as conn:
        digest = await save_subscription(
            conn,
            Subscription(
                0, "hourly", Channel.SLACK, f"{sink.base}/slack", delivery=Delivery.HOURLY
            ),
            "cli",
            next_digest=datetime.now(UTC) + timedelta(minutes=30),
        )
    await flag(pool, "one", [digest])
    await flag(pool, "two", [digest])
    sender = build_sender(pool, settings, session, FAST)
    await asyncio.sleep(0.1)
    assert await sender.send_due() == 0
    assert await sender.drain() == 0  # run --once flushes digests
    (message,) = sink.at("/slack")
    assert message.json()["text"].startswith("2 flagged releases")


async def test_test_alert_reaches_the_channel_or_says_why(
    pool: asyncpg.Pool, settings: Settings, sink: Sink
) -> None:
    ok = await subscribe(
        pool, "ok", Channel.SLACK, f"{sink.base}/slack", min_severity=Severity.HIGH
    )
    broken = await subscribe(pool, "broken", Channel.WEBHOOK, f"{sink.base}/gone")
    sink.failures["/gone"] = [410]
    assert "test alert sent to ok" in await send_test_alert(pool, settings, ok)
    assert "pypi-sentinel-test" in sink.at("/slack")[0].json()["text"]
    with pytest.raises(SentinelError, match="HTTP 410"):
        await send_test_alert(pool, settings, broken)


async def test_a_verdict_that_rises_is_sent_again_and_one_that_falls_is_not(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    finding = await flag(pool, "reqeusts", [slack], severity="medium")
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.drain() == 0

    async def rate(severity: str) -> int:
        """The file inspection re-rates the verdict and plans again, as the pipeline does."""
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE findings SET severity = $2::severity, summary = $3 WHERE id = $1",
                finding,
                severity,
                f"reqeusts 1.0: {severity} risk.",
            )
            return await enqueue_alerts(conn, finding, [slack])

    assert await rate("medium") == 0  # the same verdict again: nothing new
    assert await rate("critical") == 1  # risen: an escalation
    assert await sender.drain() == 0
    assert await rate("high") == 0  # fell back: never a "less bad" alert
    assert await rate("critical") == 0  # already sent at critical
    first, second = sink.at("/slack")
    assert first.json()["text"].startswith("MEDIUM reqeusts 1.0")
    assert second.json()["text"].startswith("CRITICAL reqeusts 1.0")


async def test_a_verdict_that_rises_before_it_was_sent_goes_out_once_per_channel(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink, smtp: Smtp
) -> None:
    """High, then critical before the high alert left (the settle time, a burst, a digest): each
    subscriber gets one item for the finding, at critical, not the same finding twice."""
    slack = await subscribe(pool, "team-slack", Channel.SLACK, f"{sink.base}/slack")
    hook = await subscribe(pool, "siem", Channel.WEBHOOK, f"{sink.base}/hook", secret="s3cret")
    mail = await subscribe(pool, "oncall", Channel.EMAIL, "oncall@example.org")
    finding = await flag(pool, "reqeusts", [slack, hook, mail], severity="high")
    async with pool.acquire() as conn, conn.transaction():  # the file inspection raises it
        await conn.execute(
            "UPDATE findings SET severity = 'critical', summary = 'reqeusts 1.0: critical risk.' "
            "WHERE id = $1",
            finding,
        )
        assert await enqueue_alerts(conn, finding, [slack, hook, mail]) == 3
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.drain() == 0
    (hook_msg,) = sink.at("/hook")
    alerts = hook_msg.json()["alerts"]
    assert [(a["finding_id"], a["severity"]) for a in alerts] == [(finding, "critical")]
    (slack_msg,) = sink.at("/slack")
    assert slack_msg.json()["text"] == "CRITICAL reqeusts 1.0 imitates requests"
    (mail_msg,) = smtp.wait(1)
    assert mail_msg["Subject"] == "[pypi-sentinel] CRITICAL reqeusts 1.0 imitates requests"
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT state, severity::text AS severity FROM alert_outbox")
    assert {(r["state"], r["severity"]) for r in rows} == {("sent", "critical")}
    assert len(rows) == 3  # one row per subscriber: the planned high alert became the critical one


async def test_rows_already_doubled_in_the_outbox_make_one_item(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, sink: Sink
) -> None:
    """Outboxes planned by older versions can hold a finding twice: the message still carries it
    once, and both rows are marked sent."""
    hook = await subscribe(pool, "siem", Channel.WEBHOOK, f"{sink.base}/hook")
    finding = await flag(pool, "reqeusts", [hook], severity="high")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE findings SET severity = 'critical' WHERE id = $1", finding)
        await conn.execute(
            "INSERT INTO alert_outbox (subscription_id, finding_id) VALUES ($1, $2)", hook, finding
        )
    sender = build_sender(pool, settings, session, FAST)
    assert await sender.drain() == 0
    (hook_msg,) = sink.at("/hook")
    assert [a["finding_id"] for a in hook_msg.json()["alerts"]] == [finding]
    assert await outbox(pool) == [("sent", 2)]
