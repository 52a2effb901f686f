"""Tar sdists (.tar.gz, .tar.bz2, .tar.xz, .tar), read as one forward stream in memory."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable
from functools import partial
from typing import Any

from analysis.archive import findings as ids
from analysis.archive.state import Reading
from analysis.archive.tarindex import TarMember, list_members


class _CappedStream(io.RawIOBase):
    """The decompressed tar stream, cut off once it passes `cap` bytes. tarfile reads pax and
    GNU long-name headers whole, outside our member accounting; this bounds them too."""

    def __init__(self, raw: io.BufferedIOBase, cap: int, reading: Reading) -> None:
        super().__init__()
        self._raw, self._left, self._reading = raw, cap, reading

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size if 0 <= size <= self._left else self._left + 1)
        self._left -= len(chunk)
        if self._left < 0:
            raise self._reading.fail(
                ids.BOMB,
                "",
                f"{self._reading.filename} unpacks to a tar stream beyond twice the total limit.",
                {"limit": self._reading.limits.max_total * 2},
            )
        return chunk


WHOLE_STREAM = 64 * 1024 * 1024  # bytes: a tar stream up to this size is inflated in one call


def read_tar(reading: Reading, data: bytes, compression: str) -> None:
    """Read every member of a tar stream into `reading`; raises on a malformed stream."""
    # Headers and padding ride on top of the members' bytes, hence the slack of twice the limit.
    cap = 2 * reading.limits.max_total
    whole = data if compression == "tar" else _inflate(compression, data, min(cap, WHOLE_STREAM))
    if whole is not None and len(whole) <= cap:
        members = list_members(whole)
        if members is not None:  # most sdists: their headers read in one pass over the bytes
            for member in members:
                _entry(reading, member, partial(_slice, whole, member.offset))
            return
        # headers only tarfile reads exactly; it reads them faster with seeking
        fileobj: io.IOBase = io.BytesIO(whole)
        mode = "r:"
    else:
        # a big or bomb-like stream: forward only, members handled as they pass, capped
        fileobj, mode = _CappedStream(_decompressed(compression, data), cap, reading), "r|"
    with tarfile.open(fileobj=fileobj, mode=mode, **_NAMES) as tar:  # type: ignore[call-overload]
        for info in tar:
            _entry(reading, _member(info), partial(_extract, tar, info))


def _member(info: tarfile.TarInfo) -> TarMember:
    return TarMember(info.name, info.type, info.size, info.linkname, info.offset_data)


def _slice(stream: bytes, start: int, size: int) -> bytes:
    return stream[start : start + size]


def _extract(tar: tarfile.TarFile, info: tarfile.TarInfo, size: int) -> bytes:
    handle = tar.extractfile(info)  # a regular member: never None, never a link
    assert handle is not None
    return handle.read(size)


_NAMES: dict[str, Any] = {"encoding": "utf-8", "errors": "surrogateescape"}
_INFLATERS: dict[str, Callable[[], Any]] = {
    "gz": lambda: zlib.decompressobj(wbits=31),  # 31: a gzip header and trailer, CRC checked
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}


def _inflate(compression: str, data: bytes, most: int) -> bytes | None:
    """The decompressed stream, all streams of a concatenated file in turn (as gzip, bz2 and xz
    readers do); None once it passes `most` bytes, or when it ends early: the forward reader then
    keeps the members before the fault."""
    if compression == "gz" and int.from_bytes(data[-4:], "little") > most:
        return None  # gzip's trailer gives the size (mod 2**32): do not inflate it twice
    parts: list[bytes] = []
    rest, left = data, most
    while rest:
        inflater = _INFLATERS[compression]()
        part = inflater.decompress(rest, left + 1)
        left -= len(part)
        if left < 0 or not inflater.eof:
            return None
        parts.append(part)
        rest = inflater.unused_data.lstrip(b"\0")  # zero padding between streams is allowed
    return b"".join(parts)


def _decompressed(compression: str, data: bytes) -> io.BufferedIOBase:
    raw = io.BytesIO(data)
    if compression == "gz":
        return gzip.GzipFile(fileobj=raw)
    if compression == "bz2":
        return bz2.BZ2File(raw)
    if compression == "xz":
        return lzma.LZMAFile(raw)
    return raw


def _entry(reading: Reading, member: TarMember, read: Callable[[int], bytes]) -> None:
    verdict = reading.enter(member.name)
    if verdict is None or member.type == tarfile.DIRTYPE:
        return
    path = verdict.path
    if member.type in _LINKS:
        reading.link(verdict, _LINKS[member.type], member.linkname)
    elif member.type not in tarfile.REGULAR_TYPES:
        kind = _SPECIAL.get(member.type, f"type {member.type!r}")
        reading.flag(ids.DEVICE, path, f"{path} is a {kind}; not read.", {"type": kind})
    else:
        reading.claim(path, member.size)
        wanted = min(reading.wanted(path, member.size), member.size)  # a head never runs past it
        reading.keep(verdict, member.size, read(wanted))


_LINKS = {tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}
_SPECIAL = {
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
}
