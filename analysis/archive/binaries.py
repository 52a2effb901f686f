"""check_bundled_binaries: native executables inside a distribution that should be pure Python."""

from __future__ import annotations

from analysis.archive import findings as ids
from analysis.archive.findings import archive_finding
from analysis.archive.magic import native_magic
from analysis.artifact import ArchiveContents, ArchiveKind
from analysis.model import Finding, Severity


def check_bundled_binaries(contents: ArchiveContents) -> tuple[Finding, ...]:
    """ELF, PE and Mach-O members (by magic, whatever their name) of a pure distribution: a
    wheel tagged for any platform, an sdist, or an egg without a platform. A platform wheel or egg
    carries compiled code by design and stays quiet.

    Low on its own: popular pure packages ship programs on purpose (Windows launcher stubs, a
    browser driver manager, a solver). analysis.inspect raises it when code in the same archive
    runs a process at install, start-up or import time: a payload that executes its binary."""
    if not _pure(contents):
        return ()
    found = []
    for member in contents.members:
        magic = native_magic(member.data)
        if magic is None:
            continue
        summary = f"{member.path} is a {magic} binary in a pure-Python {contents.kind.value}."
        evidence = {"magic": magic, "size": member.size}
        found.append(
            archive_finding(
                ids.BUNDLED_BINARY,
                contents.filename,
                member.path,
                summary,
                evidence,
                severity=Severity.LOW,
            )
        )
    return tuple(found)


def _pure(contents: ArchiveContents) -> bool:
    """False for a distribution that may carry native code: a platform wheel or egg."""
    stem = contents.filename.rpartition(".")[0]
    if contents.kind == ArchiveKind.WHEEL:
        return stem.rpartition("-")[2].split(".") == ["any"]
    if contents.kind == ArchiveKind.EGG:
        return stem.count("-") < 3  # name-version-pyX.Y[-platform].egg
    return contents.kind == ArchiveKind.SDIST
