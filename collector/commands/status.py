"""`pypi-sentinel status`: where the data lives, the changelog cursor, and row counts."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from analysis.known import LeadTimes, render_leads
from collector.commands.check import popular_list_age
from collector.config import Settings
from collector.corpus import (
    ListAge,
    load_local_corpus,
    render_list_age_json,
    render_list_age_text,
)
from collector.health import SourceProblem, check_sources, internal_problem
from collector.output import OutputFormat, add_format_flag, print_json, print_text, render_table
from collector.store.database import Database, open_database
from collector.store.health import SourceHealth
from collector.store.jobs import ErrorClass, FailingJob, QueueStatus
from collector.store.osv import OsvStatus, fetch_osv_status
from collector.store.status import StoreStatus, fetch_status


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status", help="show the database, the changelog cursor and what is stored"
    )
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings, max_size=2) as db, db.pool.acquire() as conn:
        status = await fetch_status(conn)
        osv = await fetch_osv_status(conn)
    # The list the collector judges names by: its cache of the live list, else the snapshot.
    loaded = await asyncio.to_thread(load_local_corpus, settings.cache_dir)
    age = popular_list_age(loaded, datetime.now(UTC))
    if args.format is OutputFormat.JSON:
        print_json(
            {
                **render_status_json(db, status),
                "popular_list": render_list_age_json(age),
                "osv": render_osv_json(osv),
            }
        )
    else:
        extra = [
            _popular_list_row(age),
            ("osv advisories", render_osv_text(osv)),
            ("lead over reports", render_leads(osv.leads)),
        ]
        print_text(render_status_text(db, status, extra))
    # A source that cannot reach PyPI is "PyPI unavailable" (3), so scripts and probes see it.
    # Internal errors say "unhealthy" in the output, but are no outage: the exit code stays 0.
    return 3 if check_sources(status.sources) else 0


def status_internal_problem(status: StoreStatus) -> str | None:
    return internal_problem(status.errors_by_class[ErrorClass.INTERNAL], status.internal_errors)


def failing_job_json(job: FailingJob) -> dict[str, Any]:
    """One release (or file) that keeps failing, as `status` and `run --once` list it."""
    return {
        "project": job.project,
        "version": job.version,
        "filename": job.filename,
        "job": job.kind,
        "class": job.error_class,
        "kind": job.error_kind,
        "last_error": job.last_error,
        "attempts": job.attempts,
    }


def render_status_json(db: Database, status: StoreStatus) -> dict[str, Any]:
    problems = {p.source: p for p in check_sources(status.sources)}
    internal = status_internal_problem(status)
    return {
        "healthy": not problems and internal is None,
        "database": {
            "kind": db.info.kind,
            "url": db.info.url,
            "server_version": status.server_version,
            "schema_version": status.schema_version,
        },
        "cursor_serial": status.cursor_serial,
        "pypi_last_serial": status.pypi_last_serial,
        "lag": {"events": status.lag_events, "seconds": status.lag_seconds()},
        "queue": _queue_json(status.queue),
        "inspection": {
            **_queue_json(status.inspection),
            "files": status.files_by_inspection,
        },
        "sources": {
            s.source: {
                "last_success": s.last_success_at,
                "last_attempt": s.last_attempt_at,
                "last_error_at": s.last_error_at,
                "last_error": s.last_error,
                "consecutive_failures": s.consecutive_failures,
                "upstream_serial": s.upstream_serial,
                "problem": problems[s.source].problem if s.source in problems else None,
                "advice": problems[s.source].advice if s.source in problems else None,
            }
            for s in status.sources
        },
        "problems": [str(p) for p in problems.values()] + ([internal] if internal else []),
        "errors_by_class": status.errors_by_class,
        "failing": [failing_job_json(job) for job in status.failing],
        "alerts": {
            "pending": status.counts["alerts_pending"],
            "dead": status.counts["alerts_dead"],
            "failing_subscriptions": status.alert_problems,
        },
        "counts": status.counts,
        "findings_by_severity": status.findings_by_severity,
    }


def _queue_json(queue: QueueStatus) -> dict[str, Any]:
    return {
        "pending": queue.pending,
        "running": queue.running,
        "retrying": queue.retrying,
        "done": queue.done,
        "oldest_open": queue.oldest_pending,
        "next_due": queue.next_due,
        "errors_by_kind": queue.errors_by_kind,
    }


def render_status_text(
    db: Database, status: StoreStatus, extra: Sequence[tuple[str, object]] = ()
) -> str:
    problems = check_sources(status.sources)
    internal = status_internal_problem(status)
    rows: list[tuple[str, object]] = [
        ("health", "FAILING" if problems or internal else "ok"),
        *(row for p in problems for row in _problem_rows(p)),
        *([("  internal errors", internal)] if internal else []),
        ("database", f"{db.info.kind} {db.info.url}"),
        ("postgres", status.server_version),
        ("schema version", status.schema_version),
        (
            "cursor serial",
            status.cursor_serial if status.cursor_serial is not None else "not started",
        ),
    ]
    rows += [
        ("PyPI last serial", status.pypi_last_serial),
        ("lag", _lag_text(status)),
        (
            "queue",
            f"{status.queue.pending} pending, {status.queue.running} running, "
            f"{status.queue.retrying} retrying",
        ),
    ]
    rows += [(f"  {kind} errors", n) for kind, n in status.queue.errors_by_kind.items()]
    inspection = status.inspection
    files = ", ".join(
        f"{n} {state.replace('_', ' ')}" for state, n in status.files_by_inspection.items()
    )
    rows += [
        (
            "file inspection",
            f"{inspection.pending} pending, {inspection.running} running, "
            f"{inspection.retrying} retrying",
        ),
        ("  files", files or "none yet"),
    ]
    rows += [(f"  {kind} errors", n) for kind, n in inspection.errors_by_kind.items()]
    rows += _failing_rows(status)
    rows += [(f"source {s.source}", _source_text(s)) for s in status.sources]
    rows += [
        (
            f"alerts to {p['name']}",
            f"failing ({p['dead']} dead, {p['pending']} waiting): {p['last_error']}",
        )
        for p in status.alert_problems
    ]
    rows += [(name.replace("_", " "), count) for name, count in status.counts.items()]
    rows += [(f"  {sev} findings", n) for sev, n in status.findings_by_severity.items()]
    return render_table([*rows, *extra])


def render_osv_json(osv: OsvStatus) -> dict[str, Any]:
    last = osv.last_sync
    return {
        "vulnerabilities": osv.vulnerabilities,
        "malicious": osv.malicious,
        "last_sync": None if last is None else {"source": last.source, "at": last.finished_at},
        "lead_time": render_leads_json(osv.leads),
    }


def render_leads_json(leads: LeadTimes) -> dict[str, Any]:
    """Stored releases reported malicious, and our verdict's lead over those reports (hours)."""

    def hours(q: float) -> float | None:
        lead = leads.quantile(q)
        return None if lead is None else round(lead.total_seconds() / 3600, 2)

    return {
        "reported_malicious": leads.reported,
        "flagged_before_report": leads.flagged_first,
        "flagged_before_publication": leads.ahead,
        "lead_hours": {"p10": hours(0.1), "median": hours(0.5), "p90": hours(0.9)},
    }


