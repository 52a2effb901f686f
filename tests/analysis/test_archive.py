"""read_archive over archives built in memory: formats, hostile members, limits, malformed bytes."""

from __future__ import annotations

import bz2
import gzip
import lzma
import random
import stat
import struct
import tarfile
import zipfile
import zlib

import pytest

from analysis.archive import is_distribution_name, is_text_path, read_archive
from analysis.artifact import ArchiveContents, ArchiveKind, ArchiveLimits
from analysis.model import Severity
from tests.analysis.archives import (
    many_tar,
    many_zip,
    tar_bytes,
    tar_gz_bomb,
    tar_special,
    zip_bomb,
    zip_bytes,
    zip_info,
    zip_raw,
)

SETUP = ("pkg-1.0/setup.py", b"from setuptools import setup\nsetup()\n")
ELF = b"\x7fELF\x02\x01\x01" + bytes(5000)
SDIST = tar_bytes([SETUP, ("pkg-1.0/PKG-INFO", b"Name: pkg\n"), ("pkg-1.0/data.bin", ELF)])
WHEEL = zip_bytes([("pkg/__init__.py", b"x = 1\n"), ("pkg/lib.so", ELF)])
SMALL = ArchiveLimits(max_member=100, max_total=10_000, max_depth=3, ratio_floor=1000)


def ids(contents: ArchiveContents) -> list[str]:
    return [f.check_id for f in contents.findings]


def paths(contents: ArchiveContents) -> list[str]:
    return [m.path for m in contents.members]


def cp437_zip() -> bytes:
    # zipfile marks any non-ASCII name UTF-8; rewrite the name's bytes to cp437 without the flag.
    return zip_bytes([("pkg/caf_.py", b"x = 1\n")]).replace(b"caf_", b"caf\x82")


def flag_zip(flag: int = 0, method: int = 0, body: bytes = b"x = 1\n", mode: int = 0) -> bytes:
    """Two stored members; the first one's flags and method set in both of its headers, its
    mode bits in the central directory."""
    first = ("pkg/a.py", body, 0, zlib.crc32(b"x = 1\n"), 6)
    data = bytearray(zip_raw([first, ("pkg/b.py", b"y\n", 0, zlib.crc32(b"y\n"), 2)]))
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<2H", data, 6, flag, method)
    struct.pack_into("<2H", data, central + 8, flag, method)
    struct.pack_into("<L", data, central + 38, mode << 16)
    return bytes(data)


