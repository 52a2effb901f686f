"""Findings from public reports, and the lead our own verdict had over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analysis.known import (
    LeadTimes,
    lead_time,
    malicious_finding,
    render_leads,
    render_span,
    reported_findings,
    vulnerability_finding,
)
from analysis.model import Severity
from analysis.osv import Advisory, parse_advisory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def advisory(advisory_id: str, versions: list[str], **extra: object) -> Advisory:
    affected = {"package": {"ecosystem": "PyPI", "name": "Evil_Pkg"}, "versions": versions}
    return parse_advisory(
        {"id": advisory_id, "modified": "2026-01-01T00:00:00Z", "affected": [affected], **extra}
    )


MAL = advisory("MAL-2026-9", ["1.0"], summary="Steals tokens", published="2026-01-02T00:00:00Z")
QUIET = advisory("MAL-2026-10", ["1.0"])  # no summary, no aliases, no publication date
VULN = advisory("PYSEC-2026-1", ["1.0"], aliases=["CVE-2026-1", "GHSA-x"], summary="XSS")
WITHDRAWN = advisory("MAL-2026-11", ["1.0"], withdrawn="2026-01-03T00:00:00Z")


def test_a_malware_report_is_a_critical_finding_naming_the_release_and_the_record() -> None:
    finding = malicious_finding(MAL, "evil-pkg", "1.0")
    assert (finding.check_id, finding.severity, finding.fingerprint) == (
        "known.malicious",
        Severity.CRITICAL,
        "MAL-2026-9",
    )
    assert finding.summary == "evil-pkg 1.0 is reported malicious by MAL-2026-9: Steals tokens"
    assert finding.evidence["url"] == "https://osv.dev/vulnerability/MAL-2026-9"
    assert finding.evidence["published"] == "2026-01-02T00:00:00+00:00"
    quiet = malicious_finding(QUIET, "evil-pkg", "1.0")
    assert quiet.summary == "evil-pkg 1.0 is reported malicious by MAL-2026-10"
    assert quiet.evidence["published"] is None


def test_a_vulnerability_finding_carries_what_its_alert_shows() -> None:
    finding = vulnerability_finding(VULN, "evil-pkg", "1.0", "1.1")
    assert finding.check_id == "known.vulnerability"
    assert finding.summary == (
        "evil-pkg 1.0: known vulnerability PYSEC-2026-1 (CVE-2026-1, GHSA-x): XSS; fixed in 1.1"
    )
    assert finding.evidence["reasons"] == [finding.summary]
    assert finding.evidence["checks"] == ["known.vulnerability"]
    assert finding.evidence["fixed_in"] == "1.1"
    unfixed = vulnerability_finding(QUIET, "evil-pkg", "1.0", None)
    assert unfixed.summary.endswith("MAL-2026-10; no fixed version yet")


def test_reports_on_arrival_are_the_malware_records_that_name_the_version() -> None:
    found = reported_findings("evil-pkg", "1.0", [MAL, VULN, WITHDRAWN])
    assert [f.fingerprint for f in found] == ["MAL-2026-9"]
    assert reported_findings("evil-pkg", "2.0", [MAL]) == []


@pytest.mark.parametrize(
    ("flagged", "published", "reported", "lead"),
    [
        (T0, T0 + timedelta(days=2), T0 + timedelta(days=3), timedelta(days=2)),
        (T0, T0 - timedelta(hours=5), T0 + timedelta(days=3), timedelta(hours=-5)),
        (None, T0, T0, None),  # never flagged on our own
        (T0, T0, T0, None),  # flagged by the report itself (same transaction)
        (T0 + timedelta(days=4), T0, T0 + timedelta(days=3), None),  # rose after the report
        (T0, None, T0 + timedelta(days=1), None),  # the record has no publication date
    ],
)
def test_lead_time(
    flagged: datetime | None, published: datetime | None, reported: datetime, lead: timedelta | None
) -> None:
    assert lead_time(flagged, published, reported) == lead


def test_lead_figures() -> None:
    leads = LeadTimes(5, 3, (timedelta(hours=-2), timedelta(days=3), timedelta(hours=30)))
    assert leads.ahead == 2
    assert leads.quantile(0.5) == timedelta(hours=30)
    assert leads.quantile(0.0) == timedelta(hours=-2)
    assert leads.quantile(1.0) == timedelta(days=3)
    assert render_leads(leads) == (
        "5 stored release(s) reported malicious; our verdict reached medium first on 3 (60%), "
        "2 before the report was published; median lead 1.2 d"
    )
    assert LeadTimes(2, 0).quantile(0.5) is None
    assert render_leads(LeadTimes(2, 0)) == (
        "2 stored release(s) reported malicious; our verdict reached medium first on 0 (0%)"
    )
    assert render_leads(LeadTimes(0, 0)) == "no stored release has been reported malicious yet"


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=2, hours=12), "2.5 d"),
        (timedelta(hours=-3), "-3.0 h"),
        (timedelta(minutes=40), "40.0 min"),
        (timedelta(seconds=-12), "-12 s"),
    ],
)
def test_render_span(span: timedelta, text: str) -> None:
    assert render_span(span) == text
