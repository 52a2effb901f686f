"""assess_release and assess_name end to end, against the contract the collector relies on."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from analysis import CHECKS_BY_ID, AnalysisContext, assess_name, assess_release
from analysis.model import (
    Ownership,
    PriorRelease,
    ProjectFacts,
    ReleaseMetadata,
    ReleaseSnapshot,
    Severity,
)
from tests.analysis.conftest import NOW


def test_name_only_verdicts(context: AnalysisContext) -> None:
    squat = assess_name("reqeusts", context)
    assert squat.severity is Severity.LOW
    assert squat.findings[0].target == "requests"
    assert assess_name("requests", context).severity is Severity.INFO
    assert assess_name("requests", context).findings == ()


def test_name_verdict_respects_shared_ownership_in_context(context: AnalysisContext) -> None:
    ctx = dataclasses.replace(context, target_ownership={"requests": Ownership()})
    assert assess_name("reqeusts", ctx).severity is Severity.LOW  # no owner of the candidate known


def test_a_typosquat_with_suspicious_metadata_is_critical(context: AnalysisContext) -> None:
    snapshot = ReleaseSnapshot(
        project="reqeusts",
        version="0.0.1",
        metadata=ReleaseMetadata(
            name="reqeusts",
            version="0.0.1",
            summary="Python HTTP for Humans.",
            author_email="x@mailinator.com",
            requires_dist=("evil @ https://x.example/e.zip",),
        ),
    )
    theirs = ReleaseMetadata(name="requests", version="2.32", summary="Python HTTP for Humans.")
    verdict = assess_release(snapshot, dataclasses.replace(context, targets={"requests": theirs}))
    assert verdict.severity is Severity.CRITICAL
    assert verdict.score >= 80
    ids = {f.check_id for f in verdict.findings}
    assert {"typosquat.swapped-chars", "metadata.copied-metadata"} <= ids
    for finding in verdict.findings:
        assert finding.check_id in CHECKS_BY_ID, "every finding names a registered check"
        json.dumps(dict(finding.evidence), default=str)  # evidence is JSON-serialisable
    assert verdict.reasons[0].endswith(".")


def test_shared_owner_makes_a_lookalike_harmless(context: AnalysisContext) -> None:
    owners = Ownership(roles=(("Owner", "kreitz"),))
    snapshot = ReleaseSnapshot(
        project="reqeusts",
        version="1.0",
        metadata=ReleaseMetadata(
            name="reqeusts",
            version="1.0",
            description="x" * 200,
            home_page="https://x.example",
            license="MIT",
            classifiers=("License :: OSI Approved",),
        ),
        ownership=owners,
    )
    ctx = dataclasses.replace(context, target_ownership={"requests": owners})
    verdict = assess_release(snapshot, ctx)
    assert all(f.target != "requests" for f in verdict.findings if f.check_id.startswith("typo"))


DAY = timedelta(days=1)
FULL = {
    "summary": "A tool.",
    "description": "A real description. " * 20,
    "license": "MIT",
    "home_page": "https://tool.example.dev",
    "author_email": "dev@tool.example.dev",
}
REQUESTS = ReleaseMetadata(
    name="requests",
    version="2.32",
    summary="Python HTTP for Humans.",
    project_urls=(("Source", "https://github.com/psf/requests"),),
)


def first(project: str, version: str = "1.0.0", **meta: object) -> ReleaseSnapshot:
    """A project's first release, uploaded now."""
    fields = FULL | meta
    metadata = ReleaseMetadata(name=project, version=version, **fields)  # type: ignore[arg-type]
    return ReleaseSnapshot(project, version, metadata, uploaded_at=NOW, project_first_seen=NOW)


def years_old(snapshot: ReleaseSnapshot, quiet_days: int = 30) -> ReleaseSnapshot:
    """The same release from a project that has released for six years."""
    return dataclasses.replace(
        snapshot,
        prior=PriorRelease("0.9", NOW - quiet_days * DAY),
        prior_release_count=12,
        project_first_seen=NOW - 6 * 365 * DAY,
    )


