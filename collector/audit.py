"""The audit core: what we know about a list of dependencies, shared by `audit` and the dashboard.

`look_up` reads the store (our findings on the audited projects, the OSV records naming them, the
licences of the pinned releases we stored and, when asked, the stored releases an unpinned
requirement resolves to); `judge` puts that beside each name verdict and the policy. Both front ends render the same `Audit`, so the CLI and the dashboard's Audit page give
one answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from analysis import AnalysisContext, assess_name
from analysis.licences import Licence, normalize_licence
from analysis.model import Assessment, Severity
from analysis.osv import KNOWN_MALICIOUS, KNOWN_VULNERABLE, Advisory, Exposure, exposure
from analysis.policy import Facts, Policy, violations
from analysis.requirements import Dependency, pinned_version
from analysis.resolve import choose_version
from collector.progress import Progress
from collector.store import PgConnection
from collector.store.findings import StoredFinding, fetch_stored_findings
from collector.store.osv import fetch_advisories
from collector.store.releases import fetch_licence_fields, fetch_offered_versions

RESOLVED_FROM_STORE = "store"  # where a resolved version came from (JSON `resolved_from`)


@dataclass(frozen=True, slots=True)
class Known:
    """What the store knows about one dependency beyond its name: findings, OSV records, and its
    licence (from the installed metadata, or the stored release of the pinned version)."""

    version: str | None  # the one version the requirement pins, or the one it resolved to
    findings: Sequence[StoredFinding]
    exposure: Exposure
    licence: Licence | None = None
    resolved_from: str | None = None  # set when `version` was resolved, not pinned

    @property
    def pinned(self) -> bool:
        return self.version is not None and self.resolved_from is None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the store holds on the audited projects."""

    stored: Mapping[str, Sequence[StoredFinding]] = field(default_factory=dict)
    advisories: Mapping[str, Sequence[Advisory]] = field(default_factory=dict)
    licences: Mapping[tuple[str, str], Licence] = field(default_factory=dict)
    # (name, spec) of an unpinned requirement -> the stored version it resolves to
    resolved: Mapping[tuple[str, str], str] = field(default_factory=dict)
    resolving: bool = False  # whether unpinned requirements were resolved at all


@dataclass(frozen=True, slots=True)
class Audit:
    """Every dependency with its name verdict, what the store knows, and why it breaks the policy.
    `checked` says whether the store was read at all (names only otherwise)."""

    dependencies: Sequence[Dependency]
    verdicts: Sequence[Assessment]
    known: Sequence[Known]
    broken: Sequence[Sequence[str]]
    checked: bool
    resolving: bool = False  # --resolve: unpinned requirements were resolved against the store

    @property
    def worst(self) -> list[Severity]:
        return [worst(v, k) for v, k in zip(self.verdicts, self.known, strict=True)]

    def fails(self, fail_on: Severity, policy: Policy | None) -> bool:
        """With a policy, the policy decides; without one, the worst severity against --fail-on."""
        if policy is not None:
            return any(self.broken)
        return any(w >= fail_on for w in self.worst)


def named_worst(verdict: Assessment, known: Known) -> Severity:
    """Our own view: the name verdict and the stored findings."""
    return max([verdict.severity, *(f.severity for f in known.findings)])


def worst(verdict: Assessment, known: Known) -> Severity:
    severities = [named_worst(verdict, known)]
    if known.exposure.vulnerabilities:
        severities.append(KNOWN_VULNERABLE)
    if known.exposure.malicious:
        severities.append(KNOWN_MALICIOUS)
    return max(severities)


def version_of(dependency: Dependency, resolved: Mapping[tuple[str, str], str]) -> str | None:
    """The version a dependency is checked at: the one it pins, else the one it resolved to."""
    return pinned_version(dependency.spec) or resolved.get((dependency.name, dependency.spec))


