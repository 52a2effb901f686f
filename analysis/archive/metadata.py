"""check_archive_metadata: the metadata file inside a distribution against PyPI's JSON."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from importlib import resources

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from analysis.archive import findings as ids
from analysis.archive.findings import archive_finding
from analysis.artifact import ArchiveContents, ArchiveKind, Member
from analysis.corpus import parse_corpus
from analysis.model import Finding, ReleaseMetadata, Severity
from analysis.names import normalize

_METADATA_FILE = {
    ArchiveKind.WHEEL: re.compile(r"[^/]+\.dist-info/METADATA"),
    ArchiveKind.SDIST: re.compile(r"[^/]+/PKG-INFO"),
    ArchiveKind.EGG: re.compile(r"EGG-INFO/PKG-INFO"),
}
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"\bextra\s*==")
_OR = re.compile(r"\bor\b")
STATIC_DEPENDENCIES = Version("2.2")  # PEP 643: from here PKG-INFO says what is dynamic


def check_archive_metadata(
    contents: ArchiveContents, metadata: ReleaseMetadata, project: str, version: str
) -> tuple[Finding, ...]:
    """Name, version and dependencies of the archive's PKG-INFO or METADATA against the JSON
    metadata (and a wheel's .dist-info name against project and version).

    A name or version that differs is low: a packaging slip (0.1dev built as 0.1, a file of the
    next version, a template's placeholder name) hides nothing. Dependencies: one the archive
    declares and the JSON does not is medium, since installers read the archive and scanners the
    JSON (low when the JSON lists none at all, as when the first upload was an sdist without
    Requires-Dist, or when only an extra installs it); one only the JSON lists is info. An
    sdist's or egg's PKG-INFO is compared only from Metadata-Version 2.2 on and when
    Requires-Dist is not Dynamic: before that, sdists compute dependencies at build time and
    PKG-INFO legitimately omits them. A wheel without METADATA is a finding unless reading
    stopped before the end.
    """
    member = _metadata_member(contents)
    if member is None:
        if contents.kind == ArchiveKind.WHEEL and contents.complete:
            summary = f"{contents.filename} has no .dist-info/METADATA."
            return (archive_finding(ids.MISSING_METADATA, contents.filename, "", summary),)
        return ()
    if not member.complete:  # over the member limit: a head is no basis for a comparison
        return ()
    headers = HeaderParser(policy=compat32).parsestr(member.data.decode("utf-8", "replace"))
    report = _Report(contents.filename, member.path)
    report.compare("name", headers.get("Name", ""), metadata.name, _same_name)
    report.compare("version", headers.get("Version", ""), metadata.version, _same_version)
    if contents.kind == ArchiveKind.WHEEL:
        directory = member.path.partition(".dist-info/")[0]
        name, _, dist_version = directory.rpartition("-")
        report.compare("dist-info name", name, project, _same_name)
        report.compare("dist-info version", dist_version, version, _same_version)
    if contents.kind == ArchiveKind.WHEEL or _static_dependencies(headers):
        report.dependencies(headers.get_all("Requires-Dist", []), metadata.requires_dist)
    return tuple(report.findings)


def _metadata_member(contents: ArchiveContents) -> Member | None:
    pattern = _METADATA_FILE.get(contents.kind)
    return next(
        (m for m in contents.members if pattern and pattern.fullmatch(m.path)),
        None,
    )


def _static_dependencies(headers: Message) -> bool:
    dynamic = {str(field).strip().lower() for field in headers.get_all("Dynamic", [])}
    return _version(headers.get("Metadata-Version", "")) >= STATIC_DEPENDENCIES and (
        "requires-dist" not in dynamic
    )


def _version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")


def _same_name(archive: str, json: str) -> bool:
    # setuptools writes the name as given ("My tool - extras"); PyPI stores it with every run
    # of other characters made one hyphen, as setuptools' safe_name does
    return normalize(SAFE_NAME.sub("-", archive).strip("-")) == normalize(json)


SAFE_NAME = re.compile(r"[^A-Za-z0-9.]+")


def _same_version(archive: str, json: str) -> bool:
    try:
        return Version(archive) == Version(json)
    except InvalidVersion:
        return archive.strip() == json.strip()


def _requirement_names(requirements: Iterable[str]) -> set[str]:
    return set(_declared(requirements))


def _declared(requirements: Iterable[str]) -> dict[str, bool]:
    """Normalized name -> whether every line declaring it is extra-only."""
    declared: dict[str, bool] = {}
    for text in map(str, requirements):
        if match := _REQUIREMENT_NAME.match(text):
            name = normalize(match.group(1))
            declared[name] = declared.get(name, True) and _extra_only(text)
    return declared


def _harmless(name: str, extra_only: bool, stale: bool, archive: list[str]) -> str:
    """Why a dependency the JSON does not list hides nothing, or '' when nothing says so."""
    if extra_only:
        return "only an extra installs it"
    if name in _well_known():
        return "a popular project"
    if stale:
        return "the JSON gives other versions of the dependencies both list: other metadata"
    if all(_backport(r) for r in archive if _name_of(r) == name):
        return "only older Pythons install it: a backport"
    return ""


@functools.cache
def _well_known() -> frozenset[str]:
    """The popular projects shipped with the analysis: depending on one installs nothing new."""
    data = resources.files("analysis").joinpath("data/top-pypi-packages.min.json").read_bytes()
    return frozenset(project.name for project in parse_corpus(data).projects)


def _name_of(requirement: str) -> str:
    match = _REQUIREMENT_NAME.match(requirement)
    return normalize(match.group(1)) if match else ""


def _drifted(archive: Iterable[str], json: Iterable[str]) -> bool:
    """Whether a dependency both list has other version bounds in each: the JSON was made from
    other metadata (PyPI keeps the first file's), so what one lacks hides nothing."""
    ours, theirs = _specifiers(archive), _specifiers(json)
    return any(ours[n] != theirs[n] for n in ours.keys() & theirs.keys())


def _specifiers(requirements: Iterable[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for text in map(str, requirements):
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if not _extra_only(text):
            found.setdefault(normalize(requirement.name), set()).add(str(requirement.specifier))
    return {n: frozenset(s) for n, s in found.items()}


_OLDER_PYTHON = re.compile(r"^\s*python_(?:full_)?version\s*<=?\s*['\"][\d.]+['\"]\s*$")


def _backport(requirement: str) -> bool:
    # `; python_version < "3.15"`: what a newer Python ships in its standard library
    return bool(_OLDER_PYTHON.match(requirement.partition(";")[2]))


def _extra_only(requirement: str) -> bool:
    # `; extra == "x"` with no `or`: installed only when someone asks for that extra
    marker = requirement.partition(";")[2]
    return bool(_EXTRA.search(marker)) and not _OR.search(marker)


class _Report:
    """Findings about one metadata member, one per disagreeing field or dependency."""

    def __init__(self, filename: str, path: str) -> None:
        self.filename, self.path = filename, path
        self.findings: list[Finding] = []

    def compare(
        self, field: str, archive: str, json: str, same: Callable[[str, str], bool]
    ) -> None:
        archive = str(archive).strip()
        if same(archive, json):
            return
        summary = f"{self.path} gives {field} {archive!r}, PyPI's JSON {json!r}."
        evidence = {"field": field, "archive": archive, "json": json}
        self._add(summary, evidence, Severity.LOW, field)

    def dependencies(self, archive: list[str], json: tuple[str, ...]) -> None:
        ours, theirs = _declared(archive), _requirement_names(json)
        stale = _drifted(archive, json)
        for name in sorted(ours.keys() - theirs):
            extra_only = ours[name]
            why = _harmless(name, extra_only, stale, archive) if theirs else "the JSON lists none"
            summary = f"{self.path} depends on {name}, which PyPI's JSON does not list" + (
                f" ({why})." if why else "."
            )
            evidence = {
                "field": "Requires-Dist",
                "archive": name,
                "json": None,
                "extra_only": extra_only,
                "why_low": why,
            }
            self._add(summary, evidence, Severity.LOW if why else Severity.MEDIUM, name)
        for name in sorted(theirs - ours.keys()):
            summary = f"PyPI's JSON lists dependency {name}, which {self.path} does not."
            evidence = {"field": "Requires-Dist", "archive": None, "json": name}
            self._add(summary, evidence, Severity.INFO, name)

    def _add(
        self, summary: str, evidence: Mapping[str, object], severity: Severity, key: str
    ) -> None:
        self.findings.append(
            archive_finding(
                ids.METADATA_MISMATCH,
                self.filename,
                self.path,
                summary,
                evidence,
                severity=severity,
                key=key,
            )
        )