def render_osv_text(osv: OsvStatus) -> str:
    if osv.last_sync is None:
        return "never synced: run `pypi-sentinel osv sync`"
    last = osv.last_sync
    return (
        f"{osv.vulnerabilities} vulnerability, {osv.malicious} known-malicious records; last "
        f"sync {last.finished_at:%Y-%m-%d %H:%M} UTC from {last.source}"
    )


def _popular_list_row(age: ListAge) -> tuple[str, object]:
    return "popular list", render_list_age_text(age)


def _failing_rows(status: StoreStatus) -> list[tuple[str, object]]:
    """Errors by whose fault, then every failing release or file by name (bugs first)."""
    if not status.failing:
        return []
    classes = status.errors_by_class
    summary = (
        f"{classes[ErrorClass.INTERNAL]} internal (bugs), "
        f"{classes[ErrorClass.UPSTREAM]} PyPI failing the release, "
        f"{classes[ErrorClass.UNREACHABLE]} PyPI unreachable"
    )
    rows: list[tuple[str, object]] = [("failing", summary)]
    for job in status.failing:
        name = f"{job.project} {job.version}" + (f" {job.filename}" if job.filename else "")
        error = f"{job.error_class}/{job.error_kind} x{job.attempts}: {job.last_error}"
        rows.append((f"  {name}", error))
    return rows


def _lag_text(status: StoreStatus) -> str:
    if status.lag_events is None:
        return "unknown"
    seconds = status.lag_seconds()
    return f"{status.lag_events} events" + (f", {seconds:.0f}s" if seconds is not None else "")


def _problem_rows(problem: SourceProblem) -> list[tuple[str, object]]:
    error = f": {problem.last_error}" if problem.last_error else ""
    return [
        (f"  source {problem.source}", f"{problem.problem}{error}"),
        ("    what to do", problem.advice),
    ]


def _source_text(source: SourceHealth) -> str:
    ok = f"ok {source.last_success_at:%Y-%m-%d %H:%M:%S}" if source.last_success_at else "never ok"
    if "switched_off_at" in source.detail:
        return f"{ok}; switched off (--xmlrpc off)"
    if source.consecutive_failures:
        return f"{ok}; failing x{source.consecutive_failures}: {source.last_error}"
    return ok
