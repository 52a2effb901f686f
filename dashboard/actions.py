"""Actions that go beyond the dashboard's own rows: test alerts and reports to PyPI.

They call the alert and report services of the collector through one thin function each, so a
page only ever sees an ActionResult.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from collector.alerts import service as alerts
from collector.config import Settings
from collector.errors import SentinelError
from collector.reports import service as reports
from collector.reports.build import KINDS
from dashboard.db import AsyncDB

log = logging.getLogger(__name__)

ACTION_TIMEOUT = 60.0


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
