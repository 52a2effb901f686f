"""read_archive: one distribution file's bytes in, its members and archive findings out."""

from __future__ import annotations

from collections.abc import Callable

from analysis.archive import findings as ids
from analysis.archive.findings import archive_finding
from analysis.archive.state import Reading, StopReading, describe
from analysis.archive.tar import read_tar
from analysis.archive.zip import read_zip
from analysis.artifact import ArchiveContents, ArchiveKind, ArchiveLimits
from analysis.model import Finding

# Suffix, kind and container; PyPI has accepted each of these as a distribution file.
_FORMATS = (
    (".tar.gz", ArchiveKind.SDIST, "gz"),
    (".tgz", ArchiveKind.SDIST, "gz"),
    (".tar.bz2", ArchiveKind.SDIST, "bz2"),
    (".tar.xz", ArchiveKind.SDIST, "xz"),
    (".tar", ArchiveKind.SDIST, "tar"),
    (".zip", ArchiveKind.SDIST, "zip"),
    (".whl", ArchiveKind.WHEEL, "zip"),
    (".egg", ArchiveKind.EGG, "zip"),
)
# A zip must start with a local header (or be empty): a prefix, as in a self-extracting .exe,
# is content the extension does not announce.
_MAGIC = {
    "gz": (b"\x1f\x8b",),
    "bz2": (b"BZh",),
    "xz": (b"\xfd7zXZ\x00",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
}
_TEXT_SUFFIXES = frozenset(
    [
        ".py",
        ".pyi",
        ".pyw",
        ".pyx",
        ".pxd",
        ".pxi",
        ".pth",
        ".toml",
        ".cfg",
        ".ini",
        ".txt",
        ".json",
        ".in",
        ".sh",
        ".bash",
        ".ps1",
        ".psm1",
        ".bat",
        ".cmd",
        ".vbs",
        ".js",
        ".mjs",
        ".yaml",
        ".yml",
    ]
)
_TEXT_NAMES = frozenset(["PKG-INFO", "METADATA", "RECORD", "WHEEL", "Makefile"])


def is_text_path(path: str) -> bool:
    """The default choice of members read whole: code, install hooks, configuration and metadata.
    Everything else keeps its head only, for magic numbers."""
    base = path.rpartition("/")[2]
    if base in _TEXT_NAMES or ".data/scripts/" in path:  # wheel scripts land in bin/
        return True
    suffix = base[base.rfind(".") :].lower() if "." in base else ""
    return suffix in _TEXT_SUFFIXES


def is_distribution_name(filename: str) -> bool:
    """A name the reader opens (.whl, .tar.gz, .zip, .egg, ...): what `scan DIRECTORY` picks."""
    return _format(filename) is not None


def read_archive(
    filename: str,
    data: bytes,
    limits: ArchiveLimits = ArchiveLimits(),  # noqa: B008 - frozen, safe to share
    *,
    is_text: Callable[[str], bool] | None = None,
) -> ArchiveContents:
    """Read a distribution file in memory; never raises, never writes, never follows a link.

    The kind comes from the extension; content that is another container (a wheel named
    .tar.gz) is read as what it is, with a finding; content that is no container at all is one
    finding and no members. Links, devices, absolute and climbing paths and paths deeper than max_depth are
    findings, never members; reading goes on. Names that are not UTF-8 or hold control
    characters, and later copies of a duplicate path, are findings *and* members: an installer
    would write them, so the code checks must see them. Limits: more than max_members entries,
    more than max_total unpacked bytes, or a ratio over max_ratio (whole archive, or one zip
    member, past ratio_floor bytes) stop reading: complete=False, `error` says why, members read
    so far are kept. A text member over max_member keeps only its head (complete=False on the
    member) and reading goes on. A malformed archive is `archive.unreadable` and stops reading;
    a broken zip member is skipped and the others are read.
    """
    fmt = _format(filename)
    if fmt is None:
        summary = f"{filename} is not a format the reader opens; not read."
        return _unread(filename, ArchiveKind.UNKNOWN, ids.UNKNOWN_FORMAT, summary, {})
    kind, container = fmt
    mismatch = None
    if not _starts_like(data, container):
        actual = next((c for c in _SNIFFED if _starts_like(data, c)), None)
        if actual is None:
            summary = f"{filename} does not start like a {container} file; not read."
            return _unread(filename, kind, ids.NOT_AN_ARCHIVE, summary, {"magic": data[:8].hex()})
        mismatch = _mismatch(filename, container, actual)
        kind, container = _kind_of_content(data, kind, actual), actual
    reading = Reading(filename, kind, len(data), limits, is_text or is_text_path)
    if mismatch is not None:
        reading.findings.append(mismatch)
    try:
        if container == "zip":
            read_zip(reading, data)
        else:
            read_tar(reading, data, container)
    except StopReading:
        pass
    except Exception as exc:  # noqa: BLE001 - hostile bytes: whatever a decoder raises, the file is malformed
        reading.fail(ids.UNREADABLE, "", f"{filename} is malformed: {describe(exc)}")
    return reading.contents()


# Containers tried, in order, when the bytes are not what the extension says: uploads do carry
# a wheel named .tar.gz, and installers that sniff content would install it.
_SNIFFED = ("zip", "gz", "bz2", "xz", "tar")


def _starts_like(data: bytes, container: str) -> bool:
    if container == "tar":
        return data[257:262] == b"ustar"
    return data.startswith(_MAGIC[container])


def _mismatch(filename: str, named: str, actual: str) -> Finding:
    summary = f"{filename} is named like a {named} file but is a {actual} file; read as what it is."
    evidence = {"named": named, "actual": actual}
    return archive_finding(ids.WRONG_EXTENSION, filename, "", summary, evidence)


def _kind_of_content(data: bytes, named: ArchiveKind, container: str) -> ArchiveKind:
    """A zip with a .dist-info directory is laid out as a wheel, whatever its name says (what
    runs on import is decided by the layout)."""
    if container == "zip" and b".dist-info/" in data:
        return ArchiveKind.WHEEL
    if container != "zip" and named is not ArchiveKind.SDIST:
        return ArchiveKind.SDIST
    return named


def _format(filename: str) -> tuple[ArchiveKind, str] | None:
    lower = filename.lower()
    return next(((k, c) for suffix, k, c in _FORMATS if lower.endswith(suffix)), None)


def _unread(
    filename: str, kind: ArchiveKind, check_id: str, summary: str, evidence: dict[str, object]
) -> ArchiveContents:
    finding = archive_finding(check_id, filename, "", summary, evidence)
    return ArchiveContents(filename, kind, findings=(finding,), complete=False, error=summary)
