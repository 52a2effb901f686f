"""Actions that go beyond the dashboard's own rows: test alerts, reports, PyPI look-ups.

They call the alert and report services of the collector through one thin function each, so a
page only ever sees an ActionResult.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from collector.alerts import service as alerts
from collector.config import Settings
from collector.errors import SentinelError
from collector.pypi.http import Http, PyPIUrls, new_session
from collector.pypi.json_api import NotFound, fetch_project
from collector.reports import service as reports
from collector.reports.build import KINDS
from dashboard.db import AsyncDB

log = logging.getLogger(__name__)

ACTION_TIMEOUT = 60.0
LOOKUP_TIMEOUT = 4.0  # a page waits for this look-up: PyPI answers in well under a second
LOOKUP_CACHE = 600  # seconds a project's summary (or PyPI's failure to give it) is kept


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str
    status: str | None = None
    link: str | None = None  # a URL our own code built (the PyPI report form), never package text
    summary: str | None = None


def send_test_alert(db: AsyncDB, settings: Settings, subscription_id: int) -> ActionResult:
    """Send a test alert through one subscription (collector.alerts.service.send_test_alert)."""
    try:
        message = db.run(
            alerts.send_test_alert(db.pool, settings, subscription_id), timeout=ACTION_TIMEOUT
        )
    except SentinelError as exc:
        return ActionResult(False, f"Test alert failed: {exc}")
    return ActionResult(True, str(message))


def report_release(
    db: AsyncDB, settings: Settings, project: str, version: str, kind: str, actor: str
) -> ActionResult:
    """Report a release to PyPI (collector.reports.service.report_release)."""
    if kind not in KINDS:
        return ActionResult(False, f"unknown report kind {kind!r}")
    try:
        outcome = db.run(
            reports.report_release(db.pool, settings, project, version, kind, actor),
            timeout=ACTION_TIMEOUT,
        )
    except SentinelError as exc:
        return ActionResult(False, f"Report failed: {exc}")
    pypi = settings.pypi_url.rstrip("/") + "/"
    return ActionResult(
        ok=outcome.status != "failed",
        message=outcome.message,
        status=outcome.status,
        link=outcome.submit_url if outcome.submit_url.startswith(pypi) else None,
        summary=outcome.summary,
    )


@dataclass(frozen=True, slots=True)
class UpstreamProject:
    """What PyPI says about a project we do not store (the one a typosquat imitates)."""

    name: str
    version: str
    summary: str
    author: str
    author_email: str


@st.cache_data(ttl=LOOKUP_CACHE, show_spinner=False, max_entries=500)
def lookup_project(_db: AsyncDB, pypi_url: str, name: str) -> UpstreamProject | str:
    """The project's latest summary from PyPI's JSON API, or why there is none (a sentence).

    Cached, failures included, so an offline dashboard waits once and not on every click.
    """
    try:
        page = _db.run(_fetch_profile(pypi_url, name), timeout=LOOKUP_TIMEOUT + 1)
    except (SentinelError, TimeoutError) as exc:
        log.info("PyPI look-up of %s failed: %s", name, exc)
        return "PyPI did not answer."
    if page is None:
        return "PyPI does not know this project."
    return page


async def _fetch_profile(pypi_url: str, name: str) -> UpstreamProject | None:
    async with new_session(timeout=LOOKUP_TIMEOUT, connect_timeout=LOOKUP_TIMEOUT) as session:
        page = await fetch_project(Http(session), PyPIUrls(pypi_url.rstrip("/")), name)
    if isinstance(page, NotFound):
        return None
    meta = page.metadata
    return UpstreamProject(meta.name, meta.version, meta.summary, meta.author, meta.author_email)
