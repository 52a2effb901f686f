"""`pypi-sentinel approve NAME[==VERSION] --reason TEXT`: let a project (or one release) through
the vetted index."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from analysis.approvals import Decision
from collector.approvals import default_actor, new_approval, target_text
from collector.config import Settings
from collector.output import print_text
from collector.store.approvals import save_approval
from collector.store.database import open_database


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    return add_decision_parser(subparsers, "approved")


def add_decision_parser(subparsers: Any, decision: Decision) -> argparse.ArgumentParser:
    """`approve` and `deny` take the same arguments; only the decision differs."""
    name, help_text = {
        "approved": ("approve", "let a project (or one release of it) into the vetted index"),
        "denied": ("deny", "keep a project (or one release of it) out of the vetted index"),
    }[decision]
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text)
    parser.add_argument("target", metavar="NAME[==VERSION]", help="the project, or one release")
    parser.add_argument("--reason", required=True, help="why (kept with the decision)")
    parser.add_argument(
        "--expires", metavar="YYYY-MM-DD|30d", help="the decision lapses then (default: never)"
    )
    parser.add_argument("--by", metavar="WHO", help="who decides (default: the OS user)")
    parser.set_defaults(handler=run, decision=decision)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    # Checked before the database opens: a typo is a usage error even with no database.
    approval = new_approval(
        args.target,
        args.decision,
        args.reason,
        args.by if args.by is not None else default_actor(),
        datetime.now(UTC),
        args.expires,
    )
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        await save_approval(conn, approval)
    until = f" until {approval.expires_at:%Y-%m-%d %H:%M} UTC" if approval.expires_at else ""
    print_text(
        f"{target_text(approval.project, approval.version)} {approval.decision} by "
        f"{approval.actor}{until}"
    )
    return 0