# (filename, data, check ids, member paths, complete, reason)
CASES = [
    (
        "pkg-1.0.tar.gz",
        SDIST,
        [],
        ["pkg-1.0/setup.py", "pkg-1.0/PKG-INFO", "pkg-1.0/data.bin"],
        True,
        "a plain sdist keeps its top-level directory",
    ),
    ("pkg-1.0.tar.bz2", tar_bytes([SETUP], "w:bz2"), [], ["pkg-1.0/setup.py"], True, "bzip2 sdist"),
    ("pkg-1.0.tar.xz", tar_bytes([SETUP], "w:xz"), [], ["pkg-1.0/setup.py"], True, "xz sdist"),
    ("pkg-1.0.tgz", tar_bytes([SETUP]), [], ["pkg-1.0/setup.py"], True, ".tgz is a tar.gz"),
    ("pkg-1.0.tar", tar_bytes([SETUP], "w"), [], ["pkg-1.0/setup.py"], True, "an uncompressed tar"),
    ("pkg-1.0.zip", zip_bytes([SETUP]), [], ["pkg-1.0/setup.py"], True, "a zip sdist"),
    ("pkg-1.0-py3-none-any.whl", WHEEL, [], ["pkg/__init__.py", "pkg/lib.so"], True, "a wheel"),
    (
        "pkg-1.0-py3.11.egg",
        zip_bytes([("EGG-INFO/PKG-INFO", b"Name: pkg\n")]),
        [],
        ["EGG-INFO/PKG-INFO"],
        True,
        "an egg",
    ),
    ("pkg-1.0-py3-none-any.whl", b"PK\x05\x06" + bytes(18), [], [], True, "an empty zip"),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([tar_special("pkg-1.0", tarfile.DIRTYPE), tarfile.TarInfo("pkg-1.0/empty.py")]),
        [],
        ["pkg-1.0/empty.py"],
        True,
        "directories are not members; an empty file is",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([("pkg/", b""), ("pkg/a/../b.py", b"")]),
        [],
        ["pkg/a/../b.py"],
        True,
        "a/../b stays inside after normalisation: not traversal",
    ),
    # Paths that land outside the extraction directory.
    (
        "pkg-1.0.tar.gz",
        tar_bytes([("../../etc/x", b"x"), SETUP]),
        ["archive.path-traversal"],
        ["pkg-1.0/setup.py"],
        True,
        "climbing path, refused; the rest is read",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([("pkg-1.0/../../x", b"x")]),
        ["archive.path-traversal"],
        [],
        True,
        "climbs out only after normalisation",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([("pkg\\..\\..\\x.pth", b"x")]),
        ["archive.path-traversal"],
        [],
        True,
        "backslashes climb on Windows",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([("/etc/cron.d/x", b"x")]),
        ["archive.absolute-path"],
        [],
        True,
        "absolute POSIX path",
    ),
    (
        "pkg-1.0.zip",
        zip_bytes([("C:\\Windows\\x.dll", b"x")]),
        ["archive.absolute-path"],
        [],
        True,
        "drive letter",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([("\\\\server\\share\\x", b"x")]),
        ["archive.absolute-path"],
        [],
        True,
        "UNC path",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([("a/b/c/d.py", b"")]),
        ["archive.deep-path"],
        [],
        True,
        "deeper than the limit of 3 (SMALL limits)",
    ),
    # Links and special files.
    (
        "pkg-1.0.tar.gz",
        tar_bytes([tar_special("pkg-1.0/l", tarfile.SYMTYPE, "/etc/passwd")]),
        ["archive.link"],
        [],
        True,
        "symlink, never followed",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([SETUP, tar_special("pkg-1.0/h", tarfile.LNKTYPE, SETUP[0])]),
        ["archive.link"],
        ["pkg-1.0/setup.py"],
        True,
        "hardlink, never followed",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([tar_special("pkg-1.0/tty", tarfile.CHRTYPE)]),
        ["archive.device"],
        [],
        True,
        "character device",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([tar_special("pkg-1.0/f", tarfile.FIFOTYPE)]),
        ["archive.device"],
        [],
        True,
        "FIFO",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([tar_special("pkg-1.0/c", tarfile.CONTTYPE), SETUP]),
        [],
        ["pkg-1.0/c", "pkg-1.0/setup.py"],
        True,
        "a contiguous file is a regular file",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([(zip_info("pkg/l", stat.S_IFLNK | 0o777), b"/etc")]),
        ["archive.link"],
        [],
        True,
        "a zip entry with symlink mode bits",
    ),
    # Names.
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([("pkg/a.py", b"1"), ("pkg/a.py", b"2"), ("pkg/./a.py", b"3")]),
        ["archive.duplicate-name", "archive.duplicate-name"],
        ["pkg/a.py", "pkg/a.py", "pkg/./a.py"],
        True,
        "every copy is a member (the installer keeps the last); the later ones are reported",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        cp437_zip(),
        ["archive.bad-name"],
        ["pkg/café.py"],
        True,
        "non-ASCII name without the UTF-8 flag: read as cp437, reported",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bytes([("pkg/café.py", b"")]),
        [],
        ["pkg/café.py"],
        True,
        "a UTF-8 name marked UTF-8 is fine",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([("pkg-1.0/caf\udce9.py", b"x")]),
        ["archive.bad-name"],
        ["pkg-1.0/caf\\xe9.py"],
        True,
        "raw Latin-1 byte in a tar name: kept readable, reported",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([("pkg-1.0/a\x1b[2K.py", b"x")]),
        ["archive.bad-name"],
        ["pkg-1.0/a\\x1b[2K.py"],
        True,
        "an escape sequence in a name",
    ),
    # Zip flags and methods.
    (
        "pkg-1.0-py3-none-any.whl",
        flag_zip(flag=1),
        ["archive.encrypted"],
        ["pkg/b.py"],
        True,
        "encrypted member is not read; the next one is",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        flag_zip(method=99),
        ["archive.unreadable"],
        ["pkg/b.py"],
        False,
        "AES (method 99) is not supported: that member is skipped",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        flag_zip(body=b"x = 2\n"),
        ["archive.unreadable"],
        ["pkg/b.py"],
        False,
        "bad CRC: that member is skipped",
    ),
]


