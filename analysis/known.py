"""Findings from public reports: an OSV record that names a release we stored.

Known malware (a MAL- record) is the decisive finding `known.malicious`; a vulnerability record is
`known.vulnerability`, which scoring leaves out of the risk verdict (a flaw is not malice) and
only subscriptions that ask for it hear about. The lead time says how long before the report our
own verdict had reached medium.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from analysis.checks import CHECKS_BY_ID
from analysis.model import Finding
from analysis.osv import Advisory, affects

MALICIOUS = "known.malicious"
VULNERABILITY = "known.vulnerability"
OSV_PAGE = "https://osv.dev/vulnerability/"


def _evidence(advisory: Advisory) -> dict[str, Any]:
    return {
        "advisory": advisory.id,
        "aliases": list(advisory.aliases),
        "published": advisory.published.isoformat() if advisory.published else None,
        "url": OSV_PAGE + advisory.id,
    }


def _named(advisory: Advisory) -> str:
    aliases = f" ({', '.join(advisory.aliases[:3])})" if advisory.aliases else ""
    return f"{advisory.id}{aliases}"


def malicious_finding(advisory: Advisory, project: str, version: str) -> Finding:
    check = CHECKS_BY_ID[MALICIOUS]
    about = f": {advisory.summary}" if advisory.summary else ""
    return Finding(
        check_id=check.id,
        severity=check.severity,
        score=check.score,
        summary=f"{project} {version} is reported malicious by {_named(advisory)}{about}",
        evidence=_evidence(advisory),
        fingerprint=advisory.id,
    )


def reported_findings(project: str, version: str, advisories: Sequence[Advisory]) -> list[Finding]:
    """A known-malware finding for each record that names this release."""
    return [
        malicious_finding(a, project, version)
        for a in advisories
        if a.malicious and affects(a, project, version)
    ]


def vulnerability_finding(
    advisory: Advisory, project: str, version: str, fixed: str | None
) -> Finding:
    """The finding is what an alert shows, so it carries the alert's fields (reasons, checks)."""
    check = CHECKS_BY_ID[VULNERABILITY]
    fix = f"; fixed in {fixed}" if fixed else "; no fixed version yet"
    about = f": {advisory.summary}" if advisory.summary else ""
    summary = f"{project} {version}: known vulnerability {_named(advisory)}{about}{fix}"
    alert = {"reasons": [summary], "checks": [check.id], "targets": []}
    evidence = _evidence(advisory) | {"fixed_in": fixed} | alert
    return Finding(
        check_id=check.id,
        severity=check.severity,
        score=check.score,
        summary=summary,
        evidence=evidence,
        fingerprint=advisory.id,
    )


def lead_time(
    flagged_at: datetime | None, published: datetime | None, reported_at: datetime
) -> timedelta | None:
    """How long before the public report our own verdict reached medium (negative: the report
    came first). None when our verdict got there only through the report itself (flagged when
    the `known.malicious` finding was stored, `reported_at`, or later), or the record has no
    publication date."""
    if flagged_at is None or published is None or flagged_at >= reported_at:
        return None
    return published - flagged_at


@dataclass(frozen=True, slots=True)
class LeadTimes:
    """Stored releases a public report named as malware; how many our own verdict had flagged (at
    medium) before the report reached us, and the lead over its publication each time."""

    reported: int
    flagged_first: int  # our verdict reached medium before the report was stored
    leads: tuple[timedelta, ...] = ()  # published - flagged_at; negative: the report came first

    @property
    def ahead(self) -> int:
        """Flagged by us before the report was published."""
        return sum(1 for lead in self.leads if lead > timedelta(0))

    def quantile(self, q: float) -> timedelta | None:
        """The lead at quantile `q` (0-1, nearest rank), None with no leads."""
        if not self.leads:
            return None
        ordered = sorted(self.leads)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def render_span(span: timedelta) -> str:
    """A signed lead in the largest unit that fits: 3.5 d, -2.0 h, 40 min."""
    seconds = span.total_seconds()
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{sign}{seconds / size:.1f} {unit}"
    return f"{sign}{seconds:.0f} s"


def render_leads(leads: LeadTimes) -> str:
    """One line for `status` and the dashboard: how often we were first, by how much."""
    if not leads.reported:
        return "no stored release has been reported malicious yet"
    text = (
        f"{leads.reported} stored release(s) reported malicious; our verdict reached medium "
        f"first on {leads.flagged_first} ({leads.flagged_first / leads.reported:.0%})"
    )
    median = leads.quantile(0.5)
    if median is not None:
        text += (
            f", {leads.ahead} before the report was published; median lead {render_span(median)}"
        )
    return text