async def fetch_licences(
    conn: PgConnection,
    dependencies: Sequence[Dependency],
    resolved: Mapping[tuple[str, str], str],
) -> dict[tuple[str, str], Licence]:
    """Licences of the pinned (or resolved) versions the store holds (their JSON pages)."""
    versions = sorted({(d.name, v) for d in dependencies if (v := version_of(d, resolved))})
    fields = await fetch_licence_fields(conn, versions)
    return {key: normalize_licence(*value) for key, value in fields.items()}


async def resolve_unpinned(
    conn: PgConnection, dependencies: Sequence[Dependency]
) -> dict[tuple[str, str], str]:
    """Each unpinned requirement's newest stored version that satisfies it, as pip would pick."""
    unpinned = [d for d in dependencies if pinned_version(d.spec) is None and d.url is None]
    offered = await fetch_offered_versions(conn, sorted({d.name for d in unpinned}))
    resolved = {}
    for d in unpinned:
        version = choose_version(d.spec, offered.get(d.name, []))
        if version is not None:
            resolved[(d.name, d.spec)] = version
    return resolved


async def look_up(
    conn: PgConnection, dependencies: Sequence[Dependency], *, resolve: bool = False
) -> Lookup:
    names = sorted({d.name for d in dependencies})
    resolved = await resolve_unpinned(conn, dependencies) if resolve else {}
    return Lookup(
        stored=await fetch_stored_findings(conn, names),
        advisories=by_project(await fetch_advisories(conn, names)),
        licences=await fetch_licences(conn, dependencies, resolved),
        resolved=resolved,
        resolving=resolve,
    )


def by_project(advisories: Sequence[Advisory]) -> dict[str, list[Advisory]]:
    grouped: dict[str, list[Advisory]] = {}
    for advisory in advisories:
        for project in advisory.projects:
            grouped.setdefault(project, []).append(advisory)
    return grouped


def known_about(dependencies: Sequence[Dependency], lookup: Lookup) -> list[Known]:
    known = []
    for d in dependencies:
        version = version_of(d, lookup.resolved)
        origin = RESOLVED_FROM_STORE if (d.name, d.spec) in lookup.resolved else None
        licence = d.licence or lookup.licences.get((d.name, version or ""))
        found = exposure(lookup.advisories.get(d.name, []), d.name, version)
        known.append(Known(version, lookup.stored.get(d.name, []), found, licence, origin))
    return known


def policy_facts(dependency: Dependency, verdict: Assessment, known: Known) -> Facts:
    return Facts(
        name=dependency.name,
        severity=named_worst(verdict, known),
        vulnerabilities=[(a.id, a.aliases) for a, _ in known.exposure.vulnerabilities],
        known_malicious=[a.id for a in known.exposure.malicious],
        licence=known.licence,
    )


def assess_all(
    dependencies: Sequence[Dependency], context: AnalysisContext, *, progress: bool = True
) -> list[Assessment]:
    """Name verdicts, with a counter on a terminal: a big lock file takes a while."""
    counter = Progress("checking", len(dependencies)) if progress else None
    verdicts = []
    for dependency in dependencies:
        verdicts.append(assess_name(dependency.name, context))
        if counter is not None:
            counter.advance(dependency.name)
    if counter is not None:
        counter.done()
    return verdicts


def judge(
    dependencies: Sequence[Dependency],
    context: AnalysisContext,
    lookup: Lookup | None,
    policy: Policy | None,
    today: date,
    *,
    progress: bool = True,
) -> Audit:
    verdicts = assess_all(dependencies, context, progress=progress)
    known = known_about(dependencies, lookup or Lookup())
    broken = [
        violations(policy, policy_facts(d, v, k), today) if policy is not None else []
        for d, v, k in zip(dependencies, verdicts, known, strict=True)
    ]
    checked, resolving = lookup is not None, lookup is not None and lookup.resolving
    return Audit(dependencies, verdicts, known, broken, checked=checked, resolving=resolving)
