"""The collector's small HTTP server: an Atom feed of findings, /healthz and Prometheus /metrics.

Bound to 127.0.0.1 by default (`--http-host`, `--http-port`; port 0 switches it off). Read-only.
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from analysis.model import Severity
from analysis.names import normalize
from collector.alerts.model import AGGREGATE_CHECK
from collector.config import Settings
from collector.dashboard_links import dashboard_release_url
from collector.health import check_sources, internal_problem
from collector.pypi.http import PyPIUrls
from collector.store.database import DB_ERRORS
from collector.store.findings import ExportFilter, iter_findings
from collector.store.jobs import ErrorClass, FailingJob
from collector.store.outbox import count_by_state
from collector.store.status import StoreStatus, fetch_status

log = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
POOL_KEY = web.AppKey("pool", asyncpg.Pool)
SETTINGS_KEY = web.AppKey("settings", Settings)


def make_app(pool: asyncpg.Pool, settings: Settings) -> web.Application:
    app = web.Application()
    app[POOL_KEY] = pool
    app[SETTINGS_KEY] = settings
    app.router.add_get("/feed.atom", feed)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(pool: asyncpg.Pool, settings: Settings) -> web.AppRunner | None:
    """Start the server; a port already in use is a warning, not a reason to stop collecting."""
    if not settings.http_port:
        return None
    runner = web.AppRunner(make_app(pool, settings), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    except OSError as exc:
        log.warning(
            "feed/health server not started on %s:%s: %s",
            settings.http_host,
            settings.http_port,
            exc,
        )
        await runner.cleanup()
        return None
    log.info("feed, health and metrics on http://%s:%s/", settings.http_host, settings.http_port)
    return runner


# -- feed ------------------------------------------------------------------------------------
async def feed(request: web.Request) -> web.Response:
    try:
        severity = Severity.parse(request.query.get("min_severity", "low"))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    project = request.query.get("project")
    filters = ExportFilter(
        min_severity=severity.label,
        check=AGGREGATE_CHECK,
        project=normalize(project) if project else None,
        limit=min(int(request.query.get("limit", "100") or 100), 500),
    )
    async with request.app[POOL_KEY].acquire() as conn, conn.transaction(readonly=True):
        rows = [row async for row in iter_findings(conn, filters)]
    settings = request.app[SETTINGS_KEY]
    body = render_atom(rows, PyPIUrls(settings.pypi_url), settings.dashboard_url, str(request.url))
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")


def render_atom(
    rows: Sequence[dict[str, Any]], urls: PyPIUrls, dashboard: str, self_url: str
) -> bytes:
    """Atom 1.0; ElementTree escapes every text node, so package text stays text."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _text(root, "title", "pypi-sentinel findings")
    _text(root, "id", self_url)
    updated = max((r["first_seen_at"] for r in rows), default=datetime.now(UTC))
    _text(root, "updated", updated.isoformat())
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=self_url)
    for row in rows:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(entry, "id", f"urn:pypi-sentinel:finding:{row['id']}")
        _text(entry, "title", f"{row['severity'].upper()} {row['project']} {row['version']}")
        _text(entry, "updated", row["last_seen_at"].isoformat())
        _text(entry, "published", row["first_seen_at"].isoformat())
        evidence = row["evidence"] if isinstance(row["evidence"], dict) else {}
        reasons = "\n".join(f"- {r}" for r in evidence.get("reasons", []))
        _text(entry, "summary", f"{row['summary']}\n{reasons}".strip())
        ET.SubElement(
            entry, f"{{{ATOM}}}link", href=urls.project_page(row["project"], row["version"])
        )
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            rel="related",
            href=dashboard_release_url(dashboard, row["release_id"]),
        )
        ET.SubElement(entry, f"{{{ATOM}}}category", term=row["severity"])
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text


