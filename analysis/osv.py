"""OSV advisories for PyPI: parse a record (the OSV schema), decide which versions it affects.

A record names packages per ecosystem; for each PyPI package, `ranges` of events (introduced,
fixed, last_affected, limit) ordered by PEP 440, and an explicit `versions` list. A version is
affected when it is listed, or when the last event at or below it in a range is an
`introduced` (`fixed` and `limit` are exclusive upper bounds, `last_affected` inclusive).
Withdrawn records affect nothing. A version that is not PEP 440 can only match the list; an
event whose version is not PEP 440 is left out of its range. GIT ranges (commit hashes) are
dropped: PyPI releases are matched by version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from analysis.errors import OsvError
from analysis.metadata import parse_version
from analysis.model import Severity

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
VERSION_RANGES = frozenset({"ECOSYSTEM", "SEMVER"})  # ordered by version; GIT is by commit
SUMMARY_LENGTH = 200
# How a known record weighs against a threshold: a known vulnerability as high (it fails the
# default, as pip-audit fails on any), known malware as the worst verdict there is.
KNOWN_VULNERABLE = Severity.HIGH
KNOWN_MALICIOUS = Severity.CRITICAL
_ZERO = Version("0.dev0")  # `introduced: "0"`: the smallest PEP 440 version, below 0a1 too
_FRACTION = re.compile(r"(\.\d{6})\d+")  # OSV writes nanoseconds; datetime keeps microseconds


@dataclass(frozen=True, slots=True)
class Range:
    """One ECOSYSTEM range: its events in the order given, and parsed, sorted by version."""

    events: tuple[tuple[str, str], ...]
    ordered: tuple[tuple[Version, str, str], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, events: tuple[tuple[str, str], ...]) -> Range:
        parsed = [(_event_version(kind, raw), kind, raw) for kind, raw in events]
        known = [(v, kind, raw) for v, kind, raw in parsed if v is not None]
        # `fixed: X` and `introduced: X` together (real records chain ranges so) leave the state
        # as it was: a span open before X goes on through X, and none opens there otherwise.
        restarts = {v for v, kind, _ in known if kind == "introduced"} & {
            v for v, kind, _ in known if kind in ("fixed", "limit")
        }
        kept = [e for e in known if not (e[0] in restarts and e[1] != "last_affected")]
        ordered = sorted(kept, key=lambda e: (e[0], EVENT_KINDS.index(e[1])))
        return cls(events, tuple(ordered))

    def contains(self, version: Version) -> bool:
        """Walk the events in version order; the state at `version` is the answer."""
        affected = False
        for bound, kind, _ in self.ordered:
            if bound > version or (bound == version and kind == "last_affected"):
                break  # last_affected is inclusive: its own version keeps the state before it
            affected = kind == "introduced"
        return affected

    def fix_above(self, version: Version) -> str | None:
        """The first `fixed` version above `version`."""
        return next((raw for v, kind, raw in self.ordered if kind == "fixed" and v > version), None)


@dataclass(frozen=True, slots=True)
class Affected:
    """One PyPI package an advisory names, with the versions it affects."""

    project: str  # PEP 503 normalized
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]  # the explicit list, as given
    parsed_versions: frozenset[Version] = field(default=frozenset(), compare=False, repr=False)

    def contains(self, raw: str, version: Version | None) -> bool:
        if raw in self.versions or (version is not None and version in self.parsed_versions):
            return True
        return version is not None and any(r.contains(version) for r in self.ranges)


@dataclass(frozen=True, slots=True)
class Advisory:
    """An OSV record about PyPI packages: a known vulnerability, or known malware (MAL-)."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    details: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    affected: tuple[Affected, ...]
    references: tuple[str, ...]
    severity: tuple[str, ...]

    @property
    def malicious(self) -> bool:
        return self.id.startswith("MAL-")

    @property
    def projects(self) -> frozenset[str]:
        return frozenset(a.project for a in self.affected)


def affects(advisory: Advisory, project: str, version: str) -> bool:
    """Whether `project` at `version` is affected (never, once the record is withdrawn)."""
    return _matching(advisory, project, version) is not None


def fixed_in(advisory: Advisory, project: str, version: str) -> str | None:
    """The first fixed version above `version` in the range that affects it, if any."""
    found = _matching(advisory, project, version)
    if found is None or found[1] is None:
        return None
    parsed = found[1]
    fixes = (r.fix_above(parsed) for r in found[0].ranges if r.contains(parsed))
    return next((fix for fix in fixes if fix is not None), None)


def _matching(
    advisory: Advisory, project: str, version: str
) -> tuple[Affected, Version | None] | None:
    if advisory.withdrawn is not None:
        return None
    name, parsed = canonicalize_name(project), parse_version(version)
    for entry in advisory.affected:
        if entry.project == name and entry.contains(version, parsed):
            return entry, parsed
    return None


def _event_version(kind: str, raw: str) -> Version | None:
    return _ZERO if kind == "introduced" and raw == "0" else parse_version(raw)


# -- parsing -----------------------------------------------------------------------------------


