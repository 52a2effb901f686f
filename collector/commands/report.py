"""`pypi-sentinel report NAME VERSION`: report a flagged release to PyPI (or print the form)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from analysis.names import normalize
from collector.config import Settings
from collector.output import OutputFormat, add_format_flag, print_json, print_text
from collector.reports.build import KINDS
from collector.reports.service import report_release
from collector.store.database import open_database


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="report a release to PyPI (submits with PYPI_SENTINEL_PYPI_API_TOKEN)"
    )
    parser.add_argument("name")
    parser.add_argument("version")
    parser.add_argument("--kind", choices=KINDS, default="is_malware")
    parser.add_argument("--actor", default=None, help="who reports (default: your login name)")
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    actor = args.actor or getpass.getuser()
    async with open_database(settings, max_size=2) as db:
        outcome = await report_release(
            db.pool, settings, normalize(args.name), args.version, args.kind, actor
        )
    if args.format is OutputFormat.JSON:
        print_json(
            {
                "report": {
                    "name": normalize(args.name),
                    "version": args.version,
                    "kind": args.kind,
                    "status": outcome.status,
                    "summary": outcome.summary,
                    "inspector_url": outcome.inspector_url,
                    "submit_url": outcome.submit_url,
                    "http_status": outcome.http_status,
                    "response": outcome.response,
                }
            }
        )
    elif outcome.status == "prepared":
        print_text(
            f"No PyPI API token set: open {outcome.submit_url}\n"
            f"Inspector link: {outcome.inspector_url}\n\nSummary:\n{outcome.summary}"
        )
    else:
        print_text(f"{outcome.message}\nInspector link: {outcome.inspector_url}")
    return 0
