"""Actions that go beyond the dashboard's own rows: test alerts and reports to PyPI.

They call the alert and report services of the collector (issue 5) through one thin function
each, so a page only ever sees an ActionResult. The services are looked up when called: a build
without them says so instead of failing at import.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

from collector.config import Settings
from collector.errors import SentinelError
from dashboard.db import AsyncDB

log = logging.getLogger(__name__)

ACTION_TIMEOUT = 60.0
REPORT_KINDS = ("is_malware", "is_spam", "is_dependency_confusion", "something_else")


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str
    status: str | None = None
    link: str | None = None  # a URL our own code built (the PyPI report form), never package text
    summary: str | None = None


def _service(module: str, name: str) -> Any | None:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def send_test_alert(db: AsyncDB, settings: Settings, subscription_id: int) -> ActionResult:
    """Send a test alert through one subscription (collector.alerts.service.send_test_alert)."""
    send = _service("collector.alerts.service", "send_test_alert")
    if send is None:
        return ActionResult(False, "Test alerts are not available in this build.")
    try:
        message = db.run(send(db.pool, settings, subscription_id), timeout=ACTION_TIMEOUT)
    except SentinelError as exc:
        return ActionResult(False, f"Test alert failed: {exc}")
    return ActionResult(True, str(message))


def report_release(
    db: AsyncDB, settings: Settings, project: str, version: str, kind: str, actor: str
) -> ActionResult:
    """Report a release to PyPI (collector.reports.service.report_release)."""
    if kind not in REPORT_KINDS:
        return ActionResult(False, f"unknown report kind {kind!r}")
    report = _service("collector.reports.service", "report_release")
    if report is None:
        return ActionResult(False, "Reports to PyPI are not available in this build.")
    try:
        outcome = db.run(
            report(db.pool, settings, project, version, kind, actor), timeout=ACTION_TIMEOUT
        )
    except SentinelError as exc:
        return ActionResult(False, f"Report failed: {exc}")
    link = getattr(outcome, "submit_url", None)
    pypi = settings.pypi_url.rstrip("/") + "/"
    return ActionResult(
        ok=getattr(outcome, "status", "") != "failed",
        message=str(getattr(outcome, "message", "")),
        status=getattr(outcome, "status", None),
        link=link if isinstance(link, str) and link.startswith(pypi) else None,
        summary=getattr(outcome, "summary", None),
    )