def parse_advisory(document: Mapping[str, Any]) -> Advisory:
    """An OSV record as an Advisory; OsvError names what is wrong with a malformed one."""
    advisory_id = _text(document, "id", required=True)
    details = _text(document, "details")
    return Advisory(
        id=advisory_id,
        aliases=_texts(document, "aliases"),
        summary=_summary(_text(document, "summary"), details),
        details=details,
        modified=_time(document, "modified", advisory_id) or _missing("modified", advisory_id),
        published=_time(document, "published", advisory_id),
        withdrawn=_time(document, "withdrawn", advisory_id),
        affected=_affected(_list(document, "affected", advisory_id), advisory_id),
        references=tuple(_url(r) for r in _list(document, "references", advisory_id) if _url(r)),
        severity=tuple(_score(s) for s in _list(document, "severity", advisory_id) if _score(s)),
    )


def _summary(summary: str, details: str) -> str:
    text = summary.strip() or next((ln.strip() for ln in details.splitlines() if ln.strip()), "")
    return text[:SUMMARY_LENGTH]


def _affected(entries: Sequence[Any], advisory_id: str) -> tuple[Affected, ...]:
    found = []
    for entry in entries:
        package = entry.get("package") if isinstance(entry, Mapping) else None
        if not isinstance(package, Mapping):
            raise OsvError(f"{advisory_id}: an `affected` entry has no package")
        if package.get("ecosystem") != "PyPI" or not isinstance(package.get("name"), str):
            continue  # another ecosystem (or a PyPI:variant) is not ours to match
        versions = _texts(entry, "versions")
        found.append(
            Affected(
                project=canonicalize_name(package["name"]),
                ranges=_ranges(_list(entry, "ranges", advisory_id), advisory_id),
                versions=versions,
                parsed_versions=frozenset(v for v in map(parse_version, versions) if v is not None),
            )
        )
    return tuple(found)


def _ranges(entries: Sequence[Any], advisory_id: str) -> tuple[Range, ...]:
    ranges = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("events"), list):
            raise OsvError(f"{advisory_id}: a range has no list of events")
        if entry.get("type") in VERSION_RANGES:
            ranges.append(Range.of(tuple(_events(entry["events"], advisory_id))))
    return tuple(ranges)


def _events(events: Sequence[Any], advisory_id: str) -> list[tuple[str, str]]:
    pairs = []
    for event in events:
        if not isinstance(event, Mapping) or len(event) != 1:
            raise OsvError(f"{advisory_id}: a range event is not one kind and one version")
        ((kind, raw),) = event.items()
        if kind not in EVENT_KINDS or not isinstance(raw, str):
            raise OsvError(f"{advisory_id}: unknown range event {kind!r}")
        pairs.append((kind, raw))
    return pairs


def _text(document: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = document.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise OsvError(f"OSV record without a valid `{key}`: {str(document)[:80]}")
    return value


def _texts(document: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = document.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OsvError(f"`{key}` is not a list of strings")
    return tuple(value)


def _list(document: Mapping[str, Any], key: str, advisory_id: str) -> Sequence[Any]:
    value = document.get(key) or []
    if not isinstance(value, list):
        raise OsvError(f"{advisory_id}: `{key}` is not a list")
    return value


def _time(document: Mapping[str, Any], key: str, advisory_id: str) -> datetime | None:
    raw = document.get(key)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", str(raw).replace("Z", "+00:00")))
    except ValueError as exc:
        raise OsvError(f"{advisory_id}: `{key}` is not a timestamp: {raw!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _missing(key: str, advisory_id: str) -> datetime:
    raise OsvError(f"{advisory_id}: no `{key}` timestamp")


def _url(reference: Any) -> str:
    url = reference.get("url") if isinstance(reference, Mapping) else None
    return url if isinstance(url, str) else ""


def _score(severity: Any) -> str:
    score = severity.get("score") if isinstance(severity, Mapping) else None
    return score if isinstance(score, str) else ""


@dataclass(frozen=True, slots=True)
class Exposure:
    """What the advisories say about one dependency."""

    vulnerabilities: tuple[tuple[Advisory, str | None], ...]  # with the first fixed version
    malicious: tuple[Advisory, ...]
    unchecked: int = 0  # vulnerability records naming an unpinned dependency, left unmatched


def exposure(advisories: Sequence[Advisory], project: str, version: str | None) -> Exposure:
    """Match `project` at `version` against `advisories`. Unpinned (None), a known-malicious
    record naming the project counts whatever the version (any of them may be installed), and
    vulnerability records are only counted: which applies depends on the version."""
    name = canonicalize_name(project)
    naming = [a for a in advisories if a.withdrawn is None and name in a.projects]
    if version is None:
        malicious = tuple(a for a in naming if a.malicious)
        return Exposure((), malicious, unchecked=len(naming) - len(malicious))
    hits = [a for a in naming if affects(a, name, version)]
    return Exposure(
        vulnerabilities=tuple((a, fixed_in(a, name, version)) for a in hits if not a.malicious),
        malicious=tuple(a for a in hits if a.malicious),
    )
