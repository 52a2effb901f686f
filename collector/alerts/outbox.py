"""Planning alerts: the aggregate finding of a flagged release, and the outbox rows for every
subscription that wants it, written in the transaction that stores the release."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg

from analysis.model import Assessment, Finding, Severity
from collector.alerts.model import AGGREGATE_CHECK, Candidate, Subscription, matches
from collector.store import PgConnection
from collector.store.outbox import enqueue_alerts, fetch_aggregate_finding
from collector.store.subscriptions import list_subscriptions

ALERT_FLOOR = Severity.LOW  # releases below this get no aggregate finding and no alert


def aggregate_finding(project: str, version: str, assessment: Assessment) -> Finding | None:
    """One finding per flagged release with its combined verdict: what alerts and the feed show."""
    if assessment.severity < ALERT_FLOOR:
        return None
    checks = sorted({f.check_id for f in assessment.findings})
    targets = sorted({f.target for f in assessment.findings if f.target})
    reasons = list(assessment.reasons) or [f.summary for f in assessment.findings]
    imitates = f", imitating {', '.join(targets)}" if targets else ""
    summary = (
        f"{project} {version}: {assessment.severity.label} risk "
        f"(score {assessment.score}){imitates}."
    )
    evidence: dict[str, object] = {"reasons": reasons, "checks": checks, "targets": targets}
    code = _code_evidence(assessment)
    if code:  # where to look first: the strongest file finding, at its line on inspector
        evidence["code"] = code
        evidence["inspector_url"] = code[0]["inspector_url"]
    return Finding(
        check_id=AGGREGATE_CHECK,
        severity=assessment.severity,
        score=assessment.score,
        summary=summary,
        evidence=evidence,
        target=targets[0] if targets else None,
    )


def _code_evidence(assessment: Assessment, limit: int = 5) -> list[dict[str, object]]:
    """The strongest findings that point into a file (assessment.findings is strongest first)."""
    keys = ("filename", "path", "line", "end_line", "snippet", "inspector_url")
    return [
        {"check": f.check_id, **{k: f.evidence[k] for k in keys if k in f.evidence}}
        for f in assessment.findings
        if isinstance(f.evidence.get("inspector_url"), str) and f.severity >= ALERT_FLOOR
    ][:limit]


def with_aggregate(project: str, version: str, assessment: Assessment) -> Assessment:
    aggregate = aggregate_finding(project, version, assessment)
    if aggregate is None:
        return assessment
    return Assessment(
        assessment.score, assessment.severity, (*assessment.findings, aggregate), assessment.reasons
    )


class OutboxWriter:
    """The processor's hook: plan deliveries for a release's aggregate finding."""

    def __init__(self, pool: asyncpg.Pool, *, cache_seconds: float = 5.0) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self._subscriptions: list[Subscription] = []
        self._loaded = 0.0
        self.on_planned: Callable[[], None] = lambda: None  # the sender's wake-up

    async def __call__(
        self, conn: PgConnection, release_id: int, project: str, assessment: Assessment
    ) -> int:
        aggregate = await fetch_aggregate_finding(conn, release_id)
        if aggregate is None:
            return 0
        candidate = Candidate(
            project=project,
            severity=aggregate.severity,
            checks=[f.check_id for f in assessment.findings],
            targets=[f.target for f in assessment.findings if f.target],
        )
        wanted = [s.id for s in await self._current(conn) if matches(s, candidate)]
        planned = await enqueue_alerts(conn, aggregate.id, wanted)
        if planned:
            self.on_planned()
        return planned

    async def _current(self, conn: PgConnection) -> list[Subscription]:
        if time.monotonic() - self._loaded > self.cache_seconds:
            self._subscriptions = await list_subscriptions(conn, enabled_only=True)
            self._loaded = time.monotonic()
        return self._subscriptions
