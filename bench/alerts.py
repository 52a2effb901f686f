"""Alert delivery: latency from a finding's commit to the Slack sink, a flood of flagged releases
that must each be named, and 10,000 alerts through the outbox (throughput, and a check that
nothing is delivered twice or lost).

    python bench/alerts.py [--latency-seconds 60] [--alerts 10000] [--flood 500]
                           [--only latency,burst,flood,throughput]

Everything real and local: an embedded Postgres in a scratch folder, an aiohttp sink that
answers like Slack, the sender with its default policy (settle 2 s, Slack 1 message/s).
Targets: p95 <= 5 s from commit to receipt; a flood of 500 flagged releases in a minute reaches
the Slack sink with every release named on a line of its own, none twice, every message within
Block Kit's limits (50 blocks, 3000 characters a text, 150 a header).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from collector.alerts.model import AGGREGATE_CHECK, Channel, Subscription
from collector.alerts.service import build_sender
from collector.config import Settings
from collector.store.database import create_pool
from collector.store.embedded import EmbeddedPostgres
from collector.store.migrate import upgrade
from collector.store.outbox import enqueue_alerts, outbox_open
from collector.store.subscriptions import save_subscription


class Sink:
    def __init__(self) -> None:
        self.received: list[tuple[float, str, dict]] = []  # type: ignore[type-arg]

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((time.time(), request.path, await request.json()))
        return web.Response(text="ok")


async def flag(pool: asyncpg.Pool, project: str, subs: list[int]) -> float:
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
            "INSERT INTO findings (release_id, project, version, check_id, severity, score, summary, evidence) "
            "VALUES ($1, $2, '1.0', $3, 'high', 80, $4, $5) RETURNING id",
            release,
            project,
            AGGREGATE_CHECK,
            f"{project} 1.0: high risk.",
            {"reasons": ["bench"]},
        )
        await enqueue_alerts(conn, finding, subs)
    return time.time()  # committed


async def latency(
    pool: asyncpg.Pool,
    settings: Settings,
    session: aiohttp.ClientSession,
    base: str,
    sink: Sink,
    seconds: float,
) -> None:
    """Ten subscriptions, each getting a finding every 3-20 s: steady traffic, no campaign."""
    async with pool.acquire() as conn:
        subs = [
            await save_subscription(
                conn, Subscription(0, f"lat-{i}", Channel.SLACK, f"{base}/lat/{i}"), "cli"
            )
            for i in range(10)
        ]
    sender = build_sender(pool, settings, session)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    committed: dict[str, float] = {}

    async def stream(index: int, sub: int) -> None:
        rng = random.Random(index)
        began, n = time.time(), 0
        while time.time() - began < seconds:
            await asyncio.sleep(rng.uniform(3.0, 20.0))
            name = f"lat{index}-{n:04d}"
            committed[name] = await flag(pool, name, [sub])
            n += 1

    await asyncio.gather(*(stream(i, s) for i, s in enumerate(subs)))
    await asyncio.sleep(5)
    stop.set()
    await task
    delays = [
        at - committed[name]
        for at, path, body in sink.received
        if path.startswith("/lat/")
        for name in _names(body)
        if name in committed
    ]
    p95 = statistics.quantiles(delays, n=20)[18]
    messages = sum(1 for r in sink.received if r[1].startswith("/lat/"))
    print(
        f"latency: {len(committed)} findings over {seconds:.0f}s, {len(delays)} delivered in {messages} "
        f"messages; commit -> Slack sink p50 {statistics.median(delays):.2f}s p95 {p95:.2f}s "
        f"max {max(delays):.2f}s"
    )


def _names(body: dict) -> list[str]:  # type: ignore[type-arg]
    texts = [body["text"]] + [b["text"]["text"] for b in body["blocks"] if "text" in b]
    return sorted(
        {word for text in texts for word in text.split() if word.startswith(("lat", "burst"))}
    )


async def burst(
    pool: asyncpg.Pool, settings: Settings, session: aiohttp.ClientSession, base: str, sink: Sink
) -> None:
    """A campaign: 200 squats within a minute for one subscription."""
    async with pool.acquire() as conn:
        sub = await save_subscription(
            conn, Subscription(0, "burst", Channel.SLACK, f"{base}/burst"), "cli"
        )
    sender = build_sender(pool, settings, session)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    for i in range(200):
        await flag(pool, f"burst-{i:03d}", [sub])
        await asyncio.sleep(0.3)
    await asyncio.sleep(62)
    stop.set()
    await task
    messages = [body for _, path, body in sink.received if path == "/burst"]
    sizes = [len(named_lines(m)) for m in messages]
    print(
        f"burst: 200 squats in 60s -> {len(messages)} Slack messages (releases per message: {sizes})"
    )


def named_lines(body: dict) -> list[str]:  # type: ignore[type-arg]
    """The project each release line of a Slack message names ("HIGH name 1.0 ..."); the header,
    which repeats a few names, is left out."""
    return [
        line.split()[1]
        for block in body["blocks"][1:]
        if block["type"] == "section"
        for line in block["text"]["text"].splitlines()
        if line.split()[:1] and line.split()[0].isupper()
    ]


def within_block_kit(body: dict) -> bool:  # type: ignore[type-arg]
    blocks = body["blocks"]
    texts = [(b["type"], b["text"]["text"]) for b in blocks if "text" in b]
    texts += [("element", e["text"]) for b in blocks for e in b.get("elements", [])]
    return (
        len(blocks) <= 50
        and all(len(t) <= (150 if kind == "header" else 3000) for kind, t in texts)
        and all(len(b.get("elements", [])) <= 10 for b in blocks)
        and 0 < len(body["text"]) <= 4000
    )


async def flood(
    pool: asyncpg.Pool,
    settings: Settings,
    session: aiohttp.ClientSession,
    base: str,
    sink: Sink,
    releases: int,
) -> None:
    """`releases` flagged within a minute for one Slack subscription, the sender running with
    its default policy: every one must be named, none twice."""
    async with pool.acquire() as conn:
        sub = await save_subscription(
            conn, Subscription(0, "flood", Channel.SLACK, f"{base}/flood"), "cli"
        )
    sender = build_sender(pool, settings, session)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    began = time.time()
    published = [f"flood-{i:04d}" for i in range(releases)]
    for i, name in enumerate(published):
        await flag(pool, name, [sub])
        await asyncio.sleep(max(0.0, began + 60.0 * (i + 1) / releases - time.time()))
    published_in = time.time() - began
    while time.time() - began < 600:
        async with pool.acquire() as conn:
            if await outbox_open(conn) == 0:
                break
        await asyncio.sleep(0.5)
    stop.set()
    await task
    messages = [(at, body) for at, path, body in sink.received if path == "/flood"]
    got = Counter(name for _, body in messages for name in named_lines(body))
    missing = sum(1 for name in published if name not in got)
    doubled = sum(n - 1 for n in got.values() if n > 1)
    fit = sum(within_block_kit(body) for _, body in messages)
    last = max(at for at, _ in messages) - began
    print(
        f"flood: {releases} flagged releases published in {published_in:.0f}s -> "
        f"{len(messages)} Slack messages ({fit} within Block Kit limits); named "
        f"{releases - missing}/{releases}, missing {missing}, doubled {doubled}; "
        f"last message {last:.0f}s after the first release"
    )


async def throughput(
    pool: asyncpg.Pool,
    settings: Settings,
    session: aiohttp.ClientSession,
    base: str,
    sink: Sink,
    alerts: int,
) -> None:
    subs = []
    async with pool.acquire() as conn:
        for i in range(10):
            subs.append(
                await save_subscription(
                    conn, Subscription(0, f"hook-{i}", Channel.WEBHOOK, f"{base}/hook/{i}"), "cli"
                )
            )
    per_finding = len(subs)
    findings = alerts // per_finding
    began = time.perf_counter()
    for i in range(findings):
        await flag(pool, f"thr-{i:06d}", subs)
    planned = time.perf_counter() - began
    sender = build_sender(pool, settings, session)
    began = time.perf_counter()
    left = await sender.drain()
    elapsed = time.perf_counter() - began
    got = Counter(
        (path, alert["finding_id"])
        for _, path, body in sink.received
        if path.startswith("/hook/")
        for alert in body["alerts"]
    )
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    print(
        f"throughput: {findings * per_finding} alerts planned in {planned:.1f}s; delivered "
        f"{sum(got.values())} in {elapsed:.1f}s ({sum(got.values()) / elapsed:,.0f} alerts/s, "
        f"{sender.sent_messages} messages); duplicates {duplicates}; left in outbox {left}"
    )


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    server = EmbeddedPostgres(root / "pg")
    uri = server.start()
    sink = Sink()
    app = web.Application()
    app.router.add_post("/{tail:.*}", sink.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        conn = await asyncpg.connect(uri)
        await upgrade(conn)
        await conn.close()
        pool = await create_pool(uri, "bench", max_size=8)
        settings = Settings(home=root, database_url=uri)
        async with aiohttp.ClientSession() as session:
            only = set(args.only.split(","))
            if "latency" in only:
                await latency(pool, settings, session, base, sink, args.latency_seconds)
            if "burst" in only:
                await burst(pool, settings, session, base, sink)
            if "flood" in only:
                await flood(pool, settings, session, base, sink, args.flood)
            if "throughput" in only:
                await throughput(pool, settings, session, base, sink, args.alerts)
        await pool.close()
    finally:
        await runner.cleanup()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-seconds", type=float, default=120.0)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--flood", type=int, default=500, help="flagged releases in a minute")
    parser.add_argument("--only", default="latency,burst,flood,throughput")
    asyncio.run(main(parser.parse_args()))