@pytest.mark.parametrize(("filename", "data", "expected", "members", "complete", "reason"), CASES)
def test_read_archive(
    filename: str, data: bytes, expected: list[str], members: list[str], complete: bool, reason: str
) -> None:
    limits = SMALL if "deep" in str(expected) else ArchiveLimits()
    contents = read_archive(filename, data, limits)
    assert ids(contents) == expected, reason
    assert paths(contents) == members, reason
    assert contents.complete is complete, reason
    assert (contents.error is None) is complete, reason
    for finding in contents.findings:
        assert finding.evidence["filename"] == filename
        assert finding.fingerprint.startswith(f"{filename}:")


def symlink(name: str, target: str) -> tarfile.TarInfo:
    return tar_special(name, tarfile.SYMTYPE, target)


def zip_link(name: str, target: bytes) -> bytes:
    return zip_bytes([(zip_info(name, stat.S_IFLNK | 0o777), target)])  # type: ignore[list-item]


H, L = Severity.HIGH, Severity.LOW
LINKS = [
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/NEWS.txt", "CHANGELOG")]),
        L,
        "FP regression: a changelog alias beside its target (beautifulsoup4's NEWS.txt)",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/test/data/a/plain.css", "../../../pkg/writers/plain.css")]),
        L,
        "FP regression: test data linking into the package, climbing but staying inside (docutils)",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/docs/CONTRIBUTING.md", "../CONTRIBUTING.md")]),
        L,
        "FP regression: docs linking to a top-level file (pyparsing)",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/docs/a", "..")]),
        L,
        "a link to the top directory itself stays inside",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("NEWS", "CHANGES")]),
        L,
        "a link at the archive root, to a neighbour",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([SETUP, tar_special("pkg-1.0/h", tarfile.LNKTYPE, SETUP[0])]),
        L,
        "a hardlink names its target from the archive root: another member",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/key.txt", "/root/.ssh/id_rsa")]),
        H,
        "an absolute target",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/docs/k", "../../../.ssh/id_rsa")]),
        H,
        "a relative target that climbs out of the archive",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/k", "../x")]),
        H,
        "out of the sdist's top directory, which pip unpacks as the root",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/k", "..\\..\\x")]),
        H,
        "backslashes climb on Windows",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([symlink("pkg-1.0/k", "C:\\Windows\\win.ini")]),
        H,
        "a drive-letter target",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([tar_special("pkg-1.0/h", tarfile.LNKTYPE, "etc/passwd")]),
        H,
        "a hardlink to a path outside the sdist's top directory",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_link("pkg/docs/README", b"../README.md"),
        L,
        "a zip symlink's data is its target: inside",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_link("pkg/passwd", b"/etc/passwd"),
        H,
        "a zip symlink to an absolute path",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_link("pkg/l", b"a/" * 600),
        H,
        "a zip symlink target longer than any path we judge",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        flag_zip(method=99, mode=stat.S_IFLNK | 0o777),
        H,
        "a zip symlink whose target cannot be read",
    ),
]


@pytest.mark.parametrize(
    ("filename", "data", "severity", "reason"), LINKS, ids=[c[3] for c in LINKS]
)
def test_links(filename: str, data: bytes, severity: Severity, reason: str) -> None:
    contents = read_archive(filename, data)
    (link,) = [f for f in contents.findings if f.check_id == "archive.link"]
    assert link.severity is severity, reason
    assert link.evidence["inside"] is (severity is L), reason
    assert not [m for m in contents.members if m.path == link.evidence["path"]], reason


