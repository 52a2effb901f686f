"""Domain types shared by the collector, which builds them, and the checks, which read them.

Everything here is a frozen dataclass of plain values: no dicts from PyPI get past the collector's
parsers. Times are timezone-aware datetimes; names are PEP 503 normalized unless a field says
`display`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    """Ordered: compare with < and >=. The text form is the lower-case name."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of {names}") from None


@dataclass(frozen=True, slots=True)
class DistFile:
    """One distribution file of a release (sdist, wheel, ...)."""

    filename: str
    url: str
    packagetype: str = ""
    python_version: str = ""
    size: int = 0
    sha256: str = ""
    blake2b_256: str = ""
    md5: str = ""
    uploaded_at: datetime | None = None
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    provenance_url: str | None = None  # PEP 740 attestations, from the Simple API


@dataclass(frozen=True, slots=True)
class Ownership:
    """Who controls a project (JSON API `ownership`)."""

    roles: tuple[tuple[str, str], ...] = ()  # (role, username), e.g. ("Owner", "alice")
    organization: str | None = None

    @property
    def users(self) -> frozenset[str]:
        return frozenset(user for _, user in self.roles)


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """How long another project has been on PyPI and how much it has released (its JSON page)."""

    first_upload: datetime | None  # its earliest file; None when no file has an upload time
    releases: int  # versions with at least one file


@dataclass(frozen=True, slots=True)
class Publisher:
    """A Trusted Publisher identity taken from a file's provenance."""

    kind: str  # GitHub, GitLab, Google, ActiveState
    repository: str | None = None
    workflow: str | None = None
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseMetadata:
    """Core metadata of one release as PyPI serves it (`/pypi/<name>/<version>/json` info)."""

    name: str  # display form
    version: str
    summary: str = ""
    description: str = ""
    description_content_type: str = ""
    author: str = ""
    author_email: str = ""
    maintainer: str = ""
    maintainer_email: str = ""
    license: str = ""
    license_expression: str = ""
    classifiers: tuple[str, ...] = ()
    keywords: str = ""
    home_page: str = ""
    download_url: str = ""
    project_urls: tuple[tuple[str, str], ...] = ()  # (label, url), in PyPI's order
    requires_dist: tuple[str, ...] = ()
    requires_python: str = ""
    yanked: bool = False
    yanked_reason: str = ""


@dataclass(frozen=True, slots=True)
class PriorRelease:
    """What we knew about the project's previous release, from our own store."""

    version: str
    uploaded_at: datetime | None
    ownership: Ownership | None = None
    publishers: tuple[Publisher, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseSnapshot:
    """Everything the checks see about one release. The collector builds it; checks only read it."""

    project: str  # normalized
    version: str
    metadata: ReleaseMetadata
    files: tuple[DistFile, ...] = ()
    ownership: Ownership | None = None
    project_status: str = "active"  # Simple API project-status
    publishers: tuple[Publisher, ...] = ()  # from this release's provenance
    serial: int | None = None
    uploaded_at: datetime | None = None  # first file's upload time
    # History: the project's previous release and how many came before this one, from PyPI's
    # own file list where the collector could read it, else from our store.
    prior: PriorRelease | None = None
    prior_release_count: int = 0
    project_first_seen: datetime | None = None  # the project's first upload on PyPI
    history_known: bool = True  # False: neither PyPI nor our store could say (not "first")


@dataclass(frozen=True, slots=True)
class Finding:
    """One check that fired on one release, with evidence a person can verify."""

    check_id: str  # dotted, e.g. typosquat.omitted-char
    severity: Severity
    score: int  # 0-100: how strongly this check alone points to abuse
    summary: str  # plain text, one sentence
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-serialisable
    target: str | None = None  # the imitated project, when there is one
    fingerprint: str = ""  # separates two hits of one check on one release


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict on one release: combined score and severity, and the findings behind it."""

    score: int
    severity: Severity
    findings: tuple[Finding, ...] = ()
    reasons: tuple[str, ...] = ()

    @classmethod
    def clean(cls) -> Assessment:
        return cls(score=0, severity=Severity.INFO)
