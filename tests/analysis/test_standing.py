"""How established a project is, and how that tempers name and name-based metadata findings."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from analysis.model import (
    Finding,
    PriorRelease,
    ProjectFacts,
    ReleaseMetadata,
    ReleaseSnapshot,
    Severity,
)
from analysis.standing import (
    Maturity,
    Standing,
    dependency_standing,
    release_standing,
    standing,
    temper,
)
from tests.analysis.conftest import NOW

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("first_upload", "releases", "maturity", "reason"),
    [
        (None, 5, Maturity.UNKNOWN, "no upload time known"),
        (NOW - 3 * DAY, 1, Maturity.YOUNG, "first upload three days ago"),
        (NOW - 89 * DAY, 40, Maturity.YOUNG, "many releases in a few weeks do not make a history"),
        (NOW - 200 * DAY, 5, Maturity.ORDINARY, "months old, a few releases"),
        (NOW - 800 * DAY, 2, Maturity.ORDINARY, "old but with almost no releases"),
        (NOW - 400 * DAY, 3, Maturity.ESTABLISHED, "a year of releasing"),
        (NOW - 120 * DAY, 20, Maturity.ESTABLISHED, "past the young window with many releases"),
        (NOW + DAY, 1, Maturity.YOUNG, "a clock behind the upload counts as new"),
    ],
)
def test_standing(
    first_upload: datetime | None, releases: int, maturity: Maturity, reason: str
) -> None:
    assert standing(first_upload, releases, NOW).maturity is maturity, reason


def _release(**changes: object) -> ReleaseSnapshot:
    snapshot = ReleaseSnapshot("pkg", "2.0", ReleaseMetadata(name="pkg", version="2.0"))
    return dataclasses.replace(snapshot, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("snapshot", "maturity", "reason"),
    [
        (_release(), Maturity.YOUNG, "a first release"),
        (_release(history_known=False), Maturity.UNKNOWN, "nobody knows its history"),
        (
            _release(prior=PriorRelease("1.0", NOW - 900 * DAY), prior_release_count=4),
            Maturity.ESTABLISHED,
            "the prior release's upload bounds the age from below",
        ),
        (
            _release(prior=PriorRelease("1.0", NOW - 9 * DAY), prior_release_count=4),
            Maturity.UNKNOWN,
            "a recent prior release does not make the project young",
        ),
        (
            _release(prior=None, prior_release_count=4, history_known=True),
            Maturity.UNKNOWN,
            "other versions but no upload time for any",
        ),
        (
            _release(
                prior=PriorRelease("1.0", None),
                prior_release_count=4,
                project_first_seen=NOW - 30 * DAY,
            ),
            Maturity.YOUNG,
            "PyPI's first upload a month ago",
        ),
        (
            _release(
                prior=PriorRelease("1.0", NOW - 500 * DAY),
                prior_release_count=4,
                project_first_seen=NOW - 500 * DAY,
                uploaded_at=NOW - 450 * DAY,
            ),
            Maturity.YOUNG,
            "judged when it was uploaded, not now",
        ),
    ],
)
def test_release_standing(snapshot: ReleaseSnapshot, maturity: Maturity, reason: str) -> None:
    assert release_standing(snapshot, NOW).maturity is maturity, reason


@pytest.mark.parametrize(
    ("facts", "maturity", "reason"),
    [
        (None, Maturity.UNKNOWN, "not looked up, or the lookup failed"),
        (ProjectFacts(None, 0), Maturity.EMPTY, "not on PyPI"),
        (ProjectFacts(NOW - 3 * DAY, 1), Maturity.YOUNG, "a brand-new project"),
        (ProjectFacts(NOW - 3000 * DAY, 36), Maturity.ESTABLISHED, "years of releases"),
    ],
)
def test_dependency_standing(facts: ProjectFacts | None, maturity: Maturity, reason: str) -> None:
    assert dependency_standing(facts, NOW).maturity is maturity, reason


def test_description_names_the_facts() -> None:
    assert standing(NOW - 3 * DAY, 2, NOW).describe() == "is young (2 releases since 2026-11-18)"
    assert Standing(Maturity.UNKNOWN).describe() == "is unknown (0 releases)"
    assert Standing(Maturity.EMPTY).describe() == "has nothing to install on PyPI"


NAME = Finding("typosquat.repeated-char", Severity.LOW, 55, "uush repeats the 'u' of ush.")
FAINT = Finding("typosquat.distance-2", Severity.INFO, 30, "Two edits from docutils.")
STARJACK = Finding("metadata.foreign-repository", Severity.MEDIUM, 45, "Points at its repo.")
ELSEWHERE = Finding("metadata.foreign-repository", Severity.LOW, 20, "Named like it.")
TAKEOVER = Finding("metadata.new-owner", Severity.MEDIUM, 45, "mallory joined the owners.")
OLD = standing(NOW - 2000 * DAY, 14, NOW)


@pytest.mark.parametrize(
    ("finding", "severity", "reason"),
    [
        (NAME, Severity.INFO, "a years-old project's likeness to another name is context"),
        (STARJACK, Severity.LOW, "an old fork pointing at upstream's repository"),
        (FAINT, Severity.INFO, "already info: left as it is"),
        (ELSEWHERE, Severity.LOW, "already low: left as it is"),
        (TAKEOVER, Severity.MEDIUM, "what betrays a takeover is not tempered"),
    ],
)
def test_temper_on_an_established_project(
    finding: Finding, severity: Severity, reason: str
) -> None:
    (tempered,) = temper([finding], "uush", OLD)
    assert tempered.severity is severity, reason
    if tempered is not finding:
        assert tempered.summary.endswith(
            "uush is established (14 earlier releases since 2021-05-31)."
        )
        assert tempered.evidence["tempered"]["maturity"] == "established"


def test_temper_leaves_other_projects_alone() -> None:
    young = standing(NOW - 3 * DAY, 0, NOW)
    assert temper([NAME, STARJACK], "uush", young) == [NAME, STARJACK]
