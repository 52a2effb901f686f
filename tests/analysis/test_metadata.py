"""Metadata heuristics: each check fires on a hand-built release, with a reason per case."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from analysis import AnalysisContext
from analysis.metadata import METADATA_RULES
from analysis.model import (
    Finding,
    Ownership,
    PriorRelease,
    Publisher,
    ReleaseMetadata,
    ReleaseSnapshot,
    Severity,
)
from analysis.typosquat import match_name
from tests.analysis.conftest import NOW

LONG = "A real description. " * 20


def release(project: str = "some-new-tool", version: str = "1.2.0", **meta: Any) -> ReleaseSnapshot:
    base: dict[str, Any] = {
        "description": LONG, "home_page": "https://example.dev/tool", "license": "MIT",
        "classifiers": ("License :: OSI Approved :: MIT License",),
        "author_email": "dev@company.example",
    }  # fmt: skip
    base.update(meta)
    snapshot = ReleaseSnapshot(
        project, version, ReleaseMetadata(name=project, version=version, **base)
    )
    return dataclasses.replace(
        snapshot, prior=PriorRelease("1.1.0", NOW - timedelta(days=30)), prior_release_count=3
    )


def findings(snapshot: ReleaseSnapshot, context: AnalysisContext) -> dict[str, Finding]:
    matches = match_name(snapshot.project, context.index)
    return {f.check_id: f for rule in METADATA_RULES for f in rule(snapshot, context, matches)}


def test_a_clean_release_has_no_findings(context: AnalysisContext) -> None:
    assert findings(release(), context) == {}


CASES = [
    (release(description="tiny"), "metadata.empty-description", "description under 150 chars"),
    (release(home_page=""), "metadata.no-project-urls", "no URL at all"),
    (release(home_page="https://github.com/psf/requests"), "metadata.foreign-repository",
     "borrows the repository of a popular project"),
    (release(author_email="a@mailinator.com"), "metadata.disposable-email", "throwaway inbox"),
    (release(author_email="Jo <jo@sub.yopmail.com>"), "metadata.disposable-email",
     "a subdomain of a throwaway provider, in a name-address string"),
    (release(maintainer_email="x@example.com"), "metadata.disposable-email", "placeholder"),
    (release(author_email="me@gmail.com"), "metadata.free-email", "free provider: context only"),
    (release(version="0.0.1"), "metadata.placeholder-version", "a name grabbed early"),
    (release(license="", classifiers=()), "metadata.no-license", "no licence anywhere"),
    (release(classifiers=()), "metadata.no-classifiers", "no trove classifiers"),
    (release(requires_dist=("helper @ https://evil.example/helper.zip",)),
     "metadata.url-dependency", "installed from a URL"),
    (release(requires_dist=("reqeusts>=1",)), "metadata.typosquat-dependency",
     "depends on a typosquat"),
]  # fmt: skip


@pytest.mark.parametrize(("snapshot", "check_id", "reason"), CASES)
def test_fires(
    snapshot: ReleaseSnapshot, check_id: str, reason: str, context: AnalysisContext
) -> None:
    found = findings(snapshot, context)
    assert check_id in found, reason
    assert found[check_id].summary.endswith("."), "one plain sentence"


@pytest.mark.parametrize(
    ("snapshot", "check_id", "reason"),
    [
        (release(home_page="https://github.com/me/some-new-tool"), "metadata.foreign-repository",
         "its own repository"),
        (release(home_page="https://github.com/me/unknown-thing"), "metadata.foreign-repository",
         "a repository that is not a popular project"),
        (release(author_email="not an address"), "metadata.free-email", "no domain to judge"),
        (release(version="not-a-version"), "metadata.high-first-version", "unparseable version"),
        (release(requires_dist=("requests>=2", "!!! garbage")), "metadata.typosquat-dependency",
         "a popular dependency and an unparseable line"),
        (release(license="", license_expression="MIT", classifiers=("X",)), "metadata.no-license",
         "a licence expression is a licence"),
    ],
)  # fmt: skip
def test_does_not_fire(
    snapshot: ReleaseSnapshot, check_id: str, reason: str, context: AnalysisContext
) -> None:
    assert check_id not in findings(snapshot, context), reason


def test_foreign_repository_reports_each_project_once(context: AnalysisContext) -> None:
    snapshot = release(
        home_page="https://github.com/psf/requests",
        project_urls=(("Source", "https://github.com/psf/requests.git"),),
    )
    matches = match_name(snapshot.project, context.index)
    hits = [f for r in METADATA_RULES for f in r(snapshot, context, matches)]
    foreign = [f for f in hits if f.check_id == "metadata.foreign-repository"]
    assert len(foreign) == 1
    assert foreign[0].evidence["repository"] == "psf/requests"
    assert foreign[0].target == "requests"


def test_copied_metadata_needs_the_targets_metadata(context: AnalysisContext) -> None:
    snapshot = release(project="reqeusts", summary="Python HTTP for Humans.", author="K R")
    assert "metadata.copied-metadata" not in findings(snapshot, context)  # target not fetched
    theirs = ReleaseMetadata(name="requests", version="2.32", summary="Python HTTP for Humans.",
                             author="K R", description="other")  # fmt: skip
    with_target = dataclasses.replace(context, targets={"requests": theirs})
    found = findings(snapshot, with_target)["metadata.copied-metadata"]
    assert found.evidence["fields"] == ["summary", "author"]
    assert found.target == "requests"


def test_copied_metadata_ignores_unrelated_targets(context: AnalysisContext) -> None:
    theirs = ReleaseMetadata(name="requests", version="2.32", summary="Something else.")
    with_target = dataclasses.replace(context, targets={"requests": theirs})
    snapshot = release(project="reqeusts", summary="Mine.")
    assert "metadata.copied-metadata" not in findings(snapshot, with_target)


def test_first_release_signals(context: AnalysisContext) -> None:
    first = dataclasses.replace(release(version="99.0.0"), prior=None, prior_release_count=0)
    found = findings(first, context)
    assert found["metadata.new-project"].severity is Severity.INFO
    assert found["metadata.high-first-version"].evidence["version"] == "99.0.0"
    later = release(version="99.0.0")
    assert "metadata.high-first-version" not in findings(later, context)  # not a first release
    # Nobody knows the project's history (a monitor that just started, no Simple page): an
    # old project's release must not be called a new project's first.
    unknown = dataclasses.replace(first, history_known=False)
    assert "metadata.new-project" not in findings(unknown, context)
    assert "metadata.high-first-version" not in findings(unknown, context)


def _dormant(project: str, context: AnalysisContext, uploaded: bool = True) -> Finding | None:
    snapshot = dataclasses.replace(
        release(project=project),
        prior=PriorRelease("0.9", NOW - timedelta(days=800)),
        uploaded_at=NOW if uploaded else None,
    )
    return findings(snapshot, context).get("metadata.dormant-release")


def test_dormancy_is_worse_on_a_popular_project(context: AnalysisContext) -> None:
    quiet = _dormant("some-new-tool", context)
    popular = _dormant("requests", context, uploaded=False)  # falls back to the clock
    assert quiet is not None
    assert quiet.severity is Severity.LOW
    assert popular is not None
    assert popular.severity is Severity.MEDIUM
    assert popular.evidence["days"] == 800


def test_no_dormancy_without_a_prior_upload_time(context: AnalysisContext) -> None:
    snapshot = dataclasses.replace(release(), prior=PriorRelease("1.0", None))
    assert "metadata.dormant-release" not in findings(snapshot, context)


def _owned(project: str, before: tuple[str, ...], after: tuple[str, ...]) -> ReleaseSnapshot:
    def roles(users: tuple[str, ...]) -> Ownership:
        return Ownership(roles=tuple(("Owner", u) for u in users))

    return dataclasses.replace(
        release(project=project),
        prior=PriorRelease("1.0", NOW - timedelta(days=3), ownership=roles(before)),
        ownership=roles(after),
    )


@pytest.mark.parametrize(
    ("snapshot", "fires", "reason"),
    [
        (
            _owned("requests", ("alice",), ("alice", "mallory")),
            True,
            "a newcomer on a popular project",
        ),
        (_owned("some-new-tool", ("alice",), ("alice", "bob")), False, "not a popular project"),
        (_owned("requests", ("alice", "bob"), ("alice",)), False, "someone left: no new owner"),
        (dataclasses.replace(release(), ownership=Ownership()), False, "no prior ownership known"),
    ],
)
def test_new_owner(
    snapshot: ReleaseSnapshot, fires: bool, reason: str, context: AnalysisContext
) -> None:
    assert ("metadata.new-owner" in findings(snapshot, context)) is fires, reason


GITHUB = Publisher("GitHub", "psf/requests", "release.yml")


def _published(
    project: str, before: tuple[Publisher, ...], after: tuple[Publisher, ...]
) -> ReleaseSnapshot:
    return dataclasses.replace(
        release(project=project),
        prior=PriorRelease("1.0", NOW - timedelta(days=3), publishers=before),
        publishers=after,
    )


@pytest.mark.parametrize(
    ("snapshot", "check_id", "severity", "reason"),
    [
        (_published("requests", (GITHUB,), ()), "metadata.lost-provenance", Severity.HIGH,
         "a popular project stopped publishing with attestations"),
        (_published("some-new-tool", (GITHUB,), ()), "metadata.lost-provenance", Severity.MEDIUM,
         "lost provenance on a smaller project"),
        (_published("requests", (GITHUB,), (Publisher("GitHub", "evil/fork", "x.yml"),)),
         "metadata.changed-provenance", Severity.MEDIUM, "another repository publishes now"),
        (_published("requests", (GITHUB,), (Publisher("Google", None, None),)),
         "metadata.changed-provenance", Severity.MEDIUM, "another kind of publisher"),
    ],
)  # fmt: skip
def test_provenance(
    snapshot: ReleaseSnapshot,
    check_id: str,
    severity: Severity,
    reason: str,
    context: AnalysisContext,
) -> None:
    assert findings(snapshot, context)[check_id].severity is severity, reason


def test_same_provenance_is_quiet(context: AnalysisContext) -> None:
    found = findings(_published("requests", (GITHUB,), (GITHUB,)), context)
    assert not {"metadata.lost-provenance", "metadata.changed-provenance"} & set(found)


def test_new_dependency(context: AnalysisContext) -> None:
    seen = {"fresh-helper": NOW - timedelta(days=2), "old-helper": NOW - timedelta(days=400),
            "unknown-helper": None}  # fmt: skip
    ctx = dataclasses.replace(context, dependency_first_seen=seen)
    snapshot = release(requires_dist=("fresh-helper", "old-helper", "unknown-helper", "other"))
    found = findings(snapshot, ctx)["metadata.new-dependency"]
    assert (found.evidence["dependency"], found.severity) == ("fresh-helper", Severity.LOW)
    popular = findings(dataclasses.replace(snapshot, project="requests"), ctx)
    assert popular["metadata.new-dependency"].severity is Severity.MEDIUM
