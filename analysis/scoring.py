"""Combine findings into one 0-100 score and severity, with the reasons listed.

Weak signals (a name resemblance, thin metadata, low archive or code findings) may add up but
never reach medium alone, with one exception: a close name likeness (match score >= CLOSE) on a
young project (the `metadata.new-project` mark: a first release, or a first upload under 90 days
old) with thin
metadata (two of: no description, no URL, a placeholder version or e-mail) is medium, the shape
of a fresh squat. A flagged name plus a
strong signal (medium or above) is high, and critical with two strong signals or a decisive one
(metadata copied from the imitated project, a look-alike dependency). Otherwise the verdict is
the strongest finding's severity. How established a project is lowers its name and name-based
metadata findings before they get here (analysis.standing). A code finding keeps its own
severity (decode->exec at install time is critical on its own), and a flagged name plus any code
finding at medium or above is critical. A public known-malware report naming the release is
critical on its own; a known vulnerability is not scored at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.model import Assessment, Finding, Severity

# Each severity owns a band of the score: info 0-19, low 20-39, ... critical 80-100.
BAND = 20
DECISIVE = frozenset(
    {"known.malicious", "metadata.copied-metadata", "metadata.typosquat-dependency"}
)
# A known vulnerability is a flaw, not malice: it is stored and alerted on, never scored.
NOT_RISK = frozenset({"known.vulnerability"})
YOUNG = "metadata.new-project"  # the mark metadata.check_history leaves on a young project
THIN = frozenset(
    {
        "metadata.empty-description",
        "metadata.no-project-urls",
        "metadata.placeholder-email",
        "metadata.placeholder-version",
    }
)
# A name match scored this high is a close copy of a popular name (reqeusts, pandsa); below it,
# short names are an edit from some popular name by chance (dna, iter), and on real uploads the
# young-and-thin shape with such a likeness was as often benign as malicious.
CLOSE = 65
THIN_ENOUGH = 2  # one gap is any hurried first upload; two is a name grabbed with nothing in it


def combine(findings: Sequence[Finding]) -> Assessment:
    """The verdict on a set of findings from one release or name."""
    findings = [f for f in findings if f.check_id not in NOT_RISK]
    if not findings:
        return Assessment.clean()
    ordered = unique(sorted(findings, key=lambda f: (-f.severity, -f.score, f.check_id)))
    severity = _severity(ordered)
    floor = severity * BAND
    ceiling = 100 if severity is Severity.CRITICAL else floor + BAND - 1
    score = min(ceiling, floor + sum(f.score for f in ordered) // 10)
    return Assessment(score, severity, ordered, _reasons(ordered))


def unique(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """One finding per (check, fingerprint), the first of each: a release holds one row per
    pair, so two hits that share it (two addresses at one free-mail domain) are one reason.
    Given strongest first, the strongest is kept."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.check_id, finding.fingerprint)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return tuple(kept)


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
    others = [f for f in findings if not f.check_id.startswith("typosquat.")]
    strong = [f for f in others if f.severity >= Severity.MEDIUM]
    worst_other = max((f.severity for f in others), default=Severity.INFO)
    if not _name_flagged(findings):
        return worst_other  # a faint likeness adds nothing a person would act on
    if strong:
        decisive = any(f.check_id in DECISIVE for f in strong)
        return Severity.CRITICAL if decisive or len(strong) >= 2 else Severity.HIGH
    thin = {f.check_id for f in others if f.check_id in THIN and f.severity >= Severity.LOW}
    close = any(f.check_id.startswith("typosquat.") and f.score >= CLOSE for f in findings)
    if close and any(f.check_id == YOUNG for f in others) and len(thin) >= THIN_ENOUGH:
        return Severity.MEDIUM  # a fresh project with a borrowed-looking name and little else
    return Severity.LOW


def _reasons(findings: Sequence[Finding]) -> tuple[str, ...]:
    notable = [f for f in findings if f.severity >= Severity.LOW] or list(findings)
    return tuple(f.summary for f in notable)
