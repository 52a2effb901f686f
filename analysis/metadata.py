"""Metadata heuristics over a release snapshot; each returns findings with verifiable evidence."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from analysis.checks import CHECKS_BY_ID
from analysis.context import AnalysisContext
from analysis.model import Finding, ReleaseMetadata, ReleaseSnapshot, Severity
from analysis.names import fast_normalize, ultranormalize
from analysis.names.index import NameIndex
from analysis.names.typosquat import NameMatch, match_name
from analysis.standing import Maturity, dependency_standing, first_release, release_standing

Rule = Callable[[ReleaseSnapshot, AnalysisContext, Sequence[NameMatch]], Iterator[Finding]]

MIN_DESCRIPTION = 150
DORMANT = timedelta(days=365)
NEW_DEPENDENCY = timedelta(days=30)
HIGH_FIRST_MAJOR = 50
CALENDAR_YEARS = range(1990, 2101)  # a major version in here (or a date from it) is CalVer
PLACEHOLDER_VERSIONS = frozenset({"0", "0.0", "0.0.0", "0.0.0.0", "0.0.1", "0.1"})  # noqa: S104 - versions
THROWAWAY_DOMAINS = frozenset(
    {
        "10minutemail.com",
        "burnermail.io",
        "dispostable.com",
        "emailfake.com",
        "emailondeck.com",
        "fakeinbox.com",
        "getnada.com",
        "guerrillamail.com",
        "guerrillamail.net",
        "mail.tm",
        "maildrop.cc",
        "mailinator.com",
        "mailnesia.com",
        "mintemail.com",
        "moakt.com",
        "mohmal.com",
        "mytemp.email",
        "sharklasers.com",
        "spamgourmet.com",
        "temp-mail.org",
        "tempail.com",
        "tempmail.com",
        "tempmail.net",
        "tempr.email",
        "throwawaymail.com",
        "tmpmail.org",
        "trashmail.com",
        "yopmail.com",
    }
)
# Domains that templates and tutorials put in an author field: nobody reads mail there, but
# that is a student's leftover far more often than a hiding attacker.
PLACEHOLDER_DOMAINS = frozenset(
    {
        "domain.com",
        "email.com",
        "example.com",
        "example.net",
        "example.org",
        "mydomain.com",
        "test.com",
        "yourcompany.com",
        "yourdomain.com",
    }
)
FREE_DOMAINS = frozenset(
    {
        "126.com",
        "163.com",
        "aol.com",
        "foxmail.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.ru",
        "me.com",
        "outlook.com",
        "pm.me",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "web.de",
        "yahoo.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)
_EMAIL_DOMAIN = re.compile(r"@([a-z0-9.-]+\.[a-z]{2,})", re.IGNORECASE)
_REPOSITORY = re.compile(
    r"https?://(?:www\.)?(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/"
    r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)"
)
_COPYABLE = ("summary", "description", "author", "author_email", "home_page")


def finding(
    check_id: str,
    summary: str,
    evidence: Mapping[str, object],
    *,
    severity: Severity | None = None,
    score: int | None = None,
    target: str | None = None,
    fingerprint: str = "",
) -> Finding:
    """A finding with the check's registered severity and score unless given."""
    check = CHECKS_BY_ID[check_id]
    return Finding(
        check_id=check_id,
        severity=check.severity if severity is None else severity,
        score=check.score if score is None else score,
        summary=summary,
        evidence=evidence,
        target=target,
        fingerprint=fingerprint,
    )


def _popular(snapshot: ReleaseSnapshot, context: AnalysisContext) -> bool:
    return snapshot.project in context.index.downloads


