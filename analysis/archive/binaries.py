"""check_bundled_binaries: native executables inside a distribution that should be pure Python."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from analysis.archive import findings as ids
from analysis.archive.findings import archive_finding
from analysis.archive.magic import native_magic
from analysis.artifact import ArchiveContents, ArchiveKind
from analysis.model import Finding, Severity
from analysis.names import fast_normalize

# Pure wheels of popular projects that ship native programs on purpose (seen on PyPI): their
# binaries are still reported, at info, so a changed launcher remains visible.
KNOWN_BINARIES: Mapping[str, tuple[str, ...]] = {
    "pip": ("pip/_vendor/distlib/*.exe",),
    "distlib": ("distlib/*.exe",),
    "setuptools": ("setuptools/*.exe",),
    "selenium": ("selenium/webdriver/common/*/selenium-manager*",),
    "pulp": ("pulp/solverdir/*",),
    "pyopengl": ("OpenGL/DLLS/*",),
}


def check_bundled_binaries(
    contents: ArchiveContents,
    project: str,
    known: Mapping[str, tuple[str, ...]] = KNOWN_BINARIES,
) -> tuple[Finding, ...]:
    """ELF, PE and Mach-O members (by magic, whatever their name) of a pure distribution: high in
    a wheel tagged for any platform, medium in an sdist or an egg without a platform. A
    platform wheel or egg carries compiled code by design and stays quiet."""
    severity = _severity(contents)
    if severity is None:
        return ()
    patterns = known.get(fast_normalize(project), ())
    found = []
    for member in contents.members:
        magic = native_magic(member.data)
        if magic is None:
            continue
        expected = any(fnmatch.fnmatchcase(member.path, p) for p in patterns)
        summary = f"{member.path} is a {magic} binary in a pure-Python {contents.kind.value}."
        evidence = {"magic": magic, "size": member.size, "known": expected}
        found.append(archive_finding(ids.BUNDLED_BINARY, contents.filename, member.path, summary,
                                     evidence, severity=Severity.INFO if expected else severity))  # fmt: skip
    return tuple(found)


def _severity(contents: ArchiveContents) -> Severity | None:
    """None for a distribution that may carry native code: a platform wheel or egg."""
    stem = contents.filename.rpartition(".")[0]
    if contents.kind == ArchiveKind.WHEEL:
        platforms = stem.rpartition("-")[2].split(".")
        return Severity.HIGH if platforms == ["any"] else None
    if contents.kind == ArchiveKind.EGG:
        # name-version-pyX.Y[-platform].egg
        return Severity.MEDIUM if stem.count("-") < 3 else None
    return Severity.MEDIUM if contents.kind == ArchiveKind.SDIST else None