DUPLICATES = [
    (
        [("pkg-1.0/LICENSE.txt", b"MIT"), ("pkg-1.0/LICENSE.txt", b"MIT")],
        Severity.INFO,
        "FP regression: a licence listed twice with the same bytes (pyarrow)",
    ),
    (
        [("pkg-1.0/setup.py", b"setup()\n"), ("pkg-1.0/setup.py", b"import os\nsetup()\n")],
        Severity.MEDIUM,
        "a second setup.py with other bytes: the hidden one wins",
    ),
    (
        [("pkg-1.0/pkg/__init__.py", b""), ("pkg-1.0/pkg/./__init__.py", b"import evil\n")],
        Severity.MEDIUM,
        "another spelling of one path, with other bytes",
    ),
    (
        [("pkg-1.0/README.md", b"# pkg"), ("pkg-1.0/README.md", b"# pkg 1.0")],
        Severity.LOW,
        "FP regression: two READMEs packed from two places: nothing runs from either",
    ),
    (
        [("pkg-1.0/lib.bin", ELF), ("pkg-1.0/lib.bin", ELF)],
        Severity.MEDIUM,
        "same heads of binaries too long to keep whole: not known to be the same",
    ),
]


@pytest.mark.parametrize(
    ("entries", "severity", "reason"), DUPLICATES, ids=[c[2] for c in DUPLICATES]
)
def test_duplicates(entries: list[tuple[str, bytes]], severity: Severity, reason: str) -> None:
    contents = read_archive("pkg-1.0.tar.gz", tar_bytes(entries))
    (duplicate,) = [f for f in contents.findings if f.check_id == "archive.duplicate-name"]
    assert duplicate.severity is severity, reason
    assert duplicate.evidence["identical"] is (severity is Severity.INFO), reason


