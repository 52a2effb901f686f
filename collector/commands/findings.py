"""`pypi-sentinel findings`: what was found, newest first, with triage status and reports."""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any

from analysis.model import Severity
from analysis.names import normalize
from collector.arguments import non_negative_int
from collector.commands.releases import list_stored, parse_since
from collector.config import Settings
from collector.output import add_format_flag, print_text
from collector.store.findings import ExportFilter, iter_findings


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "findings", help="list findings, newest first (triage status and reports included)"
    )
    parser.add_argument(
        "--since", help="first seen at or after this ISO date/time (UTC if no zone)"
    )
    parser.add_argument(
        "--min-severity",
        choices=[s.label for s in Severity],
        default="low",
        help="default: low (info findings are context, not alarms)",
    )
    parser.add_argument("--check", help="a check id, or a prefix such as typosquat.")
    parser.add_argument("--name", help="findings on this project or imitating it")
    parser.add_argument("--limit", type=non_negative_int, default=None, help="at most this many")
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    filters = ExportFilter(
        since=parse_since(args.since),
        min_severity=args.min_severity,
        check=args.check,
        project=normalize(args.name) if args.name else None,
        limit=args.limit,
    )
    rows = partial(iter_findings, filters=filters)
    await list_stored(settings, rows, args.format, "findings", render_finding, _write_text)
    return 0


def render_finding(row: dict[str, Any]) -> dict[str, Any]:
    report = None
    if row["report_status"] is not None:
        report = {
            "status": row["report_status"],
            "kind": row["report_kind"],
            "at": row["reported_at"],
        }
    return {
        "name": row["project"],
        "version": row["version"],
        "check": row["check_id"],
        "severity": row["severity"],
        "score": row["score"],
        "summary": row["summary"],
        "evidence": row["evidence"],
        "first_seen": row["first_seen_at"],
        "status": row["status"],
        "target": row["target"],
        "last_seen": row["last_seen_at"],
        "triaged_by": row["triaged_by"],
        "report": report,
    }


async def _write_text(rows: Any) -> None:
    count = 0
    async for row in rows:
        count += 1
        report = f" reported:{row['report_status']}" if row["report_status"] else ""
        print_text(
            f"{row['first_seen_at']:%Y-%m-%d %H:%M} {row['severity']:<8} {row['project']} "
            f"{row['version']}  {row['check_id']}  [{row['status']}{report}]\n    {row['summary']}"
        )
    if count == 0:
        print_text("no findings")
