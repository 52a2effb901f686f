"""`pypi-sentinel demo`: the whole system, offline. A stand-in PyPI shipped with the package keeps
publishing made-up uploads (typosquats and suspicious ones among them); the collector follows it
and the dashboard shows what it finds. Data goes to HOME/demo, wiped at each start."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from collector.arguments import non_negative_int, positive_float
from collector.commands.run import follow, stop_on_signals
from collector.commands.up import add_dashboard_flags, with_dashboard
from collector.config import Settings
from collector.corpus import load_snapshot
from collector.index.server import index_beside, index_url
from collector.store.database import open_database
from standin import Mix, StandInPyPI, UploadSimulator, populate

log = logging.getLogger(__name__)

# A throwaway for a throwaway store, printed so a demo user can try the triage actions.
DEMO_PASSWORD = "demo"  # noqa: S105


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="the whole system offline: a stand-in PyPI with made-up uploads, collector, dashboard, index",
    )
    add_dashboard_flags(parser)
    parser.add_argument(
        "--rate", type=positive_float, default=30.0, help="uploads per minute (default 30)"
    )
    parser.add_argument(
        "--backfill",
        type=non_negative_int,
        default=150,
        help="uploads of the past hour to start with",
    )
    parser.add_argument(
        "--duration", type=positive_float, default=None, help="stop after this many seconds"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    home = settings.home / "demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    corpus = load_snapshot().corpus
    popular = [p.name for p in corpus.projects[:2000]]
    pypi = StandInPyPI()
    pypi.top_packages = [(p.name, p.downloads) for p in corpus.projects]
    runner, base = await _serve(pypi)
    try:
        demo = _demo_settings(settings, home, base, args)
        start = pypi.last_serial
        populate(
            pypi,
            seed=args.seed,
            releases=args.backfill,
            popular=popular,
            start=datetime.now(UTC) - timedelta(hours=1),
            span=timedelta(hours=1),
            mix=Mix.demo(),
        )
        async with open_database(demo, max_size=demo.workers + 6) as db:
            stop = asyncio.Event()
            stop_on_signals(stop)
            if args.duration:
                asyncio.get_running_loop().call_later(args.duration, stop.set)
            simulator = asyncio.create_task(_simulate(pypi, popular, args, stop))
            _explain(demo, args, base)
            async with index_beside(demo, db.pool):
                await with_dashboard(
                    demo, args.address, args.port, stop, lambda: follow(demo, db, stop, start)
                )
            await simulator
    finally:
        await runner.cleanup()
    return 0


def _demo_settings(settings: Settings, home: Any, base: str, args: argparse.Namespace) -> Settings:
    return settings.replace(
        home=home,
        database_url=None,
        pypi_url=base,
        top_packages_url=f"{base}/top-pypi-packages.min.json",
        osv_source=f"{base}/osv/PyPI/all.zip",
        changelog_interval=2.0,
        rss_interval=5.0,
        dashboard_url=f"http://{args.address}:{args.port}",
        dashboard_password=settings.dashboard_password or DEMO_PASSWORD,
        slack_webhook_url=None,
        alert_email=None,
        pypi_api_token=None,
    )


def _feed_line(settings: Settings) -> str:
    if not settings.http_port:
        return ""
    base = f"http://{settings.http_host}:{settings.http_port}"
    return f"  feed:      {base}/feed.atom  health: {base}/healthz  metrics: {base}/metrics\n"


def _index_line(settings: Settings) -> str:
    if not settings.index_port:
        return ""
    return (
        f"  index:     {index_url(settings)} (uploads wait 48 hours, or an approval: "
        f"pypi-sentinel --home {settings.home} approve NAME --reason ...)\n"
    )


async def _serve(pypi: StandInPyPI) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(pypi.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    pypi.base_url = f"http://127.0.0.1:{port}"
    return runner, pypi.base_url


async def _simulate(
    pypi: StandInPyPI, popular: list[str], args: argparse.Namespace, stop: asyncio.Event
) -> None:
    simulator = UploadSimulator(popular, mix=Mix.demo())
    task = asyncio.create_task(simulator.run(pypi, rate_per_minute=args.rate, seed=args.seed + 1))
    await stop.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _explain(settings: Settings, args: argparse.Namespace, base: str) -> None:
    # Only the demo's own throwaway password is ever printed, never one the user configured.
    password = (
        DEMO_PASSWORD
        if settings.dashboard_password == DEMO_PASSWORD
        else "your PYPI_SENTINEL_DASHBOARD_PASSWORD"
    )
    print(
        f"pypi-sentinel demo: a stand-in PyPI at {base} publishes about {args.rate:.0f} uploads a minute.\n"
        f"  dashboard: http://{args.address}:{args.port}/  (password: {password})\n"
        f"{_feed_line(settings)}"
        f"{_index_line(settings)}"
        f"  data:      {settings.home} (try: pypi-sentinel --home {settings.home} findings)\n"
        "  Ctrl-C stops it.",
        file=sys.stderr,
    )