# (filename, data, check id, severity, member count, reason): each one stops reading.
UNREAD = [
    (
        "pkg.exe",
        b"MZ" + bytes(100),
        "archive.unknown-format",
        Severity.INFO,
        ArchiveKind.UNKNOWN,
        "a legacy installer is not read",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        ELF,
        "archive.not-an-archive",
        Severity.MEDIUM,
        ArchiveKind.WHEEL,
        "a wheel that is an ELF binary",
    ),
    (
        "pkg-1.0.tar",
        b"junk" * 200,
        "archive.not-an-archive",
        Severity.MEDIUM,
        ArchiveKind.SDIST,
        "no ustar magic",
    ),
    (
        "pkg-1.0.tar.gz",
        SDIST[: len(SDIST) // 2],
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.SDIST,
        "truncated gzip",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        WHEEL[:-30],
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.WHEEL,
        "truncated zip: no central directory",
    ),
    (
        "pkg-1.0.tar.gz",
        b"\x1f\x8b" + bytes(range(256)) * 4,
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.SDIST,
        "garbage after the gzip magic",
    ),
    (
        "pkg-1.0.tar.bz2",
        b"BZh9" + bytes(300),
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.SDIST,
        "bz2 error",
    ),
    (
        "pkg-1.0.tar.xz",
        b"\xfd7zXZ\x00" + bytes(300),
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.SDIST,
        "lzma error",
    ),
    (
        "pkg-1.0.tar",
        b"x" * 257 + b"ustar" + b"x" * 250,
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.SDIST,
        "bad tar header checksum",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([("pkg-1.0/a.py", bytes(4000))])[:-40],
        "archive.unreadable",
        Severity.LOW,
        ArchiveKind.SDIST,
        "EOF in the middle of a member",
    ),
    (
        "pkg-1.0-py3-none-any.whl",
        zip_bomb(),
        "archive.bomb",
        Severity.HIGH,
        ArchiveKind.WHEEL,
        "200 MB of zeros in 200 KB",
    ),
    (
        "pkg-1.0.tar.gz",
        tar_gz_bomb(),
        "archive.bomb",
        Severity.HIGH,
        ArchiveKind.SDIST,
        "a gzip of a tar of 200 MB of zeros",
    ),
]


@pytest.mark.parametrize(("filename", "data", "check_id", "severity", "kind", "reason"), UNREAD)
def test_unread(
    filename: str, data: bytes, check_id: str, severity: Severity, kind: ArchiveKind, reason: str
) -> None:
    contents = read_archive(filename, data)
    assert ids(contents) == [check_id], reason
    assert contents.findings[0].severity == severity
    assert contents.kind == kind
    assert not contents.complete
    assert contents.error is not None
    assert "\n" not in contents.error


DIST_WHEEL = zip_bytes([("pkg/__init__.py", b"x = 1\n"), ("pkg-1.0.dist-info/METADATA", b"")])
PLAIN_TAR = tar_bytes([SETUP], mode="w")


def test_a_readme_from_above_the_project_is_medium() -> None:
    contents = read_archive("pkg-1.0.tar.gz", tar_bytes([("pkg-1.0/../../README.md", b"x"), SETUP]))
    (finding,) = [f for f in contents.findings if f.check_id == "archive.path-traversal"]
    assert finding.severity is Severity.MEDIUM
    code = read_archive("pkg-1.0.tar.gz", tar_bytes([("pkg-1.0/../../evil.py", b"x")]))
    assert [f.severity for f in code.findings] == [Severity.HIGH]


# (filename, data, kind read, container, reason): the content decides, the disguise is a finding.
DISGUISED = [
    ("pkg-1.0.tar.gz", DIST_WHEEL, ArchiveKind.WHEEL, "zip", "a wheel named .tar.gz is a wheel"),
    ("pkg-1.0.tar.gz", WHEEL, ArchiveKind.SDIST, "zip", "a zip without .dist-info stays an sdist"),
    ("pkg-1.0-py3-none-any.whl", SDIST, ArchiveKind.SDIST, "gz", "a tar.gz named .whl"),
    (
        "pkg-1.0.tar.gz",
        tar_bytes([SETUP], mode="w:bz2"),
        ArchiveKind.SDIST,
        "bz2",
        "a bzip2 tar named .tar.gz",
    ),
    ("pkg-1.0.tar.gz", PLAIN_TAR, ArchiveKind.SDIST, "tar", "an uncompressed tar named .tar.gz"),
    (
        "pkg-1.0.zip",
        tar_bytes([SETUP], mode="w:xz"),
        ArchiveKind.SDIST,
        "xz",
        "an xz tar named .zip",
    ),
]


@pytest.mark.parametrize(
    ("filename", "data", "kind", "actual", "reason"), DISGUISED, ids=[c[4] for c in DISGUISED]
)
def test_disguised_archives_are_read_by_content(
    filename: str, data: bytes, kind: ArchiveKind, actual: str, reason: str
) -> None:
    contents = read_archive(filename, data)
    assert contents.kind is kind, reason
    assert contents.members, reason
    (finding,) = [f for f in contents.findings if f.check_id == "archive.wrong-extension"]
    assert finding.severity is Severity.HIGH
    assert finding.evidence["actual"] == actual, reason
    assert actual in finding.summary
    assert filename in finding.summary


# a bz2 block (900 kB) is read whole or not at all: nothing comes before its fault
@pytest.mark.parametrize("suffix", ["gz", "xz"])
def test_members_before_a_fault_are_kept(suffix: str) -> None:
    entries = [SETUP, ("pkg-1.0/big.py", random.Random(1).randbytes(20000))]
    data = tar_bytes(entries, f"w:{suffix}")
    contents = read_archive(f"pkg-1.0.tar.{suffix}", data[:-200])
    assert paths(contents) == ["pkg-1.0/setup.py"]
    assert contents.error is not None
    assert contents.error.startswith(f"pkg-1.0.tar.{suffix} is malformed")


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("pkg-1.0-py3-none-any.whl", many_zip(100_000), "100,000 empty members in a zip"),
        ("pkg-1.0.tar", many_tar(100_000), "100,000 empty members in a tar"),
    ],
)
def test_too_many_members_stops_quickly(filename: str, data: bytes, reason: str) -> None:
    contents = read_archive(filename, data, ArchiveLimits(max_members=30_000))
    assert ids(contents) == ["archive.too-many-members"], reason
    assert len(contents.members) == 30_000


def test_zip_with_far_too_many_entries_is_not_parsed() -> None:
    contents = read_archive(
        "pkg-1.0-py3-none-any.whl", many_zip(500), ArchiveLimits(max_members=100)
    )
    assert ids(contents) == ["archive.too-many-members"]
    assert contents.members == ()
    assert contents.findings[0].evidence["value"] == 500