SQUAT_DEPENDENCY = first("http-session-kit", requires_dist=("reqeusts>=1",))
# (release, imitated projects' pages, look-alike dependencies' facts, verdict, reason)
VERDICT_CASES = [
    (
        first("reqeusts", description="", home_page=""),
        {},
        {},
        Severity.MEDIUM,
        "a fresh typosquat: first release, no description, no URL",
    ),
    (
        years_old(first("reqeusts", description="", home_page=""), quiet_days=800),
        {},
        {},
        Severity.LOW,
        "a years-old namesake with thin metadata after a quiet spell: not an alarm",
    ),
    (
        first("reqeusts", description=""),
        {},
        {},
        Severity.LOW,
        "a young look-alike with one gap in its metadata",
    ),
    (
        first("reqeusts", summary="Python HTTP for Humans."),
        {"requests": REQUESTS},
        {},
        Severity.CRITICAL,
        "a fresh typosquat wearing the imitated project's summary",
    ),
    (
        first("reqeusts", home_page="https://github.com/psf/requests"),
        {"requests": REQUESTS},
        {},
        Severity.HIGH,
        "starjacking: a look-alike name and the imitated project's repository",
    ),
    (
        years_old(first("reqeusts", home_page="https://github.com/psf/requests")),
        {"requests": REQUESTS},
        {},
        Severity.LOW,
        "an old fork that kept upstream's URL",
    ),
    (
        first("requests-cache-tool", home_page="https://github.com/psf/requests"),
        {},
        {},
        Severity.LOW,
        "a plugin pointing at its host's repository",
    ),
    (
        SQUAT_DEPENDENCY,
        {},
        {"reqeusts": ProjectFacts(NOW - 2 * DAY, 1)},
        Severity.HIGH,
        "depends on a look-alike uploaded two days ago",
    ),
    (
        SQUAT_DEPENDENCY,
        {},
        {"reqeusts": ProjectFacts(NOW - 2000 * DAY, 24)},
        Severity.INFO,
        "depends on an established namesake (a v2 fork of a popular library)",
    ),
    (
        first("billing-internal", "999.9.9"),
        {},
        {},
        Severity.MEDIUM,
        "dependency confusion: an internal-looking name at 999.9.9",
    ),
    (first("uob-tools", "2025.3.1"), {}, {}, Severity.INFO, "CalVer is no absurd version"),
    (
        first("tool", author_email="x@mailinator.com"),
        {},
        {},
        Severity.MEDIUM,
        "a throwaway inbox as the author",
    ),
    (
        first("topsis-student-1023", description="", home_page="", author_email="a@example.com"),
        {},
        {},
        Severity.LOW,
        "a student's tutorial package: thin, a template's e-mail, no squat",
    ),
    (
        years_old(first("requests"), quiet_days=800),
        {},
        {},
        Severity.LOW,
        "a popular project's maintenance release after a quiet year",
    ),
]


@pytest.mark.parametrize(("snapshot", "targets", "facts", "severity", "reason"), VERDICT_CASES)
def test_verdicts_on_real_shapes(
    snapshot: ReleaseSnapshot,
    targets: dict[str, ReleaseMetadata],
    facts: dict[str, ProjectFacts],
    severity: Severity,
    reason: str,
    context: AnalysisContext,
) -> None:
    ctx = dataclasses.replace(context, targets=targets, dependency_facts=facts)
    assert assess_release(snapshot, ctx).severity is severity, reason


def test_an_established_project_says_why_its_name_is_not_flagged(
    context: AnalysisContext,
) -> None:
    verdict = assess_release(years_old(first("reqeusts")), context)
    (name,) = [f for f in verdict.findings if f.check_id.startswith("typosquat.")]
    assert name.severity is Severity.INFO
    assert "reqeusts is established (12 earlier releases since" in name.summary
    assert name.evidence["tempered"]["releases"] == 12
