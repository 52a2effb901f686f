"""The one-pass tar header reader against tarfile: the same members, or a refusal.

The reader is only a speed-up: wherever it answers, its answer must be tarfile's, field by field,
or an archive could hold something for pip that it hides from us.
"""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from analysis.archive.tarindex import BLOCK, list_members

Listing = list[tuple[str, bytes, int, str, int]]


def tarfile_listing(stream: bytes) -> Listing | None:
    """What tarfile reads (reading every regular member too), or None where it fails."""
    found: Listing = []
    try:
        with tarfile.open(
            fileobj=io.BytesIO(stream), mode="r:", encoding="utf-8", errors="surrogateescape"
        ) as tar:  # type: ignore[call-overload]
            for info in tar:
                found.append((info.name, info.type, info.size, info.linkname, info.offset_data))
                if info.isreg():
                    tar.extractfile(info).read()
    except (tarfile.TarError, EOFError):
        return None
    return found


def fast_listing(stream: bytes) -> Listing | None:
    members = list_members(stream)
    if members is None:
        return None
    return [(m.name, m.type, m.size, m.linkname, m.offset) for m in members]


def build(members: list[tarfile.TarInfo], fmt: int, *, pax: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer,
        mode="w",
        format=fmt,
        pax_headers=pax or {},
        encoding="utf-8",
        errors="surrogateescape",
    ) as tar:  # type: ignore[call-overload]
        for info in members:
            tar.addfile(info, io.BytesIO(bytes(info.size)) if info.isreg() else None)
    return buffer.getvalue()


