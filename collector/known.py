"""What an OSV sync means for the releases we stored: a known-malware record naming one becomes
its `known.malicious` finding (the verdict turns critical and subscribers hear of it, as for
any rise); a vulnerability record becomes a `known.vulnerability` finding on the newest stored
release it affects, an alert only for subscriptions that ask for `known.` checks on the
project. A record withdrawn or narrowed takes its findings down to info.

Runs inside the sync's transaction, so the advisories, the findings and the alerts they plan are
stored together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.checks import CHECKS_BY_ID
from analysis.known import MALICIOUS, VULNERABILITY, malicious_finding, vulnerability_finding
from analysis.metadata import parse_version
from analysis.osv import Advisory, affects, fixed_in
from analysis.scoring import combine
from collector.alerts.model import Candidate, Subscription, matches
from collector.alerts.outbox import ALERT_FLOOR, aggregate_finding
from collector.pipeline.processor import FlaggedHook
from collector.store import PgConnection
from collector.store.artifacts import (
    ReleaseRef,
    current_findings,
    lock_release,
    save_verdict,
)
from collector.store.known import (
    fetch_known_findings,
    fetch_stored_releases,
    save_known_finding,
    withdraw_findings,
)
from collector.store.outbox import enqueue_alerts
from collector.store.subscriptions import list_subscriptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """What a sync changed on stored releases."""

    reported_malicious: int = 0  # releases newly named by a known-malware record
    vulnerable: int = 0  # new known.vulnerability findings
    withdrawn: int = 0  # findings whose record no longer holds
    alerts: int = 0  # deliveries planned for the vulnerability findings


async def apply_advisories(
    conn: PgConnection, advisories: Sequence[Advisory], on_flagged: FlaggedHook | None = None
) -> Applied:
    """Turn changed advisories into findings on the stored releases they name."""
    if not advisories:
        return Applied()
    stored = await fetch_stored_releases(conn, sorted({p for a in advisories for p in a.projects}))
    plan = [(a, release) for a in advisories for release in _affected(a, stored)]
    held = {(r.release_id, _check(a), a.id) for a, r in plan}
    existing = await fetch_known_findings(conn, [a.id for a in advisories])
    gone = [k for k in existing if (k.release.release_id, k.check_id, k.advisory_id) not in held]
    rescore = {r.release_id: r for a, r in plan if a.malicious}
    rescore.update((k.release.release_id, k.release) for k in gone if k.check_id != VULNERABILITY)
    for release_id in sorted(rescore):  # one order for every lock: no deadlock between syncs
        await lock_release(conn, rescore[release_id].project, rescore[release_id].version)
    reported = vulnerable = alerts = 0
    asking = await _asking_for_vulnerabilities(conn)
    for advisory, release in plan:
        if advisory.malicious:
            finding = malicious_finding(advisory, release.project, release.version)
            reported += (await save_known_finding(conn, release, finding))[1]
            continue
        fixed = fixed_in(advisory, release.project, release.version)
        finding = vulnerability_finding(advisory, release.project, release.version, fixed)
        finding_id, created = await save_known_finding(conn, release, finding)
        if created:
            vulnerable += 1
            alerts += await _plan_vulnerability_alerts(conn, finding_id, release, asking)
    await withdraw_findings(conn, [k.finding_id for k in gone])
    for release_id in sorted(rescore):
        await _rescore(conn, rescore[release_id], on_flagged)
    return Applied(reported, vulnerable, len(gone), alerts)


def _check(advisory: Advisory) -> str:
    return MALICIOUS if advisory.malicious else VULNERABILITY


def _affected(advisory: Advisory, stored: dict[str, list[ReleaseRef]]) -> Iterable[ReleaseRef]:
    """Every stored release a known-malware record names; for a vulnerability, the newest
    stored release of each project it affects (one alert per record and project, about the
    release people are most likely to run)."""
    for project in sorted(advisory.projects):
        hit = [r for r in stored.get(project, []) if affects(advisory, project, r.version)]
        if advisory.malicious:
            yield from hit
        elif hit:
            yield max(hit, key=_version_order)


def _version_order(release: ReleaseRef) -> tuple[bool, object, int]:
    parsed = parse_version(release.version)
    return (parsed is not None, parsed or 0, release.release_id)


async def _rescore(conn: PgConnection, release: ReleaseRef, on_flagged: FlaggedHook | None) -> None:
    """The release's verdict from every finding it holds now, and the alerts a rise plans."""
    assessment = combine(await current_findings(conn, release.release_id))
    aggregate = aggregate_finding(release.project, release.version, assessment)
    await save_verdict(conn, release, assessment.score, assessment.severity, aggregate)
    if on_flagged is not None and assessment.severity >= ALERT_FLOOR:
        await on_flagged(conn, release.release_id, release.project, assessment)


async def _asking_for_vulnerabilities(conn: PgConnection) -> list[Subscription]:
    """Only subscriptions that name a check and watch projects (by name or pattern): a
    vulnerability in what someone depends on, not a stream of every record. Read once a sync."""
    return [
        s
        for s in await list_subscriptions(conn, enabled_only=True)
        if s.check_ids and (s.watched_projects or s.name_patterns)
    ]


async def _plan_vulnerability_alerts(
    conn: PgConnection, finding_id: int, release: ReleaseRef, asking: Sequence[Subscription]
) -> int:
    """The subscriptions among `asking` that want this finding (a `known.` check, the project)."""
    severity = CHECKS_BY_ID[VULNERABILITY].severity
    candidate = Candidate(release.project, severity, [VULNERABILITY], [])
    return await enqueue_alerts(conn, finding_id, [s.id for s in asking if matches(s, candidate)])
