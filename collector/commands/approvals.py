"""`pypi-sentinel approvals`: the decisions in force (or all of them), with who, when and why."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from collector.approvals import approval_json, target_text
from collector.config import Settings
from collector.output import OutputFormat, add_format_flag, print_json, print_text, render_columns
from collector.store.approvals import list_approvals
from collector.store.database import open_database


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "approvals", help="decisions about the vetted index: who, when, why, until when"
    )
    parser.add_argument("--all", action="store_true", help="expired decisions too")
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        approvals = await list_approvals(conn, include_expired=args.all, now=now)
    if args.format is OutputFormat.JSON:
        print_json({"approvals": [approval_json(a, now) for a in approvals]})
        return 0
    if not approvals:
        print_text("no decisions")
        return 0
    rows = [
        (
            target_text(a.project, a.version),
            a.decision,
            a.actor,
            f"{a.created_at:%Y-%m-%d}",
            _expiry(a.expires_at, now),
            a.reason,
        )
        for a in approvals
    ]
    header = ("PROJECT", "DECISION", "BY", "ON", "EXPIRES", "REASON")
    print_text(render_columns([header, *rows], [0] * len(header)))
    return 0


def _expiry(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "never"
    return f"{expires_at:%Y-%m-%d}" + (" (expired)" if expires_at <= now else "")
