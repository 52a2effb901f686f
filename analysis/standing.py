"""How established a project is, from its age and releases: it tempers name and metadata suspicion.

Squats are young: a name like a popular one, thin or borrowed metadata and a first upload last
week is the classic shape. The same resemblance on a project that has released for years is a
namesake or a fork, not an imitation, so on an ESTABLISHED release the name findings are info
and the metadata that only matters next to an imitation (a borrowed repository, copied text) is
at most low, each with the reason in its summary and evidence. What betrays a taken-over
established project (new owners, lost provenance, new or look-alike dependencies, code) is left
as it is. The same scale judges a dependency that imitates a popular name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from analysis.model import Finding, ProjectFacts, ReleaseSnapshot, Severity

YOUNG_AGE = timedelta(days=90)  # first upload this recent: a project someone may have just made
ESTABLISHED_AGE = timedelta(days=365)
FEW_RELEASES = 3  # with ESTABLISHED_AGE: a project that has kept releasing for a year
MANY_RELEASES = 20  # past YOUNG_AGE, this many releases is a history no squat bothers to fake
# Metadata findings that accuse only next to an imitation: the imitated project's repository or
# text. An established namesake keeps them as context.
NAME_BASED = frozenset({"metadata.copied-metadata", "metadata.foreign-repository"})


class Maturity(Enum):
    UNKNOWN = "unknown"  # no upload time known
    EMPTY = "empty"  # looked up: not on PyPI, or no files to install
    YOUNG = "young"
    ORDINARY = "ordinary"
    ESTABLISHED = "established"


@dataclass(frozen=True, slots=True)
class Standing:
    """A project's maturity and the facts behind it, as evidence."""

    maturity: Maturity
    first_upload: datetime | None = None
    releases: int = 0  # before the release judged (a dependency: all it has)

    def as_evidence(self) -> dict[str, object]:
        return {
            "maturity": self.maturity.value,
            "first_upload": self.first_upload,
            "releases": self.releases,
        }

    def describe(self) -> str:
        """A predicate for a summary: "is young (2 releases since 2026-11-02)"."""
        if self.maturity is Maturity.EMPTY:
            return "has nothing to install on PyPI"
        since = f" since {self.first_upload:%Y-%m-%d}" if self.first_upload else ""
        return f"is {self.maturity.value} ({self.releases} releases{since})"


def standing(first_upload: datetime | None, releases: int, at: datetime) -> Standing:
    """Maturity at `at` of a project first uploaded at `first_upload` with `releases` releases."""
    if first_upload is None:
        return Standing(Maturity.UNKNOWN, None, releases)
    age = at - first_upload
    if age < YOUNG_AGE:
        maturity = Maturity.YOUNG
    elif releases >= MANY_RELEASES or (age >= ESTABLISHED_AGE and releases >= FEW_RELEASES):
        maturity = Maturity.ESTABLISHED
    else:
        maturity = Maturity.ORDINARY
    return Standing(maturity, first_upload, releases)


def first_release(snapshot: ReleaseSnapshot) -> bool:
    # Unknown history is not a first release: a monitor that just started must not call every
    # old project new.
    return snapshot.history_known and snapshot.prior is None and snapshot.prior_release_count == 0


def release_standing(snapshot: ReleaseSnapshot, now: datetime) -> Standing:
    """The project's standing when this release was uploaded (else at `now`)."""
    at = snapshot.uploaded_at or now
    if first_release(snapshot):
        return Standing(Maturity.YOUNG, snapshot.project_first_seen or at, 0)
    if snapshot.project_first_seen is not None:
        return standing(snapshot.project_first_seen, snapshot.prior_release_count, at)
    # Without PyPI's first upload, the previous release only says the project is at least that
    # old: enough to call it established, not to call it young.
    prior = snapshot.prior.uploaded_at if snapshot.prior else None
    bound = standing(prior, snapshot.prior_release_count, at)
    if bound.maturity is Maturity.YOUNG:
        return Standing(Maturity.UNKNOWN, None, snapshot.prior_release_count)
    return bound


def dependency_standing(facts: ProjectFacts | None, now: datetime) -> Standing:
    if facts is None:  # not looked up, or the lookup failed
        return Standing(Maturity.UNKNOWN)
    if facts.releases == 0:
        return Standing(Maturity.EMPTY, facts.first_upload, 0)
    return standing(facts.first_upload, facts.releases, now)


def temper(findings: Iterable[Finding], project: str, standing: Standing) -> list[Finding]:
    """On an established project, name findings become info and NAME_BASED ones at most low."""
    if standing.maturity is not Maturity.ESTABLISHED:
        return list(findings)
    return [_tempered(f, project, standing) for f in findings]


def _tempered(finding: Finding, project: str, standing: Standing) -> Finding:
    if finding.check_id.startswith("typosquat."):
        cap = Severity.INFO
    elif finding.check_id in NAME_BASED:
        cap = Severity.LOW
    else:
        return finding
    if finding.severity <= cap:
        return finding
    return dataclasses.replace(
        finding,
        severity=cap,
        summary=f"{finding.summary.removesuffix('.')}; {project} is established "
        f"({standing.releases} earlier releases since {standing.first_upload:%Y-%m-%d}).",
        evidence={**finding.evidence, "tempered": standing.as_evidence()},
    )
