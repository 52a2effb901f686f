"""The vetted index's decision, one table of releases: what keeps each out, or lets it in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from analysis.approvals import Approval
from analysis.licences import Licence
from analysis.model import Severity
from analysis.osv import Advisory, parse_advisory
from analysis.policy import Ignore, Policy
from analysis.vetting import ReleaseFacts, Verdict, decide

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=10)
MIT = Licence("MIT", "expression", "MIT")
POLICY = Policy()


def advisory(advisory_id: str, version: str, **extra: Any) -> Advisory:
    return parse_advisory(
        {
            "id": advisory_id,
            "modified": "2026-11-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": [version]}],
            **extra,
        }
    )


def approval(decision: str, version: str | None = "1.0") -> Approval:
    return Approval("demo", version, decision, "alice", "reviewed", OLD)  # type: ignore[arg-type]


MALWARE = advisory("MAL-2026-1", "1.0")
VULN = advisory("PYSEC-2026-7", "1.0", aliases=["CVE-2026-7"])
CLEAN = ReleaseFacts("demo", "1.0", Severity.LOW, OLD, "active", licence=MIT)


def young(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


CASES: list[tuple[ReleaseFacts, Policy, bool, str, str]] = [
    (CLEAN, POLICY, True, "demo 1.0 allowed: our verdict is low", "clean and old enough"),
    (
        replace(CLEAN, severity=Severity.MEDIUM),
        POLICY,
        False,
        "demo 1.0 breaks the policy: our verdict is medium (blocks at medium)",
        "our verdict at block_at",
    ),
    (
        replace(CLEAN, severity=Severity.HIGH, approvals=[approval("approved")]),
        POLICY,
        False,
        "demo 1.0 breaks the policy: our verdict is high",
        "an approval does not answer our verdict (the allow list does)",
    ),
    (
        replace(CLEAN, severity=Severity.HIGH),
        Policy(allow=frozenset({"demo"})),
        True,
        "demo 1.0 allowed: our verdict is high",
        "the allow list answers a false positive",
    ),
    (
        replace(CLEAN, advisories=[MALWARE], approvals=[approval("approved")]),
        Policy(allow=frozenset({"demo"})),
        False,
        "demo 1.0 is known malware (MAL-2026-1)",
        "known malware: no approval or allow list lets it in",
    ),
    (
        replace(CLEAN, version="2.0", advisories=[MALWARE]),
        POLICY,
        True,
        "demo 2.0 allowed",
        "a malware record about another version",
    ),
    (
        replace(CLEAN, approvals=[approval("denied")]),
        POLICY,
        False,
        "demo 1.0 was denied by alice: reviewed",
        "a person denied it",
    ),
    (
        replace(CLEAN, advisories=[VULN]),
        POLICY,
        True,
        "demo 1.0 allowed",
        "a known vulnerability passes unless the policy blocks them",
    ),
    (
        replace(CLEAN, advisories=[VULN]),
        Policy(block_vulnerable=True),
        False,
        "demo 1.0 breaks the policy: known vulnerability PYSEC-2026-7",
        "block_vulnerable",
    ),
    (
        replace(CLEAN, advisories=[VULN]),
        Policy(block_vulnerable=True, ignore=(Ignore("CVE-2026-7", "unreachable", None),)),
        True,
        "demo 1.0 allowed",
        "an accepted vulnerability, by its alias",
    ),
    (
        CLEAN,
        Policy(deny=frozenset({"demo"})),
        False,
        "demo 1.0 breaks the policy: denied by the policy",
        "a denied project",
    ),
    (
        replace(CLEAN, licence=Licence("AGPL-3.0-only", "expression", "AGPL-3.0-only")),
        Policy(deny_licenses=frozenset({"AGPL-3.0-only"})),
        False,
        "demo 1.0 breaks the policy: licence AGPL-3.0-only is not allowed by the policy",
        "a denied licence",
    ),
    (
        replace(CLEAN, status="quarantined"),
        POLICY,
        False,
        "demo 1.0 is quarantined on PyPI",
        "PyPI took it down",
    ),
    (
        replace(CLEAN, status="yanked"),
        POLICY,
        True,
        "demo 1.0 allowed",
        "yanked stays installable by an exact pin; pip skips it otherwise",
    ),
    (
        replace(CLEAN, uploaded_at=young(5)),
        POLICY,
        False,
        "demo 1.0 is held: uploaded 5.0 h ago, the policy waits 48 h",
        "too young",
    ),
    (
        replace(CLEAN, uploaded_at=young(5), approvals=[approval("approved", None)]),
        POLICY,
        True,
        "demo 1.0 approved by alice: reviewed",
        "an approval of the project lifts the age hold",
    ),
    (
        replace(CLEAN, uploaded_at=young(5)),
        Policy(min_age_hours=0),
        True,
        "demo 1.0 allowed",
        "no age hold",
    ),
    (
        replace(CLEAN, uploaded_at=None),
        POLICY,
        False,
        "demo 1.0 is held: its upload time is unknown",
        "no upload time: the age cannot be shown",
    ),
    (
        replace(CLEAN, severity=None, status=None, uploaded_at=young(2)),
        POLICY,
        False,
        "demo 1.0 is held: uploaded 2.0 h ago, not analysed yet, the policy waits 48 h",
        "never seen by the store, and young",
    ),
    (
        replace(CLEAN, severity=None, status=None),
        POLICY,
        True,
        "demo 1.0 allowed on the policy alone: not analysed yet",
        "never seen by the store, and old enough",
    ),
    (
        replace(CLEAN, uploaded_at=NOW + timedelta(hours=1)),
        POLICY,
        False,
        "demo 1.0 is held: uploaded 0.0 h ago",
        "an upload time in the future (clock skew) is held, not negative",
    ),
    (
        CLEAN,
        Policy(require_approval=True),
        False,
        "demo 1.0 needs an approval: demo has none",
        "require_approval with none",
    ),
    (
        replace(CLEAN, approvals=[approval("approved", "0.9")]),
        Policy(require_approval=True),
        False,
        "demo 1.0 needs an approval",
        "an approval of another version does not count",
    ),
    (
        replace(CLEAN, approvals=[approval("approved")]),
        Policy(require_approval=True),
        True,
        "demo 1.0 approved by alice: reviewed",
        "require_approval, approved",
    ),
]


@pytest.mark.parametrize(("facts", "policy", "allowed", "says", "why"), CASES)
def test_what_the_index_serves(
    facts: ReleaseFacts, policy: Policy, allowed: bool, says: str, why: str
) -> None:
    verdict = decide(facts, policy, NOW)
    assert verdict.allowed is allowed, why
    assert verdict.reason.startswith(says), (why, verdict.reason)
    assert "\n" not in verdict.reason


def test_the_rule_that_decided_is_named_for_counting() -> None:
    rules = {decide(facts, policy, NOW).rule for facts, policy, *_ in CASES}
    assert rules == {"age", "approval", "denied", "malicious", "ok", "policy", "status"}
    assert decide(CLEAN, POLICY, NOW) == Verdict(True, "demo 1.0 allowed: our verdict is low", "ok")
    assert NOW.date() == date(2026, 12, 4)
