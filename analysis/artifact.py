"""Types for reading one distribution file: the archive's members, the limits on reading it, and
where a code finding points (file, member, lines), shared by the archive reader and the code checks.

Evidence keys every artifact finding uses (reports, alerts and the dashboard read them):
`filename` (the distribution file), `path` (member path inside the archive, as inspector shows it),
`line` and `end_line` (1-based, inclusive), `snippet` (the offending expression, at most 200
characters) and `inspector_url` (added by analysis.inspect once the file's URL is known).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from analysis.model import Finding


class ArchiveKind(StrEnum):
    SDIST = "sdist"  # .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip source distributions
    WHEEL = "wheel"  # .whl
    EGG = "egg"  # .egg
    UNKNOWN = "unknown"  # anything else (.exe, .msi, .rpm, ...): not read, a finding says so


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on reading one archive in memory. Hitting one stops reading (or skips the member)
    and becomes a finding; nothing is ever written to disk."""

    max_total: int = 256 * 1024 * 1024  # bytes unpacked (zip: read), all members together
    max_member: int = 16 * 1024 * 1024  # bytes unpacked of one member kept for analysis
    max_ratio: int = 100  # unpacked / packed size, whole archive and per zip member
    max_members: int = 50_000  # member entries read before stopping
    max_depth: int = 40  # path components of one member
    head_bytes: int = 4096  # bytes kept of a member that is not text we analyse (magic numbers)
    # Unpacked bytes before the ratio applies: real wheels carry megabytes of zeros that expand
    # a thousand-fold (onnx test data), harmless at that size.
    ratio_floor: int = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Member:
    """One regular file inside an archive. Links, devices and refused paths are findings, never
    members."""

    path: str  # as inside the archive, '/'-separated (sdists keep their top-level directory)
    size: int  # unpacked size as read
    data: bytes  # all of it for text we analyse (.py, .pth, metadata, ...), else the first bytes
    complete: bool = True  # False when `data` is only the head of the member


@dataclass(frozen=True, slots=True)
class ArchiveContents:
    """What reading one archive produced: the members, the findings about the archive itself
    (archive.*), and whether reading finished."""

    filename: str
    kind: ArchiveKind
    members: tuple[Member, ...] = ()
    findings: tuple[Finding, ...] = ()
    complete: bool = True  # False when a limit or a malformed header stopped reading early
    error: str | None = None  # why reading stopped early: the error record the collector stores

    @property
    def unpacked(self) -> int:
        return sum(m.size for m in self.members)


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """Which distribution file the archive is: for evidence and inspector links."""

    project: str  # normalized
    version: str
    filename: str
    url: str = ""  # files.pythonhosted.org URL from the JSON API; '' when scanning a local file
