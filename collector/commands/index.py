"""`pypi-sentinel index`: serve the vetted package index until stopped.

Point pip at it (`PIP_INDEX_URL=http://127.0.0.1:8788/simple/`): it lists only the releases that
pass the policy and our verdicts, and serves their files verified against upstream's sha256.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from collector.commands.run import stop_on_signals
from collector.config import Settings
from collector.errors import UsageError
from collector.index.server import serve_index
from collector.store.database import open_database


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "index", help="serve a vetted package index: pip installs only what passed"
    )
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.index_port:
        raise UsageError("--index-port 0 turns the index off; give the port to serve on")
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with open_database(settings) as db, serve_index(settings, db.pool):
        await stop.wait()  # Ctrl-C or SIGTERM: stop serving, save the block counts
    return 0
