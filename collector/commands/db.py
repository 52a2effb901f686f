"""`pypi-sentinel db upgrade|current`: apply and inspect schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from collector.config import Settings
from collector.output import OutputFormat, add_format_flag, print_json, print_text, render_table
from collector.store.database import open_database
from collector.store.migrate import LATEST_VERSION, current_version, upgrade


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db", help="database maintenance: apply or inspect schema migrations"
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="apply pending migrations (safe to run concurrently)")
    add_format_flag(up)
    up.set_defaults(handler=run_upgrade)
    current = actions.add_parser("current", help="show the applied and the latest schema version")
    add_format_flag(current)
    current.set_defaults(handler=run_current)
    return parser


async def run_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, migrate=False, max_size=1) as db, db.pool.acquire() as conn:
        applied = await upgrade(conn)
        version = await current_version(conn)
    if args.format is OutputFormat.JSON:
        print_json(
            {
                "database": {"kind": db.info.kind, "url": db.info.url},
                "applied": [{"version": m.version, "name": m.name} for m in applied],
                "schema_version": version,
            }
        )
    elif applied:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied)
        print_text(f"applied {names}; schema version is now {version}")
    else:
        print_text(f"schema is up to date (version {version})")
    return 0


async def run_current(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, migrate=False, max_size=1) as db, db.pool.acquire() as conn:
        version = await current_version(conn)
    if args.format is OutputFormat.JSON:
        print_json({"schema_version": version, "latest_version": LATEST_VERSION})
    else:
        print_text(render_table([("schema version", version), ("latest version", LATEST_VERSION)]))
    return 0
