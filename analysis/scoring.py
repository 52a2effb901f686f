"""Combine findings into one 0-100 score and severity, with the reasons listed.

A name match alone is at most low; a flagged name match plus suspicious metadata (any finding at
low or above) is high, and critical with two strong signals (medium or above) or metadata copied
from the imitated project. Metadata alone is capped at the strongest finding's severity. A code
finding keeps its own severity (decode->exec at install time is critical on its own), and a flagged
name plus any code finding at medium or above is critical.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.model import Assessment, Finding, Severity

# Each severity owns a band of the score: info 0-19, low 20-39, ... critical 80-100.
BAND = 20
DECISIVE = frozenset({"metadata.copied-metadata", "metadata.typosquat-dependency"})


def combine(findings: Sequence[Finding]) -> Assessment:
    """The verdict on a set of findings from one release or name."""
    if not findings:
        return Assessment.clean()
    ordered = tuple(sorted(findings, key=lambda f: (-f.severity, -f.score, f.check_id)))
    severity = _severity(ordered)
    floor = severity * BAND
    ceiling = 100 if severity is Severity.CRITICAL else floor + BAND - 1
    score = min(ceiling, floor + sum(f.score for f in ordered) // 10)
    return Assessment(score, severity, ordered, _reasons(ordered))


def _severity(findings: Sequence[Finding]) -> Severity:
    code = max((f.severity for f in findings if f.check_id.startswith("code.")), default=None)
    base = _name_and_metadata(findings)
    if code is None:
        return base
    if base >= Severity.LOW and code >= Severity.MEDIUM and _name_flagged(findings):
        return Severity.CRITICAL  # an imitation that also carries suspicious code
    return max(base, code)


def _name_flagged(findings: Sequence[Finding]) -> bool:
    return any(f.check_id.startswith("typosquat.") and f.severity >= Severity.LOW for f in findings)


def _name_and_metadata(findings: Sequence[Finding]) -> Severity:
    names = [f for f in findings if f.check_id.startswith("typosquat.")]
    others = [f for f in findings if not f.check_id.startswith("typosquat.")]
    suspicious = [f for f in others if f.severity >= Severity.LOW]
    strong = [f for f in others if f.severity >= Severity.MEDIUM]
    name_flagged = any(f.severity >= Severity.LOW for f in names)
    worst_other = max((f.severity for f in others), default=Severity.INFO)
    if name_flagged and suspicious:
        decisive = any(f.check_id in DECISIVE for f in others)
        return Severity.CRITICAL if decisive or len(strong) >= 2 else Severity.HIGH
    if name_flagged:
        return max(Severity.LOW, worst_other)
    if names and len(suspicious) >= 2:
        return max(Severity.MEDIUM, worst_other)  # a faint likeness backed by metadata
    return worst_other


def _reasons(findings: Sequence[Finding]) -> tuple[str, ...]:
    notable = [f for f in findings if f.severity >= Severity.LOW] or list(findings)
    return tuple(f.summary for f in notable)
