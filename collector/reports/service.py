"""Reporting a release to PyPI: build the report, submit it once (or print the form), record it.

With a PyPI API token of an onboarded observer the report goes to the observations API
(POST /danger-api/projects/<name>/observations). Without one, the prefilled text and the
project's submit-malware-report URL are returned for a person to paste. Every report is
recorded; a release is never submitted twice ('sending' is committed before the request).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import asyncpg

from collector.backoff import Backoff
from collector.config import Settings
from collector.dashboard_links import dashboard_release_url, is_public_url
from collector.errors import SentinelError, UpstreamError, UsageError
from collector.pypi.http import USER_AGENT, Http, new_session, with_retries
from collector.reports.build import Report, build_report
from collector.store import PgConnection
from collector.store.reports import (
    claim_report,
    fetch_release_id,
    fetch_report_files,
    fetch_report_findings,
    fetch_report_state,
    finish_report,
    record_report,
)

log = logging.getLogger(__name__)

DANGER_JSON = "application/vnd.pypi.api-v0-danger+json"


class RefusedReport(SentinelError):
    """PyPI refused the report (exit 2, the root's code)."""


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    status: str  # prepared (no token), submitted, failed
    message: str
    summary: str
    inspector_url: str
    submit_url: str  # the web form, for a person without an observer token
    http_status: int | None = None
    response: Any = None


def submit_url(settings: Settings, project: str) -> str:
    return f"{settings.pypi_url}/project/{quote(project)}/submit-malware-report/"


async def report_release(
    pool: asyncpg.Pool, settings: Settings, project: str, version: str, kind: str, actor: str
) -> ReportOutcome:
    async with pool.acquire() as conn:
        release_id, report = await _prepare(conn, settings, project, version, kind)
        form = submit_url(settings, project)
        if not settings.pypi_api_token:
            await record_report(conn, release_id, report, "prepared", actor, form)
            return ReportOutcome(
                "prepared",
                f"no PyPI API token: submit it at {form}",
                report.summary,
                report.inspector_url,
                form,
            )
        await _claim(conn, release_id, report, actor, form)
    try:
        status, body = await _submit(settings, report)
    except UpstreamError as exc:
        await _finish(pool, release_id, "failed", None, {"error": str(exc)}, str(exc))
        raise
    ok = status == 202
    await _finish(
        pool, release_id, "submitted" if ok else "failed", status, body, None if ok else str(body)
    )
    if not ok:
        raise RefusedReport(f"PyPI refused the report (HTTP {status}): {_explain(status, body)}")
    return ReportOutcome(
        "submitted",
        f"submitted to PyPI (HTTP {status})",
        report.summary,
        report.inspector_url,
        form,
        status,
        body,
    )


async def _prepare(
    conn: PgConnection, settings: Settings, project: str, version: str, kind: str
) -> tuple[int, Report]:
    release_id = await fetch_release_id(conn, project, version)
    if release_id is None:
        raise UsageError(f"{project} {version} is not in the store; nothing to report")
    existing = await fetch_report_state(conn, release_id)
    if existing is not None and existing.status in ("submitted", "sending"):
        when = existing.submitted_at or existing.created_at
        what = (
            "reported"
            if existing.status == "submitted"
            else "being reported (or a crash cut it short)"
        )
        raise UsageError(
            f"{project} {version} was already {what} on {when:%Y-%m-%d %H:%M} UTC; not sending it twice"
        )
    findings = await fetch_report_findings(conn, release_id)
    files = await fetch_report_files(conn, release_id)
    # PyPI's admins cannot open a dashboard on localhost or a private network: no link then.
    public = is_public_url(settings.dashboard_url)
    dashboard = dashboard_release_url(settings.dashboard_url, release_id) if public else None
    return release_id, build_report(
        project, version, kind, findings, files, dashboard_url=dashboard
    )


async def _claim(
    conn: PgConnection, release_id: int, report: Report, actor: str, form: str
) -> None:
    if not await claim_report(conn, release_id, report, actor, form):
        raise UsageError(f"{report.project} {report.version} is already being reported")


async def _finish(
    pool: asyncpg.Pool,
    release_id: int,
    status: str,
    http_status: int | None,
    body: Any,
    error: str | None,
) -> None:
    async with pool.acquire() as conn:
        await finish_report(conn, release_id, status, http_status, body, error)


async def _submit(settings: Settings, report: Report) -> tuple[int, Any]:
    """POST the observation; 429 and 5xx are retried, other answers are returned as they are."""
    url = f"{settings.pypi_url}/danger-api/projects/{quote(report.project)}/observations"
    body: dict[str, Any] = {"kind": report.kind, "summary": report.summary}
    if report.inspector_url:
        body["inspector_url"] = report.inspector_url
    headers = {
        "Authorization": f"Bearer {settings.pypi_api_token}",
        "Content-Type": DANGER_JSON,
        "Accept": DANGER_JSON,
        "User-Agent": USER_AGENT,
    }
    async with new_session() as session:
        http = Http(session)
        response = await with_retries(
            lambda: http.request("POST", url, headers=headers, data=json.dumps(body).encode()),
            f"report {report.project} {report.version}",
            Backoff(attempts=3, base=2.0),
            asyncio.sleep,
        )
    try:
        answer: Any = json.loads(response.body)
    except ValueError:
        answer = response.body.decode(errors="replace")[:500]
    return response.status, answer


def _explain(status: int, body: Any) -> str:
    if status in (401, 403):
        return "the token was refused; reporting by API needs an account-wide token of an onboarded observer"
    if status == 400 and isinstance(body, dict):
        return f"{body.get('error', 'bad request')} {body.get('missing', '')}".strip()
    return str(body)[:300]
