"""Metadata heuristics: each check fires on a hand-built release, with a reason per case."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import timedelta
from typing import Any

import pytest

from analysis import AnalysisContext, metadata
from analysis.metadata import METADATA_RULES, imitating_dependencies
from analysis.model import (
    Finding,
    Ownership,
    PriorRelease,
    ProjectFacts,
    Publisher,
    ReleaseMetadata,
    ReleaseSnapshot,
    Severity,
)
from analysis.names.typosquat import match_name
from tests.analysis.conftest import NOW

LONG = "A real description. " * 20


def release(project: str = "some-new-tool", version: str = "1.2.0", **meta: Any) -> ReleaseSnapshot:
    base: dict[str, Any] = {
        "description": LONG,
        "home_page": "https://example.dev/tool",
        "license": "MIT",
        "classifiers": ("License :: OSI Approved :: MIT License",),
        "author_email": "dev@company.example",
    }
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
    (
        release(home_page="https://github.com/psf/requests"),
        "metadata.foreign-repository",
        "borrows the repository of a popular project",
    ),
    (release(author_email="a@mailinator.com"), "metadata.disposable-email", "throwaway inbox"),
    (
        release(author_email="Jo <jo@sub.yopmail.com>"),
        "metadata.disposable-email",
        "a subdomain of a throwaway provider, in a name-address string",
    ),
    (release(maintainer_email="x@example.com"), "metadata.placeholder-email", "placeholder"),
    (
        release(author_email="dev@bso.example.com"),
        "metadata.placeholder-email",
        "a subdomain of a placeholder domain",
    ),
    (release(author_email="me@gmail.com"), "metadata.free-email", "free provider: context only"),
    (release(version="0.0.1"), "metadata.placeholder-version", "a name grabbed early"),
    (release(license="", classifiers=()), "metadata.no-license", "no licence anywhere"),
    (release(classifiers=()), "metadata.no-classifiers", "no trove classifiers"),
    (
        release(requires_dist=("helper @ https://evil.example/helper.zip",)),
        "metadata.url-dependency",
        "installed from a URL",
    ),
    (
        release(requires_dist=("reqeusts>=1",)),
        "metadata.typosquat-dependency",
        "depends on a typosquat",
    ),
]


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
        (
            release(home_page="https://github.com/me/some-new-tool"),
            "metadata.foreign-repository",
            "its own repository",
        ),
        (
            release(home_page="https://github.com/me/unknown-thing"),
            "metadata.foreign-repository",
            "a repository that is not a popular project",
        ),
        (release(author_email="not an address"), "metadata.free-email", "no domain to judge"),
        (release(version="not-a-version"), "metadata.high-first-version", "unparseable version"),
        (
            release(requires_dist=("requests>=2", "!!! garbage")),
            "metadata.typosquat-dependency",
            "a popular dependency and an unparseable line",
        ),
        (
            release(license="", license_expression="MIT", classifiers=("X",)),
            "metadata.no-license",
            "a licence expression is a licence",
        ),
    ],
)
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
    theirs = ReleaseMetadata(
        name="requests",
        version="2.32",
        summary="Python HTTP for Humans.",
        author="K R",
        description="other",
    )
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


def test_dormancy_is_context_even_on_a_popular_project(context: AnalysisContext) -> None:
    """six, pexpect or tabulate releasing after years is a maintenance release; a takeover
    shows in owners, provenance, dependencies and code."""
    quiet = _dormant("some-new-tool", context)
    popular = _dormant("requests", context, uploaded=False)  # falls back to the clock
    assert quiet is not None
    assert quiet.severity is Severity.LOW
    assert popular is not None
    assert popular.severity is Severity.LOW
    assert (popular.evidence["days"], popular.evidence["popular"]) == (800, True)


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
        (
            _published("requests", (GITHUB,), ()),
            "metadata.lost-provenance",
            Severity.HIGH,
            "a popular project stopped publishing with attestations",
        ),
        (
            _published("some-new-tool", (GITHUB,), ()),
            "metadata.lost-provenance",
            Severity.MEDIUM,
            "lost provenance on a smaller project",
        ),
        (
            _published("requests", (GITHUB,), (Publisher("GitHub", "evil/fork", "x.yml"),)),
            "metadata.changed-provenance",
            Severity.MEDIUM,
            "another repository publishes now",
        ),
        (
            _published("requests", (GITHUB,), (Publisher("Google", None, None),)),
            "metadata.changed-provenance",
            Severity.MEDIUM,
            "another kind of publisher",
        ),
    ],
)
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
    seen = {
        "fresh-helper": NOW - timedelta(days=2),
        "old-helper": NOW - timedelta(days=400),
        "unknown-helper": None,
    }
    ctx = dataclasses.replace(context, dependency_first_seen=seen)
    snapshot = release(requires_dist=("fresh-helper", "old-helper", "unknown-helper", "other"))
    found = findings(snapshot, ctx)["metadata.new-dependency"]
    assert (found.evidence["dependency"], found.severity) == ("fresh-helper", Severity.LOW)
    popular = findings(dataclasses.replace(snapshot, project="requests"), ctx)
    assert popular["metadata.new-dependency"].severity is Severity.MEDIUM


# (snapshot, check id or None, severity, reason): the real shape next to its benign look-alike
EMAIL_CASES = [
    (
        release(author_email="x@mailinator.com"),
        "metadata.disposable-email",
        Severity.MEDIUM,
        "a throwaway inbox: nobody answers for the project",
    ),
    (
        release(author_email="you@example.com"),
        "metadata.placeholder-email",
        Severity.LOW,
        "a tutorial package that kept the template's address",
    ),
    (
        release(author_email="Jane <jane@email.com>", maintainer_email="jane@email.com"),
        "metadata.placeholder-email",
        Severity.LOW,
        "a generated stub's address in both fields",
    ),
    (
        release(author_email="me@yourdomain.com"),
        "metadata.placeholder-email",
        Severity.LOW,
        "a 'your domain here' leftover",
    ),
    (release(author_email="me@examples.com"), None, None, "a real domain that is not a template's"),
]


@pytest.mark.parametrize(("snapshot", "check_id", "severity", "reason"), EMAIL_CASES)
def test_email_domains(
    snapshot: ReleaseSnapshot,
    check_id: str | None,
    severity: Severity | None,
    reason: str,
    context: AnalysisContext,
) -> None:
    found = findings(snapshot, context)
    emails = {k: f for k, f in found.items() if k.endswith("-email")}
    if check_id is None:
        assert emails == {}, reason
    else:
        assert emails[check_id].severity is severity, reason


REQUESTS_PAGE = ReleaseMetadata(
    name="requests", version="2.32", project_urls=(("Source", "https://github.com/psf/requests"),)
)


# (snapshot, targets fetched, severity, reason)
FOREIGN_CASES = [
    (
        release(project="reqeusts", home_page="https://github.com/psf/requests"),
        {"requests": REQUESTS_PAGE},
        Severity.MEDIUM,
        "starjacking: a look-alike name and the imitated project's own repository",
    ),
    (
        release(
            project="reqeusts", project_urls=(("Code", "https://github.com/PSF/Requests.git"),)
        ),
        {"requests": REQUESTS_PAGE},
        Severity.MEDIUM,
        "the same repository spelled otherwise",
    ),
    (
        release(project="reqeusts", home_page="https://github.com/psf/requests"),
        {},
        Severity.MEDIUM,
        "the imitated project's page was not fetched: the name decides",
    ),
    (
        release(project="reqeusts", home_page="https://github.com/someone/requests"),
        {"requests": REQUESTS_PAGE},
        Severity.LOW,
        "a fork or a namesake repository: the imitated project lists another",
    ),
    (
        release(home_page="https://github.com/psf/requests"),
        {},
        Severity.LOW,
        "a plugin or fork that points at upstream, with a name of its own",
    ),
    (
        release(project_urls=(("Bug Reports", "https://github.com/pypa/sampleproject"),)),
        {},
        None,
        "a repository that is not a popular project's name",
    ),
]


@pytest.mark.parametrize(("snapshot", "targets", "severity", "reason"), FOREIGN_CASES)
def test_foreign_repository(
    snapshot: ReleaseSnapshot,
    targets: dict[str, ReleaseMetadata],
    severity: Severity | None,
    reason: str,
    context: AnalysisContext,
) -> None:
    found = findings(snapshot, dataclasses.replace(context, targets=targets))
    foreign = found.get("metadata.foreign-repository")
    assert (foreign.severity if foreign else None) is severity, reason
    if foreign is not None:
        assert foreign.target == "requests"
        assert foreign.evidence["starjacked"] is (severity is Severity.MEDIUM)


@pytest.mark.parametrize(
    ("version", "fires", "reason"),
    [
        ("99.0.0", True, "dependency confusion: outbid an internal package's version"),
        ("999.9.9", True, "dependency confusion, the other usual number"),
        ("9999", True, "past any year"),
        ("20231.0", True, "five digits are no date"),
        ("20231301.1", True, "a thirteenth month is no date"),
        ("2025.3.1", False, "CalVer: year.month.patch"),
        ("2025.11.0a1", False, "a CalVer pre-release"),
        ("20230519.9.3.809548", False, "a build stamped with its date"),
        ("202305.1", False, "year and month"),
        ("49.0", False, "under the threshold"),
    ],
)
def test_high_first_version(
    version: str, fires: bool, reason: str, context: AnalysisContext
) -> None:
    first = dataclasses.replace(release(version=version), prior=None, prior_release_count=0)
    assert ("metadata.high-first-version" in findings(first, context)) is fires, reason


def test_a_young_project_is_marked_new_until_90_days(context: AnalysisContext) -> None:
    def uploaded(days: int) -> ReleaseSnapshot:
        return dataclasses.replace(release(), project_first_seen=NOW - timedelta(days=days))

    young = findings(uploaded(20), context)["metadata.new-project"]
    assert young.summary == "some-new-tool was first uploaded 20 days before this release."
    assert young.evidence["days"] == 20
    assert "metadata.new-project" not in findings(uploaded(200), context)


DAY = timedelta(days=1)


# (facts about the look-alike dependency, severity, reason)
DEPENDENCY_CASES = [
    (None, Severity.HIGH, "not looked up (or the lookup failed): it may be a fresh squat"),
    (ProjectFacts(NOW - 2 * DAY, 1), Severity.HIGH, "a squat uploaded two days ago"),
    (ProjectFacts(None, 0), Severity.LOW, "not on PyPI: the release cannot install, runs nothing"),
    (ProjectFacts(NOW - 200 * DAY, 9), Severity.LOW, "months on PyPI: unlikely a live squat"),
    (
        ProjectFacts(NOW - 2000 * DAY, 36),
        Severity.INFO,
        "an established namesake (a v2 fork, a CUDA variant) that many depend on",
    ),
]


@pytest.mark.parametrize(("facts", "severity", "reason"), DEPENDENCY_CASES)
def test_typosquat_dependency_by_the_dependency_standing(
    facts: ProjectFacts | None, severity: Severity, reason: str, context: AnalysisContext
) -> None:
    known = {"reqeusts": facts} if facts else {}
    ctx = dataclasses.replace(context, dependency_facts=known)
    snapshot = release(requires_dist=("reqeusts>=1", "reqeusts[socks]; python_version > '3'"))
    matches = match_name(snapshot.project, ctx.index)
    hits = [f for r in METADATA_RULES for f in r(snapshot, ctx, matches)]
    (found,) = [f for f in hits if f.check_id == "metadata.typosquat-dependency"]
    assert found.severity is severity, reason
    assert (found.target, found.evidence["dependency"]) == ("requests", "reqeusts")
    assert found.summary.endswith(".")


def test_imitating_dependencies(context: AnalysisContext) -> None:
    lines = ("requests>=2", "reqeusts", "Reqeusts[x]", "!!! garbage", "some-helper")
    found = imitating_dependencies(lines, context.index)
    assert list(found) == ["reqeusts"]
    assert found["reqeusts"][0] == "reqeusts"
    assert found["reqeusts"][1].target == "requests"


def test_every_metadata_rule_is_listed_once_with_one_signature() -> None:
    """A rule written but not listed would never run; each takes (snapshot, context, matches)."""
    written = {f for name, f in vars(metadata).items() if name.startswith("check_")}
    assert len(set(metadata.METADATA_RULES)) == len(metadata.METADATA_RULES)
    assert set(metadata.METADATA_RULES) == written
    for rule in written:
        assert list(inspect.signature(rule).parameters) == ["snapshot", "context", "matches"]
