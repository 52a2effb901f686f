"""Checks over archive contents: bundled native binaries and metadata against PyPI's JSON."""

from __future__ import annotations

import pytest

from analysis.archive import check_archive_metadata, check_bundled_binaries
from analysis.archive.magic import native_magic
from analysis.artifact import ArchiveContents, ArchiveKind, Member
from analysis.model import ReleaseMetadata, Severity

ELF = b"\x7fELF\x02\x01\x01\x00"
PE = b"MZ" + bytes(58) + (64).to_bytes(4, "little") + b"PE\0\0"
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"
FAT = b"\xca\xfe\xba\xbe\x00\x00\x00\x02"
JAVA = b"\xca\xfe\xba\xbe\x00\x00\x00\x34"  # class file, version 52: shares the fat magic


def contents(filename: str, kind: ArchiveKind, *members: tuple[str, bytes]) -> ArchiveContents:
    return ArchiveContents(filename, kind, tuple(Member(p, len(d), d) for p, d in members))


@pytest.mark.parametrize(
    ("head", "magic"),
    [
        (ELF, "ELF"),
        (PE, "PE"),
        (MACHO, "Mach-O"),
        (FAT, "Mach-O universal"),
        (JAVA, None),
        (b"MZ is how this text starts", None),
        (b"import os\n", None),
        (b"", None),
    ],
)
def test_native_magic(head: bytes, magic: str | None) -> None:
    assert native_magic(head) == magic


PURE = "pkg-1.0-py3-none-any.whl"
# (filename, kind, members, severities, reason)
BINARY_CASES = [
    (
        PURE,
        ArchiveKind.WHEEL,
        [("pkg/x.so", ELF)],
        [Severity.LOW],
        "an ELF in a py3-none-any wheel: a capability, raised only with code that runs it",
    ),
    (
        PURE,
        ArchiveKind.WHEEL,
        [("pkg/readme.txt", PE)],
        [Severity.LOW],
        "a PE found by magic, whatever the extension",
    ),
    (
        PURE,
        ArchiveKind.WHEEL,
        [("pkg/fake.dll", b"not a dll")],
        [],
        "an extension without the magic is not a binary",
    ),
    (
        "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        ArchiveKind.WHEEL,
        [("pkg/_speedups.so", ELF)],
        [],
        "a compiled wheel carries .so files by design",
    ),
    (
        "ruff-1.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ArchiveKind.WHEEL,
        [("ruff-1.0.data/scripts/ruff", ELF)],
        [],
        "a platform-tagged none wheel ships a program",
    ),
    (
        "pkg-1.0.tar.gz",
        ArchiveKind.SDIST,
        [("pkg-1.0/tool.exe", PE), ("pkg-1.0/a.py", b"")],
        [Severity.LOW],
        "a prebuilt executable in an sdist",
    ),
    (
        "pkg-1.0-py3.11.egg",
        ArchiveKind.EGG,
        [("pkg/x.dylib", MACHO)],
        [Severity.LOW],
        "an egg without a platform",
    ),
    (
        "pkg-1.0-py2.7-linux-x86_64.egg",
        ArchiveKind.EGG,
        [("pkg/x.so", ELF)],
        [],
        "an egg built for a platform",
    ),
    (
        "setuptools-80.0.0-py3-none-any.whl",
        ArchiveKind.WHEEL,
        [("setuptools/cli-64.exe", PE)],
        [Severity.LOW],
        "regression: setuptools' launchers are a capability, not a threat (no allowlist by name)",
    ),
    ("pkg.exe", ArchiveKind.UNKNOWN, [("x", PE)], [], "an unknown format is not judged"),
]


@pytest.mark.parametrize(("filename", "kind", "members", "expected", "reason"), BINARY_CASES)
def test_bundled_binaries(
    filename: str,
    kind: ArchiveKind,
    members: list[tuple[str, bytes]],
    expected: list[Severity],
    reason: str,
) -> None:
    found = check_bundled_binaries(contents(filename, kind, *members))
    assert [f.severity for f in found] == expected, reason
    for finding in found:
        assert finding.check_id == "archive.bundled-binary"
        assert {"filename", "magic", "path", "size"} <= set(finding.evidence)


def metadata_file(name: str = "Pkg", version: str = "1.0", *extra: str, mv: str = "2.1") -> bytes:
    lines = [f"Metadata-Version: {mv}", f"Name: {name}", f"Version: {version}", *extra]
    return ("\n".join(lines) + "\n\nLong description.\nName: not-a-header\n").encode()