@pytest.mark.parametrize(
    ("filename", "data", "limits", "expected", "reason"),
    [
        (
            "pkg-1.0.tar.gz",
            tar_bytes([("pkg-1.0/a.bin", bytes(6000)), ("pkg-1.0/b.bin", bytes(6000))]),
            ArchiveLimits(max_total=10_000),
            "archive.size-limit",
            "the second member passes the total",
        ),
        (
            "pkg-1.0-py3-none-any.whl",
            zip_bytes([("pkg/a.bin", bytes(2000))]),
            ArchiveLimits(ratio_floor=1000),
            "archive.bomb",
            "one zip member expands beyond the ratio",
        ),
        (
            "pkg-1.0-py3-none-any.whl",
            zip_bytes([(f"pkg/{i}.bin", bytes(90_000)) for i in range(30)]),
            ArchiveLimits(ratio_floor=100_000),
            "archive.bomb",
            "no member is past the floor, the whole archive is",
        ),
        (
            "pkg-1.0.tar.gz",
            tar_bytes([tarfile.TarInfo(f"pkg-1.0/{i}") for i in range(30)]),
            ArchiveLimits(max_total=5000),
            "archive.bomb",
            "headers alone pass twice the total: the stream is cut off",
        ),
    ],
)
def test_limits_stop_reading(
    filename: str, data: bytes, limits: ArchiveLimits, expected: str, reason: str
) -> None:
    contents = read_archive(filename, data, limits)
    assert ids(contents)[-1] == expected, reason
    assert not contents.complete


def test_oversize_text_keeps_its_head() -> None:
    big = b"# " + b"x" * 500
    data = zip_bytes([("pkg/big.py", big), ("pkg-1.0.data/scripts/tool", ELF), ("pkg/a.py", b"1")])
    contents = read_archive(
        "pkg-1.0-py3-none-any.whl", data, ArchiveLimits(max_member=100, head_bytes=10)
    )
    assert ids(contents) == ["archive.member-too-large"], "a native script is not text to flag"
    big_member, script, small = contents.members
    assert (big_member.data, big_member.size, big_member.complete) == (big[:10], 502, False)
    assert (script.data, script.complete) == (ELF[:10], False)
    assert (small.data, small.complete, contents.complete) == (b"1", True, True)
    assert contents.unpacked == 502 + len(ELF) + 1


@pytest.mark.parametrize("mode", ["w:gz", "w:bz2", "w:xz", "w"])
def test_a_short_binary_keeps_its_own_bytes_and_no_more(mode: str) -> None:
    """The head kept of a member shorter than head_bytes is the member, not the headers and
    data after it (the one-pass tar reader once sliced past the end)."""
    entries = [
        ("pkg-1.0/.gitignore", b"build/\n"),
        ("pkg-1.0/data.bin", b"\x00\x01\x02"),
        ("pkg-1.0/.gitignore", b"build/\n"),
    ]
    suffix = {"w:gz": ".tar.gz", "w:bz2": ".tar.bz2", "w:xz": ".tar.xz", "w": ".tar"}[mode]
    contents = read_archive(f"pkg-1.0{suffix}", tar_bytes(entries, mode))
    assert [m.data for m in contents.members] == [b"build/\n", b"\x00\x01\x02", b"build/\n"]
    (duplicate,) = [f for f in contents.findings if f.check_id == "archive.duplicate-name"]
    assert duplicate.evidence["identical"] is True


def test_is_text_decides_what_is_read_whole() -> None:
    contents = read_archive("pkg-1.0-py3-none-any.whl", WHEEL, is_text=lambda path: True)
    assert [m.complete for m in contents.members] == [True, True]
    default = read_archive("pkg-1.0-py3-none-any.whl", WHEEL)
    assert [m.complete for m in default.members] == [True, False]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("pkg/__init__.py", True),
        ("pkg-1.0/PKG-INFO", True),
        ("x.dist-info/METADATA", True),
        ("x.dist-info/RECORD", True),
        ("pkg/evil.PTH", True),
        ("x-1.data/scripts/tool", True),
        ("pkg/lib.so", False),
        ("pkg/data.npy", False),
        ("pkg/README", False),
        ("pkg/.hidden", False),
    ],
)
def test_is_text_path(path: str, text: bool) -> None:
    assert is_text_path(path) is text


