"""The vetted index's decision: may pip install this release? One line says why, in pip's output.

A release is kept out when it is known malware (whatever any approval says), when a person denied
it, when it breaks the policy (our verdict, a denied project or licence, a known vulnerability if
the policy blocks them), while it is younger than `min_age_hours`, or when the policy wants an
approval and there is none. An approval lifts the age hold and the approval rule only: it answers
"let us have it now", not "our verdict is wrong" (the policy's `allow` list answers that).

A release the store has not analysed has no verdict: it waits out the age hold like any other,
then passes on the policy alone, and the reason says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from analysis.approvals import Approval, applicable
from analysis.licences import Licence
from analysis.model import Severity
from analysis.osv import Advisory, exposure
from analysis.policy import Facts, Policy, violations

GONE = frozenset({"quarantined", "removed"})  # PyPI took it down: never served from here


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """What is known about one release when pip asks for it."""

    project: str  # PEP 503 name
    version: str
    severity: Severity | None  # our stored verdict; None: the store has not analysed it
    uploaded_at: datetime | None  # the release's upload time (ours, else the index's)
    status: str | None = None  # the store's effective status: active, yanked, removed, ...
    advisories: Sequence[Advisory] = ()  # the OSV records naming the project
    licence: Licence | None = None
    approvals: Sequence[Approval] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str  # one line, for a person reading pip's output or the index's log
    rule: str  # what decided, for counting: malicious, denied, policy, status, age, approval, ok


def decide(facts: ReleaseFacts, policy: Policy, now: datetime) -> Verdict:
    """Allowed or blocked, with the first reason that applies (the others follow it)."""
    name = f"{facts.project} {facts.version}"
    found = exposure(facts.advisories, facts.project, facts.version)
    if found.malicious:
        ids = ", ".join(a.id for a in found.malicious)
        return _blocked("malicious", f"{name} is known malware ({ids})")
    approval = applicable(facts.approvals, facts.project, facts.version, now)
    if approval is not None and approval.decision == "denied":
        return _blocked("denied", f"{name} was denied by {approval.actor}: {approval.reason}")
    broken = violations(policy, _policy_facts(facts, found.vulnerabilities, policy), now.date())
    if broken:
        return _blocked("policy", f"{name} breaks the policy: {'; '.join(broken)}")
    if facts.status in GONE:
        return _blocked("status", f"{name} is {facts.status} on PyPI")
    approved = approval is not None
    held = None if approved else _age_hold(facts, policy, now)
    if held is not None:
        return _blocked("age", f"{name} {held}")
    if policy.require_approval and not approved:
        return _blocked("approval", f"{name} needs an approval: {facts.project} has none")
    return Verdict(True, _allowed_reason(name, facts, approval), "ok")


def _blocked(rule: str, reason: str) -> Verdict:
    return Verdict(False, reason, rule)


def _policy_facts(
    facts: ReleaseFacts, vulnerabilities: Sequence[tuple[Advisory, str | None]], policy: Policy
) -> Facts:
    weighed = vulnerabilities if policy.block_vulnerable else ()
    return Facts(
        name=facts.project,
        severity=Severity.INFO if facts.severity is None else facts.severity,
        vulnerabilities=[(a.id, a.aliases) for a, _ in weighed],
        known_malicious=[],  # decided above, before any approval
        licence=facts.licence,
    )


def _age_hold(facts: ReleaseFacts, policy: Policy, now: datetime) -> str | None:
    """Why the release is held for its age, or None when it is old enough."""
    if policy.min_age_hours <= 0:
        return None
    if facts.uploaded_at is None:
        return "is held: its upload time is unknown"
    age = now - facts.uploaded_at
    if age >= timedelta(hours=policy.min_age_hours):
        return None
    unknown = ", not analysed yet" if facts.severity is None else ""
    return (
        f"is held: uploaded {_hours(age)} ago{unknown}, the policy waits {policy.min_age_hours:g} h"
    )


def _allowed_reason(name: str, facts: ReleaseFacts, approval: Approval | None) -> str:
    if approval is not None:
        return f"{name} approved by {approval.actor}: {approval.reason}"
    if facts.severity is None:
        return f"{name} allowed on the policy alone: not analysed yet"
    return f"{name} allowed: our verdict is {facts.severity.label}"


def _hours(age: timedelta) -> str:
    return f"{max(age.total_seconds(), 0) / 3600:.1f} h"