JSON = ReleaseMetadata(
    name="pkg", version="1.0", requires_dist=("requests>=2", "idna; extra == 'x'")
)
DEPS = ("Requires-Dist: requests>=2", "Requires-Dist: idna; extra == 'x'")
WHEEL = "pkg-1.0-py3-none-any.whl"
DIST_INFO = "pkg-1.0.dist-info/METADATA"


def wheel(body: bytes, dist_info: str = DIST_INFO) -> ArchiveContents:
    return contents(WHEEL, ArchiveKind.WHEEL, ("pkg/__init__.py", b""), (dist_info, body))


def sdist(body: bytes) -> ArchiveContents:
    return contents("pkg-1.0.tar.gz", ArchiveKind.SDIST, ("pkg-1.0/PKG-INFO", body))


# (archive contents, expected (field, severity) pairs, reason)
METADATA_CASES = [
    (wheel(metadata_file("Pkg", "1.0", *DEPS)), [], "agrees: name compared PEP 503-normalized"),
    (wheel(metadata_file("pkg", "1.0.0", *DEPS)), [], "1.0.0 is version 1.0"),
    (
        wheel(metadata_file("other", "1.0", *DEPS)),
        [("name", Severity.LOW)],
        "another name: a packaging slip, it hides nothing",
    ),
    (
        wheel(metadata_file("p kg", "1.0", *DEPS)),
        [("name", Severity.LOW)],
        "a space inside the name makes another name",
    ),
    (wheel(metadata_file("pkg", "2.0", *DEPS)), [("version", Severity.LOW)], "another version"),
    (
        sdist(metadata_file("pkg", "1.0dev")),
        [("version", Severity.LOW)],
        "a dev build uploaded as the final version (0.1dev under 0.1)",
    ),
    (
        sdist(metadata_file("pkg", "1.0.1")),
        [("version", Severity.LOW)],
        "the sdist of the next version uploaded under this one",
    ),
    (
        sdist(metadata_file("internal-dummy", "1.0")),
        [("name", Severity.LOW)],
        "a build template's placeholder name left in PKG-INFO",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: evil-lib")),
        [("Requires-Dist", Severity.MEDIUM)],
        "a dependency only the archive declares",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: evil-lib; python_version >= '3'")),
        [("Requires-Dist", Severity.MEDIUM)],
        "hidden, and installed wherever Python 3 runs",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: soxr>=0.5; extra == 'audio'")),
        [("Requires-Dist", Severity.LOW)],
        "hidden, but only `pip install pkg[audio]` installs it",
    ),
    (
        wheel(
            metadata_file(
                "pkg",
                "1.0",
                *DEPS,
                "Requires-Dist: pkg[fast]; python_version < '3.14' and extra == 'all'",
            )
        ),
        [("Requires-Dist", Severity.LOW)],
        "an extra naming the project's own extras",
    ),
    (
        wheel(
            metadata_file(
                "pkg",
                "1.0",
                *DEPS,
                "Requires-Dist: evil-lib; extra == 'x' or python_version >= '3'",
            )
        ),
        [("Requires-Dist", Severity.MEDIUM)],
        "`or` installs it without the extra too",
    ),
    (
        wheel(
            metadata_file(
                "pkg",
                "1.0",
                *DEPS,
                "Requires-Dist: evil-lib; extra == 'x'",
                "Requires-Dist: evil-lib",
            )
        ),
        [("Requires-Dist", Severity.MEDIUM)],
        "one of its lines needs no extra",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: pydantic>=2")),
        [("Requires-Dist", Severity.LOW)],
        "hidden, but a popular project installs nothing unknown",
    ),
    (
        wheel(
            metadata_file(
                "pkg", "1.0", "Requires-Dist: requests>=3", DEPS[1], "Requires-Dist: evil-lib"
            )
        ),
        [("Requires-Dist", Severity.LOW)],
        "the JSON's bounds of requests differ: other metadata",
    ),
    (
        wheel(
            metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: evil-lib; python_version < '3.11'")
        ),
        [("Requires-Dist", Severity.LOW)],
        "only older Pythons install it: a backport",
    ),
    (
        wheel(
            metadata_file(
                "pkg",
                "1.0",
                *DEPS,
                "Requires-Dist: evil-lib; python_version < '3.11' or sys_platform == 'linux'",
            )
        ),
        [("Requires-Dist", Severity.MEDIUM)],
        "a backport marker with `or` installs it anywhere",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: ~~~", "Requires-Dist: evil-lib")),
        [("Requires-Dist", Severity.MEDIUM)],
        "a nameless line beside a hidden dependency",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS, "Requires-Dist: ~~~")),
        [],
        "a Requires-Dist line without a name names nothing",
    ),
    (
        wheel(metadata_file("pkg", "1.0", DEPS[0])),
        [("Requires-Dist", Severity.INFO)],
        "a dependency only the JSON lists",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS), "other-1.0.dist-info/METADATA"),
        [("dist-info name", Severity.LOW)],
        "the .dist-info directory names another project",
    ),
    (
        wheel(metadata_file("pkg", "1.0", *DEPS), "pkg-one.dist-info/METADATA"),
        [("dist-info version", Severity.LOW)],
        "an unparsable .dist-info version, compared as text",
    ),
    (
        sdist(metadata_file("pkg", "1.0")),
        [],
        "Metadata-Version 2.1 sdist: dependencies not compared",
    ),
    (
        sdist(metadata_file("pkg", "1.0", "Requires-Dist: evil-lib", mv="2.2")),
        [
            ("Requires-Dist", Severity.MEDIUM),
            ("Requires-Dist", Severity.INFO),
            ("Requires-Dist", Severity.INFO),
        ],
        "Metadata-Version 2.2, static: compared",
    ),
    (
        sdist(metadata_file("pkg", "1.0", "Dynamic: Requires-Dist", mv="2.2")),
        [],
        "Metadata-Version 2.2 with dynamic dependencies: not compared",
    ),
    (sdist(metadata_file("pkg", "1.0", *DEPS, mv="garbage")), [], "an unparsable Metadata-Version"),
    (
        contents("pkg-1.0-py3.11.egg", ArchiveKind.EGG, ("EGG-INFO/PKG-INFO", metadata_file("x"))),
        [("name", Severity.LOW)],
        "an egg's PKG-INFO",
    ),
    (
        contents("pkg-1.0.tar.gz", ArchiveKind.SDIST, ("pkg-1.0/setup.py", b"")),
        [],
        "an sdist without PKG-INFO is not judged",
    ),
    (contents("pkg.exe", ArchiveKind.UNKNOWN), [], "an unread file is not judged"),
]