def test_control_character_names_are_medium() -> None:
    contents = read_archive("pkg-1.0.tar.gz", tar_bytes([("pkg-1.0/a\nb.py", b"")]))
    assert contents.findings[0].severity == Severity.MEDIUM
    assert contents.findings[0].evidence["path"] == "pkg-1.0/a\\x0ab.py"


def test_hostile_bytes_never_raise() -> None:
    rng = random.Random(7)
    valid = {"pkg-1.0.tar.gz": SDIST, "pkg-1.0-py3-none-any.whl": WHEEL}
    magic = {"pkg-1.0.tar.gz": b"\x1f\x8b", "pkg-1.0-py3-none-any.whl": b"PK\x03\x04"}
    # Half the random strings carry the right magic, so they reach the decoders.
    samples = [
        (name, magic[name] * (i % 2) + rng.randbytes(rng.randrange(2000)))
        for i, name in enumerate(rng.choice(list(valid)) for _ in range(300))
    ]
    for name, data in valid.items():
        for _ in range(100):
            samples.append((name, data[: rng.randrange(len(data))]))
            flipped = bytearray(data)
            for _ in range(rng.randrange(1, 4)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            samples.append((name, bytes(flipped)))
    for name, data in samples:
        contents = read_archive(name, data)
        assert contents.complete or contents.error


def test_zip_members_are_read_with_zipfile_semantics() -> None:
    info = zipfile.ZipInfo("pkg/a.py")
    data = zip_bytes([(info, b"x = 1\n")])  # type: ignore[list-item]
    assert read_archive("pkg-1.0.zip", data).members[0].data == b"x = 1\n"


# a bz2 block (900 kB) is read whole or not at all: nothing comes before its fault
@pytest.mark.parametrize("suffix", ["gz", "xz"])
def test_concatenated_streams_are_one_tar(suffix: str) -> None:
    """gzip, bz2 and xz readers go on into a second stream; an installer sees those members."""
    one = tar_bytes([SETUP], f"w:{suffix}")
    plain = tar_bytes([SETUP, ("pkg-1.0/extra.py", b"x = 1\n")], "w")
    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[suffix]
    half = len(plain) // 1024 * 512
    data = compress(plain[:half]) + b"\0" * 4 + compress(plain[half:])
    assert one.startswith(data[:3])
    assert paths(read_archive(f"pkg-1.0.tar.{suffix}", data)) == [
        "pkg-1.0/setup.py",
        "pkg-1.0/extra.py",
    ]


@pytest.mark.parametrize("suffix", ["tar", "tar.gz"])
def test_a_stream_past_the_whole_stream_size_is_read_forward(suffix: str) -> None:
    entries = [SETUP, ("pkg-1.0/big.py", b"x = 1\n" * 4000)]
    data = tar_bytes(entries, "w" if suffix == "tar" else "w:gz")
    limits = ArchiveLimits(max_total=10_000, max_ratio=10_000)
    contents = read_archive(f"pkg-1.0.{suffix}", data, limits)
    assert paths(contents) == ["pkg-1.0/setup.py"]
    assert not contents.complete


def test_a_truncated_bz2_stream_is_malformed() -> None:
    data = tar_bytes([SETUP], "w:bz2")
    contents = read_archive("pkg-1.0.tar.bz2", data[:-20])
    assert ids(contents) == ["archive.unreadable"]
    assert contents.error is not None
    assert contents.error.startswith("pkg-1.0.tar.bz2 is malformed")


@pytest.mark.parametrize(
    ("filename", "distribution"),
    [
        ("pkg-1.0-py3-none-any.whl", True),
        ("pkg-1.0.tar.gz", True),
        ("pkg-1.0.ZIP", True),
        ("pkg-1.0-py3.11.egg", True),
        ("pkg-1.0.tar.xz", True),
        ("README.md", False),
        ("pkg-1.0.tar.gz.asc", False),
        ("requirements.txt", False),
    ],
)
def test_is_distribution_name(filename: str, distribution: bool) -> None:
    assert is_distribution_name(filename) is distribution
