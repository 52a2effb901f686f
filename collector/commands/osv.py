"""`pypi-sentinel osv sync`: load OSV's PyPI advisories (vulnerabilities, known malware) into the store."""

from __future__ import annotations

import argparse
from typing import Any

from collector.alerts.outbox import OutboxWriter
from collector.config import Settings
from collector.osv import DOWNLOAD_TIMEOUT, SyncResult, sync_osv
from collector.output import OutputFormat, add_format_flag, print_json, print_text
from collector.pypi.http import Http, new_session
from collector.store.database import open_database
from collector.store.osv import count_advisories

SHOWN_MALFORMED = 20  # members listed by name in the output; the count is always whole


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "osv", help="known vulnerabilities and known malware: OSV's PyPI advisories"
    )
    actions = parser.add_subparsers(dest="osv_action", metavar="ACTION", required=True)
    sync = actions.add_parser(
        "sync",
        help="load OSV's PyPI dump into the store (only what changed since the last sync)",
    )
    sync.add_argument(
        "--source",
        action="append",
        metavar="URL|PATH",
        help="an OSV dump (a zip of OSV records) to read instead of --osv-source; repeatable",
    )
    add_format_flag(sync)
    sync.set_defaults(handler=run_sync)
    return parser


async def run_sync(settings: Settings, args: argparse.Namespace) -> int:
    sources = args.source or [settings.osv_source]
    async with open_database(settings) as db, new_session(timeout=DOWNLOAD_TIMEOUT) as session:
        # Alerts a sync plans wait in the outbox for `run`'s sender, like any other.
        results = await sync_osv(db.pool, Http(session), sources, OutboxWriter(db.pool))
        async with db.pool.acquire() as conn:
            vulnerabilities, malicious = await count_advisories(conn)
    if args.format is OutputFormat.JSON:
        print_json(
            {
                "sources": [_result_json(result) for result in results],
                "stored": {"vulnerabilities": vulnerabilities, "malicious": malicious},
            }
        )
    else:
        lines = [_result_text(result) for result in results]
        lines.append(
            f"stored: {vulnerabilities} vulnerability records, {malicious} known-malicious records"
        )
        print_text("\n".join(lines))
    return 0


def _result_json(result: SyncResult) -> dict[str, Any]:
    counts = result.counts
    return {
        "source": result.source,
        "records": counts.records,
        "added": counts.added,
        "updated": counts.updated,
        "unchanged": result.unchanged,
        "malformed": [
            {"member": bad.member, "error": bad.error} for bad in result.malformed[:SHOWN_MALFORMED]
        ],
        "malformed_count": counts.malformed,
        "seconds": round(result.seconds, 2),
        "releases_reported_malicious": result.applied.reported_malicious,
        "vulnerability_findings": result.applied.vulnerable,
        "findings_withdrawn": result.applied.withdrawn,
        "alerts_planned": result.applied.alerts,
    }


def _result_text(result: SyncResult) -> str:
    counts = result.counts
    text = (
        f"{result.source}: {counts.records} records: {counts.added} added, {counts.updated} "
        f"updated, {result.unchanged} unchanged in {result.seconds:.1f} s"
    )
    applied = result.applied
    if applied.reported_malicious or applied.vulnerable or applied.withdrawn:
        text += (
            f"; stored releases: {applied.reported_malicious} newly reported malicious, "
            f"{applied.vulnerable} with a new known vulnerability, {applied.withdrawn} "
            "finding(s) withdrawn"
        )
    if counts.malformed:
        named = ", ".join(bad.member for bad in result.malformed[:SHOWN_MALFORMED])
        text += f"; {counts.malformed} not OSV records, skipped: {named}"
    return text