@pytest.mark.parametrize(("archive", "expected", "reason"), METADATA_CASES)
def test_archive_metadata(
    archive: ArchiveContents, expected: list[tuple[str, Severity]], reason: str
) -> None:
    found = check_archive_metadata(archive, JSON, "pkg", "1.0")
    assert [(f.evidence["field"], f.severity) for f in found] == expected, reason
    assert len({f.fingerprint for f in found}) == len(found)


def test_dependencies_when_json_lists_none_are_low() -> None:
    bare = ReleaseMetadata(name="pkg", version="1.0")
    found = check_archive_metadata(wheel(metadata_file("pkg", "1.0", *DEPS)), bare, "pkg", "1.0")
    assert [f.severity for f in found] == [Severity.LOW, Severity.LOW]
    assert [f.evidence["archive"] for f in found] == ["idna", "requests"]


def test_wheel_without_metadata() -> None:
    bare = contents(WHEEL, ArchiveKind.WHEEL, ("pkg/__init__.py", b""))
    assert [f.check_id for f in check_archive_metadata(bare, JSON, "pkg", "1.0")] == [
        "archive.missing-metadata"
    ]
    stopped = ArchiveContents(WHEEL, ArchiveKind.WHEEL, complete=False, error="too many members")
    assert check_archive_metadata(stopped, JSON, "pkg", "1.0") == (), "reading stopped early"


def test_truncated_metadata_is_not_compared() -> None:
    head = Member(DIST_INFO, 10**9, b"Name: x", complete=False)
    head_only = ArchiveContents(WHEEL, ArchiveKind.WHEEL, (head,))
    assert check_archive_metadata(head_only, JSON, "pkg", "1.0") == ()


def test_a_name_as_typed_in_setup_py_is_the_name_pypi_shows() -> None:
    """setuptools keeps "Video annotator - models" in PKG-INFO; PyPI shows it with every run of
    other characters made one hyphen."""
    archive = sdist(metadata_file("Video annotator - models", "1.0"))
    json = ReleaseMetadata(name="video-annotator-models", version="1.0")
    assert check_archive_metadata(archive, json, "video-annotator-models", "1.0") == ()