# -- health ----------------------------------------------------------------------------------
async def healthz(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    try:
        async with request.app[POOL_KEY].acquire(timeout=5) as conn:
            status = await fetch_status(conn)
    except (*DB_ERRORS, asyncpg.PostgresError) as exc:
        return web.json_response({"status": "fail", "database": f"unavailable: {exc}"}, status=503)
    problems = health_problems(status, settings, time.time())
    body = {
        "status": "fail" if problems else "ok",
        "database": "ok",
        "cursor_serial": status.cursor_serial,
        "pypi_last_serial": status.pypi_last_serial,
        "lag": {"events": status.lag_events, "seconds": status.lag_seconds()},
        "problems": problems,
        "failing_sources": [asdict(problem) for problem in check_sources(status.sources)],
    }
    return web.json_response(body, status=503 if problems else 200)


def health_problems(status: StoreStatus, settings: Settings, now: float) -> list[str]:
    """Why /healthz fails: a failing source (never succeeded, or failing again and again), an
    internal error (a bug keeps a release from being stored), or a changelog behind PyPI or not
    polled successfully for longer than --max-lag."""
    problems = [str(problem) for problem in check_sources(status.sources)]
    internal = internal_problem(status.errors_by_class[ErrorClass.INTERNAL], status.internal_errors)
    if internal:
        problems.append(internal)
    lag = status.lag_seconds(now)
    if lag is not None and lag > settings.max_lag:
        problems.append(f"the changelog lags {lag:.0f}s (limit {settings.max_lag:.0f}s)")
    changelog = next((s for s in status.sources if s.source == "changelog"), None)
    if settings.xmlrpc and changelog is not None and changelog.last_success_at is not None:
        since = now - changelog.last_success_at.timestamp()
        if since > settings.max_lag:
            problems.append(f"no successful changelog poll for {since:.0f}s")
    return problems


# -- metrics ---------------------------------------------------------------------------------
async def metrics(request: web.Request) -> web.Response:
    try:
        async with request.app[POOL_KEY].acquire(timeout=5) as conn:
            status = await fetch_status(conn)
            outbox = await count_by_state(conn)
    except (*DB_ERRORS, asyncpg.PostgresError) as exc:
        return web.Response(status=503, text=f"# database unavailable: {exc}\n")
    text = render_metrics(status, outbox)
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type": "text/plain; version=0.0.4"},
    )


def render_metrics(status: StoreStatus, outbox: dict[str, int]) -> str:
    """Prometheus text exposition format 0.0.4."""
    lines: list[str] = []

    def metric(
        name: str, kind: str, help_text: str, samples: list[tuple[str, float | int | None]]
    ) -> None:
        lines.append(f"# HELP pypi_sentinel_{name} {help_text}")
        lines.append(f"# TYPE pypi_sentinel_{name} {kind}")
        lines.extend(
            f"pypi_sentinel_{name}{labels} {value}"
            for labels, value in samples
            if value is not None
        )

    metric("cursor_serial", "gauge", "Changelog serial stored up to.", [("", status.cursor_serial)])
    metric(
        "pypi_last_serial",
        "gauge",
        "PyPI's last serial when last asked.",
        [("", status.pypi_last_serial)],
    )
    metric("lag_events", "gauge", "Changelog events not yet stored.", [("", status.lag_events)])
    metric(
        "lag_seconds",
        "gauge",
        "Seconds since the follower was last caught up.",
        [("", status.lag_seconds())],
    )
    q = status.queue
    metric(
        "jobs",
        "gauge",
        "Release jobs by state.",
        [
            ('{state="pending"}', q.pending),
            ('{state="running"}', q.running),
            ('{state="retrying"}', q.retrying),
        ],
    )
    metric(
        "job_errors",
        "gauge",
        "Open jobs by last error kind.",
        [(f'{{kind="{k}"}}', n) for k, n in q.errors_by_kind.items()],
    )
    metric(
        "job_errors_by_class",
        "gauge",
        "Open release and file jobs failing: PyPI unreachable, PyPI failing the release "
        "(upstream), or a bug of ours (internal).",
        [(f'{{class="{c}"}}', n) for c, n in status.errors_by_class.items()],
    )
    metric(
        "failing_job_attempts",
        "gauge",
        "Attempts so far of each failing release or file, named.",
        [(_failing_labels(job), job.attempts) for job in status.failing],
    )
    metric(
        "alerts",
        "gauge",
        "Alert outbox rows by state.",
        [(f'{{state="{s}"}}', outbox.get(s, 0)) for s in ("pending", "sending", "sent", "dead")],
    )
    metric(
        "findings",
        "gauge",
        "Findings by severity.",
        [(f'{{severity="{s}"}}', n) for s, n in status.findings_by_severity.items()],
    )
    metric(
        "rows",
        "gauge",
        "Rows stored, by table.",
        [(f'{{table="{t}"}}', n) for t, n in status.counts.items()],
    )
    metric(
        "source_last_success_timestamp_seconds",
        "gauge",
        "Last successful poll per source.",
        [
            (
                f'{{source="{s.source}"}}',
                s.last_success_at.timestamp() if s.last_success_at else None,
            )
            for s in status.sources
        ],
    )
    metric(
        "source_consecutive_failures",
        "gauge",
        "Failures in a row per source.",
        [(f'{{source="{s.source}"}}', s.consecutive_failures) for s in status.sources],
    )
    return "\n".join(lines) + "\n"


def _failing_labels(job: FailingJob) -> str:
    labels = {
        "class": str(job.error_class),
        "kind": job.error_kind,
        "job": job.kind,
        "project": job.project,
        "version": job.version,
        "filename": job.filename or "",
    }
    return "{" + ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items()) + "}"


def _label_value(value: str) -> str:
    """A Prometheus label value: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