def check_description(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    text = snapshot.metadata.description.strip()
    if len(text) < MIN_DESCRIPTION:
        yield finding(
            "metadata.empty-description",
            f"The description has {len(text)} characters.",
            {"field": "description", "length": len(text)},
        )


def check_project_urls(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    meta = snapshot.metadata
    if not (meta.home_page.strip() or meta.download_url.strip() or meta.project_urls):
        yield finding(
            "metadata.no-project-urls",
            "No home page or project URL is given.",
            {"fields": ["home_page", "download_url", "project_urls"]},
        )


def _urls(meta: ReleaseMetadata) -> Iterator[tuple[str, str]]:
    yield "home_page", meta.home_page
    yield "download_url", meta.download_url
    for label, url in meta.project_urls:
        yield f"project_urls.{label}", url


def _repositories(meta: ReleaseMetadata) -> Iterator[tuple[str, str, tuple[str, str, str]]]:
    """(field, url, (host, owner, repo)) for each source-hosting repository URL."""
    for field_name, url in _urls(meta):
        for host, owner, repo in _REPOSITORY.findall(url or ""):
            yield field_name, url, (host.lower(), owner.lower(), repo.lower().removesuffix(".git"))


def check_repository(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    """A repository named like another popular project: low alone (forks keep upstream's URL,
    sub-packages and plugins point at their organisation's repository, templates at theirs, and
    many repositories share a name); medium when the name imitates that project too and the
    URL is that project's own (as its page lists it, when we have its page): starjacking."""
    own = ultranormalize(snapshot.project)
    imitated = {m.target for m in matches}
    reported: set[str] = set()
    for field_name, url, repository in _repositories(snapshot.metadata):
        project = fast_normalize(repository[2])
        foreign = project in context.index.downloads and ultranormalize(project) != own
        if foreign and project not in reported:
            reported.add(project)
            theirs = context.targets.get(project)
            starjacked = project in imitated and (
                theirs is None or repository in {r for _, _, r in _repositories(theirs)}
            )
            yield _foreign(field_name, url, repository, project, starjacked)


def _foreign(
    field_name: str, url: str, repository: tuple[str, str, str], project: str, starjacked: bool
) -> Finding:
    host, owner, repo = repository
    where = f"{field_name} points at {host}/{owner}/{repo}"
    evidence = {
        "field": field_name,
        "url": url,
        "repository": f"{owner}/{repo}",
        "starjacked": starjacked,
    }
    if starjacked:
        summary = f"{where}, the repository of {project}, which the name imitates."
        return finding(
            "metadata.foreign-repository",
            summary,
            evidence,
            severity=Severity.MEDIUM,
            score=45,
            target=project,
            fingerprint=project,
        )
    summary = f"{where}, a repository named like the popular project {project}."
    return finding(
        "metadata.foreign-repository", summary, evidence, target=project, fingerprint=project
    )


def _email_domains(snapshot: ReleaseSnapshot) -> Iterator[tuple[str, str]]:
    meta = snapshot.metadata
    for field_name, value in (
        ("author_email", meta.author_email),
        ("maintainer_email", meta.maintainer_email),
    ):
        for domain in _EMAIL_DOMAIN.findall(value or ""):
            yield field_name, domain.lower().rstrip(".")


def _in(domain: str, domains: frozenset[str]) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


# Kinds of e-mail domain, first match wins: the check and what the summary calls the domain.
EMAIL_KINDS = (
    (THROWAWAY_DOMAINS, "metadata.disposable-email", "a throwaway-inbox provider"),
    (PLACEHOLDER_DOMAINS, "metadata.placeholder-email", "a placeholder domain from a template"),
    (FREE_DOMAINS, "metadata.free-email", "a free e-mail provider"),
)


def check_email_domain(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    for field_name, domain in _email_domains(snapshot):
        for domains, check_id, kind in EMAIL_KINDS:
            if _in(domain, domains):
                yield finding(
                    check_id,
                    f"{field_name} is at {domain}, {kind}.",
                    {"field": field_name, "domain": domain},
                    fingerprint=domain,
                )
                break


def check_copied_metadata(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    for match in matches:
        theirs = context.targets.get(match.target)
        if theirs is None:
            continue
        copied = [
            name
            for name in _COPYABLE
            if (mine := str(getattr(snapshot.metadata, name)).strip())
            and mine == str(getattr(theirs, name)).strip()
        ]
        if copied:
            yield finding(
                "metadata.copied-metadata",
                f"{', '.join(copied)} copied from {match.target}, the project the name imitates.",
                {
                    "target": match.target,
                    "fields": copied,
                    "values": {name: str(getattr(theirs, name))[:200] for name in copied},
                },
                target=match.target,
                fingerprint=match.target,
            )


@functools.lru_cache(maxsize=1 << 16)
def parse_version(text: str) -> Version | None:
    """A PEP 440 version, or None for text that is not one. Cached: OSV records list the same
    versions of a project over and over (an audit parses thousands), and Version is immutable."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _absurd(version: Version) -> bool:
    """A major of HIGH_FIRST_MAJOR or more that is not a year (2025.3.1) or a date
    (20230519.9.3, 202305.1): 99.0.0 and 999.9.9 are, the dependency-confusion pattern."""
    if version.major < HIGH_FIRST_MAJOR:
        return False
    digits = str(version.major)
    if int(digits[:4]) not in CALENDAR_YEARS:
        return True
    month, day = digits[4:6], digits[6:]
    if len(digits) == 4:
        return False
    return not (len(month) == 2 and 1 <= int(month) <= 12 and (not day or 1 <= int(day) <= 31))


def check_version(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    version = snapshot.version.strip()
    if version in PLACEHOLDER_VERSIONS:
        yield finding(
            "metadata.placeholder-version",
            f"Version {version} is a placeholder.",
            {"field": "version", "version": version},
        )
    parsed = parse_version(version)
    if first_release(snapshot) and parsed is not None and _absurd(parsed):
        yield finding(
            "metadata.high-first-version",
            f"The project's first release is version {version}.",
            {"field": "version", "version": version},
        )


def check_history(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    standing = release_standing(snapshot, context.now)
    if standing.maturity is Maturity.YOUNG:
        yield _new_project(snapshot, standing.first_upload, context)
    if first_release(snapshot):
        return
    prior = snapshot.prior
    released = snapshot.uploaded_at or context.now
    if prior is not None and prior.uploaded_at is not None:
        gap = released - prior.uploaded_at
        if gap >= DORMANT:
            # a maintenance release after a quiet year is common; a takeover shows elsewhere
            yield finding(
                "metadata.dormant-release",
                f"{gap.days} days after the previous release ({prior.version}).",
                {
                    "previous_version": prior.version,
                    "previous_upload": prior.uploaded_at,
                    "days": gap.days,
                    "popular": _popular(snapshot, context),
                },
            )


def _new_project(
    snapshot: ReleaseSnapshot, first_upload: datetime | None, context: AnalysisContext
) -> Finding:
    """The mark of a young project, which scoring reads: first release or first upload < 90 days."""
    evidence = {"prior_release_count": snapshot.prior_release_count, "first_upload": first_upload}
    if first_release(snapshot):
        return finding(
            "metadata.new-project",
            f"This is the first release of {snapshot.project} on PyPI.",
            evidence,
        )
    days = ((snapshot.uploaded_at or context.now) - first_upload).days if first_upload else 0
    return finding(
        "metadata.new-project",
        f"{snapshot.project} was first uploaded {days} days before this release.",
        evidence | {"days": days},
    )


def check_ownership(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    prior = snapshot.prior
    if prior is None or prior.ownership is None or snapshot.ownership is None:
        return
    added = sorted(snapshot.ownership.users - prior.ownership.users)
    if added and _popular(snapshot, context):
        yield finding(
            "metadata.new-owner",
            f"{', '.join(added)} joined the owners of popular project {snapshot.project} "
            f"since {prior.version}.",
            {
                "added": added,
                "previous": sorted(prior.ownership.users),
                "previous_version": prior.version,
            },
            fingerprint=",".join(added),
        )


def check_provenance(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    prior = snapshot.prior
    if prior is None or not prior.publishers:
        return
    before = sorted({(p.kind, p.repository or "", p.workflow or "") for p in prior.publishers})
    after = sorted({(p.kind, p.repository or "", p.workflow or "") for p in snapshot.publishers})
    evidence = {"previous_version": prior.version, "previous": before, "current": after}
    if not after:
        popular = _popular(snapshot, context)
        yield finding(
            "metadata.lost-provenance",
            f"{prior.version} was published with attestations by a Trusted Publisher; "
            f"{snapshot.version} has none.",
            evidence,
            severity=Severity.HIGH if popular else Severity.MEDIUM,
            score=60 if popular else 45,
        )
    elif after != before:
        yield finding(
            "metadata.changed-provenance",
            f"Published from {after[0][1] or after[0][0]} instead of "
            f"{before[0][1] or before[0][0]} ({prior.version}).",
            evidence,
        )


def _requirements(lines: Iterable[str]) -> Iterator[tuple[str, Requirement | None]]:
    for line in lines:
        yield line, parse_requirement(line)


@functools.lru_cache(maxsize=8192)
def parse_requirement(line: str) -> Requirement | None:
    """One Requires-Dist line, or None when it is no valid requirement. Cached: a release's
    lines are read by several checks and by the collector, and most lines (`requests>=2`) recur
    across releases; parsing one costs about 0.1 ms. Callers only read the result."""
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


def check_dependencies(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    popular = _popular(snapshot, context)
    for line, requirement in _requirements(snapshot.metadata.requires_dist):
        if requirement is None:
            continue
        name = fast_normalize(requirement.name)
        if requirement.url:
            yield finding(
                "metadata.url-dependency",
                f"{requirement.name} is installed from {requirement.url}, not from PyPI.",
                {"requirement": line, "url": requirement.url},
                fingerprint=name,
            )
        yield from _new_dependency(line, name, popular, context)
    lookalikes = imitating_dependencies(snapshot.metadata.requires_dist, context.index)
    for name, (line, match) in lookalikes.items():
        yield _typosquat_dependency(line, name, match, context)


def imitating_dependencies(
    requires_dist: Iterable[str], index: NameIndex
) -> dict[str, tuple[str, NameMatch]]:
    """Each dependency whose name imitates a popular project (a flagged match): its normalized
    name -> the first requirement line naming it and the strongest match. The collector looks
    these up on PyPI for AnalysisContext.dependency_facts."""
    found: dict[str, tuple[str, NameMatch]] = {}
    for line, requirement in _requirements(requires_dist):
        name = fast_normalize(requirement.name) if requirement else ""
        if requirement is None or name in found:
            continue
        squats = [m for m in match_name(name, index) if m.flagged]
        if squats:
            found[name] = (line, squats[0])
    return found


# What an imitating dependency is worth by its own standing: a new (or unknown) project with a
# popular project's look is where a squat's payload hides. One that has lasted months on PyPI
# is unlikely to be a live squat, an established one is a namesake, and a name with nothing to
# install makes the release fail to install rather than run anything (its first upload will be
# judged by its own name).
DEPENDENCY_SEVERITY = {
    Maturity.UNKNOWN: (Severity.HIGH, 60),
    Maturity.YOUNG: (Severity.HIGH, 60),
    Maturity.EMPTY: (Severity.LOW, 25),
    Maturity.ORDINARY: (Severity.LOW, 25),
    Maturity.ESTABLISHED: (Severity.INFO, 5),
}


def _typosquat_dependency(
    line: str, name: str, match: NameMatch, context: AnalysisContext
) -> Finding:
    standing = dependency_standing(context.dependency_facts.get(name), context.now)
    severity, score = DEPENDENCY_SEVERITY[standing.maturity]
    known = "" if standing.maturity is Maturity.UNKNOWN else f"; {name} {standing.describe()}"
    return finding(
        "metadata.typosquat-dependency",
        f"Depends on {name}, which looks like {match.target} ({match.rule}){known}.",
        {
            "requirement": line,
            "dependency": name,
            "target": match.target,
            "rule": match.rule,
            "edit": dict(match.edit),
            "dependency_standing": standing.as_evidence(),
        },
        severity=severity,
        score=score,
        target=match.target,
        fingerprint=name,
    )


def _new_dependency(
    line: str, name: str, popular: bool, context: AnalysisContext
) -> Iterator[Finding]:
    first_seen = context.dependency_first_seen.get(name)
    if first_seen is not None and context.now - first_seen < NEW_DEPENDENCY:
        age = (context.now - first_seen).days
        yield finding(
            "metadata.new-dependency",
            f"Depends on {name}, first seen {age} days ago.",
            {"requirement": line, "dependency": name, "first_seen": first_seen, "days": age},
            severity=Severity.MEDIUM if popular else Severity.LOW,
            score=40 if popular else 25,
            fingerprint=name,
        )


def check_licence(
    snapshot: ReleaseSnapshot, context: AnalysisContext, matches: Sequence[NameMatch]
) -> Iterator[Finding]:
    meta = snapshot.metadata
    licensed = meta.license.strip() or meta.license_expression.strip()
    if not licensed and not any(c.startswith("License ::") for c in meta.classifiers):
        yield finding("metadata.no-license", "No licence is declared.", {"fields": ["license"]})
    if not meta.classifiers:
        yield finding("metadata.no-classifiers", "No classifiers.", {"field": "classifiers"})


# Every metadata rule, once, in the order its findings are listed.
METADATA_RULES: tuple[Rule, ...] = (
    check_description,
    check_project_urls,
    check_repository,
    check_email_domain,
    check_copied_metadata,
    check_version,
    check_history,
    check_ownership,
    check_provenance,
    check_dependencies,
    check_licence,
)
