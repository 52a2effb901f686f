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
from collector.reports.build import FileRef, Report, ReportFinding, build_report
from collector.store import PgConnection

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
            await _record(conn, release_id, report, "prepared", actor, form)
            return ReportOutcome("prepared", f"no PyPI API token: submit it at {form}",
                                 report.summary, report.inspector_url, form)  # fmt: skip
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
    return ReportOutcome("submitted", f"submitted to PyPI (HTTP {status})", report.summary,
                         report.inspector_url, form, status, body)  # fmt: skip


async def _prepare(
    conn: PgConnection, settings: Settings, project: str, version: str, kind: str
) -> tuple[int, Report]:
    release_id = await conn.fetchval(
        "SELECT id FROM releases WHERE project = $1 AND version = $2", project, version
    )
    if release_id is None:
        raise UsageError(f"{project} {version} is not in the store; nothing to report")
    existing = await conn.fetchrow(
        "SELECT status, submitted_at, created_at FROM reports WHERE release_id = $1", release_id
    )
    if existing is not None and existing["status"] in ("submitted", "sending"):
        when = existing["submitted_at"] or existing["created_at"]
        what = (
            "reported"
            if existing["status"] == "submitted"
            else "being reported (or a crash cut it short)"
        )
        raise UsageError(
            f"{project} {version} was already {what} on {when:%Y-%m-%d %H:%M} UTC; not sending it twice"
        )
    findings = [
        ReportFinding(r["check_id"], r["severity"], r["score"], r["summary"], r["evidence"])
        for r in await conn.fetch(
            "SELECT check_id, severity::text AS severity, score, summary, evidence FROM findings "
            "WHERE release_id = $1",
            release_id,
        )
    ]
    files = [
        FileRef(r["filename"], r["url"] or "", r["packagetype"] or "")
        for r in await conn.fetch(
            "SELECT filename, url, packagetype FROM files WHERE release_id = $1", release_id
        )
    ]
    # PyPI's admins cannot open a dashboard on localhost or a private network: no link then.
    public = is_public_url(settings.dashboard_url)
    dashboard = dashboard_release_url(settings.dashboard_url, release_id) if public else None
    return int(release_id), build_report(
        project, version, kind, findings, files, dashboard_url=dashboard
    )


_UPSERT = """
INSERT INTO reports (release_id, project, version, kind, summary, inspector_url, status, actor, submit_url, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (release_id) DO UPDATE SET
    kind = EXCLUDED.kind, summary = EXCLUDED.summary, inspector_url = EXCLUDED.inspector_url,
    status = EXCLUDED.status, actor = EXCLUDED.actor, submit_url = EXCLUDED.submit_url,
    attempts = reports.attempts + EXCLUDED.attempts, last_error = NULL
WHERE reports.status NOT IN ('submitted', 'sending')
RETURNING id
"""


async def _record(
    conn: PgConnection,
    release_id: int,
    report: Report,
    status: str,
    actor: str,
    form: str,
    attempts: int = 0,
) -> bool:
    row = await conn.fetchval(
        _UPSERT, release_id, report.project, report.version, report.kind, report.summary,
        report.inspector_url, status, actor, form, attempts,
    )  # fmt: skip
    return row is not None


async def _claim(
    conn: PgConnection, release_id: int, report: Report, actor: str, form: str
) -> None:
    """Commit 'sending' durably before the request leaves: the at-most-once point."""
    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = on")
        if not await _record(conn, release_id, report, "sending", actor, form, attempts=1):
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
        await conn.execute(
            "UPDATE reports SET status = $2, http_status = $3, response = $4, last_error = $5, "
            "submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END "
            "WHERE release_id = $1",
            release_id, status, http_status, body if isinstance(body, dict) else {"body": body}, error,
        )  # fmt: skip


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
