"""Tar sdists (.tar.gz, .tar.bz2, .tar.xz, .tar), read as one forward stream in memory."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile

from analysis.archive import findings as ids
from analysis.archive.state import Reading


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
            raise self._reading.fail(ids.BOMB, "", f"{self._reading.filename} unpacks to a "
                                     "tar stream beyond twice the total limit.",
                                     {"limit": self._reading.limits.max_total * 2})  # fmt: skip
        return chunk


def _decompressed(compression: str, data: bytes) -> io.BufferedIOBase:
    raw = io.BytesIO(data)
    if compression == "gz":
        return gzip.GzipFile(fileobj=raw)
    if compression == "bz2":
        return bz2.BZ2File(raw)
    if compression == "xz":
        return lzma.LZMAFile(raw)
    return raw


def read_tar(reading: Reading, data: bytes, compression: str) -> None:
    """Read every member of a tar stream into `reading`; raises on a malformed stream."""
    # Headers and padding ride on top of the members' bytes, hence the slack of twice the limit.
    stream = _CappedStream(_decompressed(compression, data), 2 * reading.limits.max_total, reading)
    # "r|": a forward-only stream, no seeking back, members handled as they pass.
    with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
        for info in tar:
            _entry(reading, tar, info)


def _entry(reading: Reading, tar: tarfile.TarFile, info: tarfile.TarInfo) -> None:
    verdict = reading.enter(info.name)
    if verdict is None or info.isdir():
        return
    path = verdict.path
    if info.issym() or info.islnk():
        reading.link(verdict, "symlink" if info.issym() else "hardlink", info.linkname)
    elif not info.isreg():
        kind = _SPECIAL.get(info.type, f"type {info.type!r}")
        reading.flag(ids.DEVICE, path, f"{path} is a {kind}; not read.", {"type": kind})
    else:
        reading.claim(path, info.size)
        handle = tar.extractfile(info)  # a regular member: never None, never a link
        assert handle is not None
        reading.keep(verdict, info.size, handle.read(reading.wanted(path, info.size)))


_SPECIAL = {
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
}
