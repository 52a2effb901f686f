"""`pypi-sentinel index`: serve the vetted package index until stopped.

Point pip at it (`PIP_INDEX_URL=http://127.0.0.1:8788/simple/`): it lists only the releases that
pass the policy and our verdicts, and serves their files verified against upstream's sha256.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from aiohttp import web

from analysis.policy import Policy
from collector.config import Settings
from collector.errors import UsageError
from collector.index.app import IndexState, make_app
from collector.index.cache import FileCache
from collector.policy import load_policy
from collector.pypi.http import Http, PyPIUrls, new_session
from collector.store.database import open_database

log = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "index", help="serve a vetted package index: pip installs only what passed"
    )
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    policy = load_policy(settings.policy) or Policy()
    cache = FileCache(settings.cache_dir / "index", settings.index_cache_size)
    async with open_database(settings) as db, new_session(timeout=300.0) as session:
        state = IndexState(db.pool, Http(session), PyPIUrls(settings.pypi_url), policy, cache)
        runner = web.AppRunner(make_app(state), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.index_host, settings.index_port)
            try:
                await site.start()
            except OSError as exc:
                raise UsageError(
                    f"--index-port {settings.index_port}: cannot listen: {exc.strerror or exc}"
                ) from exc
            where = f"http://{settings.index_host}:{settings.index_port}/simple/"
            log.info("vetted index on %s (upstream %s)", where, settings.pypi_url)
            await asyncio.Event().wait()  # until Ctrl-C or a signal ends the process
        finally:
            await runner.cleanup()
    return 0
