"""Metadata heuristics over a release snapshot; each returns findings with verifiable evidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from analysis.checks import CHECKS_BY_ID
from analysis.context import AnalysisContext
from analysis.model import Finding, ReleaseSnapshot, Severity
from analysis.names import fast_normalize, ultranormalize
from analysis.typosquat import FLAG_STRENGTH, NameMatch, match_name

Rule = Callable[[ReleaseSnapshot, AnalysisContext, Sequence[NameMatch]], Iterator[Finding]]

MIN_DESCRIPTION = 150
DORMANT = timedelta(days=365)
NEW_DEPENDENCY = timedelta(days=30)
HIGH_FIRST_MAJOR = 50
PLACEHOLDER_VERSIONS = frozenset({"0", "0.0", "0.0.0", "0.0.1", "0.1", "0.0.0.0"})  # noqa: S104 - versions
DISPOSABLE_DOMAINS = frozenset({
    "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com", "10minutemail.com",
    "temp-mail.org", "tempmail.com", "tempmail.net", "yopmail.com", "trashmail.com", "getnada.com",
    "dispostable.com", "maildrop.cc", "mintemail.com", "throwawaymail.com", "fakeinbox.com",
    "emailondeck.com", "mohmal.com", "burnermail.io", "tempr.email", "moakt.com", "mailnesia.com",
    "mytemp.email", "tempail.com", "spamgourmet.com", "mail.tm", "tmpmail.org", "emailfake.com",
    "example.com", "example.org", "example.net", "test.com", "email.com", "domain.com",
})  # fmt: skip
FREE_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "aol.com",
    "icloud.com", "me.com", "protonmail.com", "proton.me", "pm.me", "qq.com", "163.com", "126.com",
    "foxmail.com", "mail.ru", "yandex.ru", "yandex.com", "gmx.com", "gmx.de", "web.de", "zoho.com",
})  # fmt: skip
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


def _first_release(snapshot: ReleaseSnapshot) -> bool:
    # Unknown history is not a first release: a monitor that just started must not call every
    # old project new.
    return snapshot.history_known and snapshot.prior is None and snapshot.prior_release_count == 0


def empty_description(snapshot: ReleaseSnapshot, *_: object) -> Iterator[Finding]:
    text = snapshot.metadata.description.strip()
    if len(text) < MIN_DESCRIPTION:
        yield finding(
            "metadata.empty-description",
            f"The description has {len(text)} characters.",
            {"field": "description", "length": len(text)},
        )


def no_project_urls(snapshot: ReleaseSnapshot, *_: object) -> Iterator[Finding]:
    meta = snapshot.metadata
    if not (meta.home_page.strip() or meta.download_url.strip() or meta.project_urls):
        yield finding(
            "metadata.no-project-urls",
            "No home page or project URL is given.",
            {"fields": ["home_page", "download_url", "project_urls"]},
        )


def _urls(snapshot: ReleaseSnapshot) -> Iterator[tuple[str, str]]:
    meta = snapshot.metadata
    yield "home_page", meta.home_page
    yield "download_url", meta.download_url
    for label, url in meta.project_urls:
        yield f"project_urls.{label}", url


def foreign_repository(
    snapshot: ReleaseSnapshot, context: AnalysisContext, _: Sequence[NameMatch]
) -> Iterator[Finding]:
    own = ultranormalize(snapshot.project)
    reported: set[str] = set()
    for field_name, url in _urls(snapshot):
        for host, owner, repo in _REPOSITORY.findall(url or ""):
            project = fast_normalize(repo.removesuffix(".git"))
            foreign = project in context.index.downloads and ultranormalize(project) != own
            if foreign and project not in reported:
                reported.add(project)
                yield finding(
                        "metadata.foreign-repository",
                        f"{field_name} points at {host}/{owner}/{repo}, the repository of "
                        f"the popular project {project}.",
                        {"field": field_name, "url": url, "repository": f"{owner}/{repo}"},
                        target=project, fingerprint=project,
                    )  # fmt: skip


def _email_domains(snapshot: ReleaseSnapshot) -> Iterator[tuple[str, str]]:
    meta = snapshot.metadata
    for field_name, value in (("author_email", meta.author_email),
                              ("maintainer_email", meta.maintainer_email)):  # fmt: skip
        for domain in _EMAIL_DOMAIN.findall(value or ""):
            yield field_name, domain.lower().rstrip(".")


def _in(domain: str, domains: frozenset[str]) -> bool:
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def email_domain(snapshot: ReleaseSnapshot, *_: object) -> Iterator[Finding]:
    for field_name, domain in _email_domains(snapshot):
        if _in(domain, DISPOSABLE_DOMAINS):
            yield finding(
                "metadata.disposable-email",
                f"{field_name} is at {domain}, a throwaway-inbox or placeholder domain.",
                {"field": field_name, "domain": domain}, fingerprint=domain,
            )  # fmt: skip
        elif _in(domain, FREE_DOMAINS):
            yield finding(
                "metadata.free-email",
                f"{field_name} is at {domain}, a free e-mail provider.",
                {"field": field_name, "domain": domain}, fingerprint=domain,
            )  # fmt: skip


def copied_metadata(
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
                {"target": match.target, "fields": copied,
                 "values": {name: str(getattr(theirs, name))[:200] for name in copied}},
                target=match.target, fingerprint=match.target,
            )  # fmt: skip


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def version_signals(snapshot: ReleaseSnapshot, *_: object) -> Iterator[Finding]:
    version = snapshot.version.strip()
    if version in PLACEHOLDER_VERSIONS:
        yield finding(
            "metadata.placeholder-version",
            f"Version {version} is a placeholder.",
            {"field": "version", "version": version},
        )
    parsed = _version(version)
    if _first_release(snapshot) and parsed is not None and parsed.major >= HIGH_FIRST_MAJOR:
        yield finding(
            "metadata.high-first-version",
            f"The project's first release is version {version}.",
            {"field": "version", "version": version},
        )


def history_signals(
    snapshot: ReleaseSnapshot, context: AnalysisContext, _: Sequence[NameMatch]
) -> Iterator[Finding]:
    if _first_release(snapshot):
        yield finding(
            "metadata.new-project",
            f"This is the first release of {snapshot.project} on PyPI.",
            {"prior_release_count": snapshot.prior_release_count},
        )
        return
    prior = snapshot.prior
    released = snapshot.uploaded_at or context.now
    if prior is not None and prior.uploaded_at is not None:
        gap = released - prior.uploaded_at
        if gap >= DORMANT:
            popular = _popular(snapshot, context)
            yield finding(
                "metadata.dormant-release",
                f"{gap.days} days after the previous release ({prior.version}).",
                {"previous_version": prior.version, "previous_upload": prior.uploaded_at,
                 "days": gap.days, "popular": popular},
                severity=Severity.MEDIUM if popular else Severity.LOW,
                score=40 if popular else 20,
            )  # fmt: skip


def ownership_signals(
    snapshot: ReleaseSnapshot, context: AnalysisContext, _: Sequence[NameMatch]
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
            {"added": added, "previous": sorted(prior.ownership.users),
             "previous_version": prior.version},
            fingerprint=",".join(added),
        )  # fmt: skip


def provenance_signals(
    snapshot: ReleaseSnapshot, context: AnalysisContext, _: Sequence[NameMatch]
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


def _requirements(snapshot: ReleaseSnapshot) -> Iterator[tuple[str, Requirement | None]]:
    for line in snapshot.metadata.requires_dist:
        try:
            yield line, Requirement(line)
        except InvalidRequirement:
            yield line, None


def dependency_signals(
    snapshot: ReleaseSnapshot, context: AnalysisContext, _: Sequence[NameMatch]
) -> Iterator[Finding]:
    popular = _popular(snapshot, context)
    for line, requirement in _requirements(snapshot):
        if requirement is None:
            continue
        name = fast_normalize(requirement.name)
        if requirement.url:
            yield finding(
                "metadata.url-dependency",
                f"{requirement.name} is installed from {requirement.url}, not from PyPI.",
                {"requirement": line, "url": requirement.url}, fingerprint=name,
            )  # fmt: skip
        yield from _new_dependency(line, name, popular, context)
        squats = [m for m in match_name(name, context.index) if m.score >= FLAG_STRENGTH]
        if squats:
            yield finding(
                "metadata.typosquat-dependency",
                f"Depends on {name}, which looks like {squats[0].target} "
                f"({squats[0].rule}).",
                {"requirement": line, "dependency": name, "target": squats[0].target,
                 "rule": squats[0].rule, "edit": dict(squats[0].edit)},
                target=squats[0].target, fingerprint=name,
            )  # fmt: skip


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
            score=40 if popular else 25, fingerprint=name,
        )  # fmt: skip


def licence_signals(snapshot: ReleaseSnapshot, *_: object) -> Iterator[Finding]:
    meta = snapshot.metadata
    licensed = meta.license.strip() or meta.license_expression.strip()
    if not licensed and not any(c.startswith("License ::") for c in meta.classifiers):
        yield finding("metadata.no-license", "No licence is declared.", {"fields": ["license"]})
    if not meta.classifiers:
        yield finding("metadata.no-classifiers", "No classifiers.", {"field": "classifiers"})


METADATA_RULES: tuple[Rule, ...] = (
    empty_description, no_project_urls, foreign_repository, email_domain, copied_metadata,
    version_signals, history_signals, ownership_signals, provenance_signals, dependency_signals,
    licence_signals,
)  # fmt: skip