def member(
    name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = ""
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname, info.mtime = kind, size, link, 1_700_000_000.5
    return info


FORMATS = [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
LONG = "pkg-1.0/" + "deep/" * 30 + "module.py"  # past 100 bytes: prefix, long-name or pax path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_typical_sdist_reads_as_tarfile_reads_it(fmt: int) -> None:
    members = [
        member("pkg-1.0", tarfile.DIRTYPE),
        member("pkg-1.0/setup.py", size=700),
        member("pkg-1.0/README", tarfile.SYMTYPE, link="docs/README.md"),
        member("pkg-1.0/copy", tarfile.LNKTYPE, link="pkg-1.0/setup.py"),
        member("pkg-1.0/fifo", tarfile.FIFOTYPE),
        member("pkg-1.0/empty.txt"),
        member(LONG, size=1),
    ]
    stream = build(members, fmt)
    listing = fast_listing(stream)
    assert listing is not None
    assert listing == tarfile_listing(stream)
    assert listing[-1][0] == LONG


def test_non_ascii_names_decode_as_tarfile_decodes_them() -> None:
    stream = build([member("pkg/café.py", size=3), member("pkg/ü", size=3)], tarfile.PAX_FORMAT)
    assert fast_listing(stream) == tarfile_listing(stream)
    assert [name for name, *_ in fast_listing(stream) or []] == ["pkg/café.py", "pkg/ü"]


def test_a_pax_size_and_a_v7_directory_follow_tarfile() -> None:
    stream = build([member("pkg/data", size=10)], tarfile.PAX_FORMAT)
    raw = bytearray(build([member("pkg/", tarfile.AREGTYPE, size=0)], tarfile.USTAR_FORMAT))
    for stream_ in (stream, bytes(raw)):
        assert fast_listing(stream_) == tarfile_listing(stream_) is not None
    assert (fast_listing(bytes(raw)) or [])[0][:2] == ("pkg", tarfile.DIRTYPE)


def test_a_global_header_with_times_only_is_read_and_one_with_a_path_is_refused() -> None:
    inert = build([member("a", size=1)], tarfile.PAX_FORMAT, pax={"comment": "abc"})
    assert fast_listing(inert) == tarfile_listing(inert) is not None
    renaming = build([member("a", size=1)], tarfile.PAX_FORMAT, pax={"path": "elsewhere"})
    assert list_members(renaming) is None


def seal(block: bytearray) -> None:
    """Write a correct checksum into a 512-byte header."""
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % (sum(block))


def header_edit(stream: bytes, at: int, value: bytes) -> bytes:
    edited = bytearray(stream)
    edited[at : at + len(value)] = value
    block = edited[0:BLOCK]
    seal(block)
    edited[0:BLOCK] = block
    return bytes(edited)


ONE = build([member("pkg/a.py", size=600)], tarfile.USTAR_FORMAT)


@pytest.mark.parametrize(
    ("why", "stream"),
    [
        ("empty", b""),
        ("bad checksum", ONE[:148] + b"0000001\0" + ONE[156:]),
        ("base-256 size", header_edit(ONE, 124, b"\x80" + bytes(10) + b"\x01")),
        ("unreadable mode", header_edit(ONE, 100, b"zz")),
        ("sparse", header_edit(ONE, 156, b"S")),
        ("vendor type", header_edit(ONE, 156, b"V")),
        ("data cut short", ONE[: BLOCK + 100]),
        ("trailing fragment", ONE[: 3 * BLOCK] + b"\1" * 100),
        ("header cut short", ONE[: 3 * BLOCK] + ONE[:100]),
        ("undecodable name", build([member("pkg/\udcff", size=1)], tarfile.PAX_FORMAT)),
        (
            "charset",
            build([member("pkg/é", size=1)], tarfile.PAX_FORMAT, pax={"hdrcharset": "BINARY"}),
        ),
        (
            "chained long names",
            build([member(LONG, tarfile.SYMTYPE, link=LONG)], tarfile.GNU_FORMAT),
        ),
    ],
)
def test_what_only_tarfile_reads_exactly_is_left_to_it(why: str, stream: bytes) -> None:
    assert list_members(stream) is None, why


def test_no_end_marker_and_a_base256_owner_read_as_tarfile_reads_them() -> None:
    for stream in (ONE[: 3 * BLOCK], header_edit(ONE, 108, b"\x80" + bytes(6) + b"\x01")):
        assert fast_listing(stream) == tarfile_listing(stream) == [("pkg/a.py", b"0", 600, "", 512)]


def test_an_unreadable_pax_size_is_zero_and_a_zero_length_record_is_refused() -> None:
    stream = build([member("pkg/a", size=1)], tarfile.USTAR_FORMAT)
    body = b"13 size=1_x\n"
    pax = bytearray(BLOCK)
    pax[0:9], pax[124:136], pax[156:157] = b"./paxhdr\0", b"%011o\0" % len(body), b"x"
    pax[257:263] = b"ustar\0"
    seal(pax)
    record = body + bytes(BLOCK - len(body))
    unreadable = bytes(pax) + record + stream
    assert fast_listing(unreadable) == tarfile_listing(unreadable)
    assert (fast_listing(unreadable) or [])[0][2] == 0
    zero = bytes(pax) + b"0 size=1\n" + bytes(BLOCK - 9) + stream
    assert list_members(zero) is None


def random_archive(rng: random.Random) -> bytes:
    names = ["a", "pkg", "é", "dir/", "x" * 60, LONG]
    kinds = [b"0", b"\0", b"5", b"2", b"1", b"6"]  # regular, old regular, dir, links, FIFO
    members = []
    for _ in range(rng.randint(0, 4)):
        name = "/".join(rng.choice(names) for _ in range(rng.randint(1, 3)))
        kind = rng.choice(kinds)
        link = rng.choice(["../x", "y" * rng.randint(1, 150)]) if kind in (b"1", b"2") else ""
        size = rng.randint(0, 1500) if kind in (b"0", b"\0") else 0
        members.append(member(name, kind, size, link))
    try:
        return build(members, rng.choice(FORMATS))
    except ValueError:  # a name or link too long for USTAR
        return build(members, tarfile.GNU_FORMAT)


def mutate(rng: random.Random, stream: bytes) -> bytes:
    edited = bytearray(stream)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(edited))
        edited[at] = rng.choice([rng.randrange(256), rng.choice(b"0179 /=\n\0x")])
        start = at // BLOCK * BLOCK
        block = edited[start : start + BLOCK]
        if rng.random() < 0.7 and any(block):
            seal(block)  # a valid checksum: the edit reaches the fields behind it
            edited[start : start + BLOCK] = block
    if rng.random() < 0.2:
        edited = edited[: rng.randrange(len(edited) + 1)]
    return bytes(edited)


@pytest.mark.parametrize("seed", range(4))
def test_on_random_and_damaged_archives_it_agrees_with_tarfile_or_refuses(seed: int) -> None:
    rng = random.Random(seed)
    answered = 0
    for _ in range(300):
        stream = random_archive(rng)
        if rng.random() < 0.7:
            stream = mutate(rng, stream)
        listing = fast_listing(stream)
        if listing is not None:
            answered += 1
            assert listing == tarfile_listing(stream)
    assert answered > 150  # it reads most archives itself, not only the trivial ones
