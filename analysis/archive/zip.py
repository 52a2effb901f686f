"""Zip archives (wheels, eggs, .zip sdists), read member by member from the central directory."""

from __future__ import annotations

import io
import stat
import zipfile

from analysis.archive import findings as ids
from analysis.archive.state import Reading, describe

_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_CENTRAL_ENTRY = b"PK\x01\x02"
_LINK_MAX = 1024  # bytes of a symlink entry's data, its target; longer is no path we judge


def read_zip(reading: Reading, data: bytes) -> None:
    """Read every member into `reading`; raises on a malformed central directory."""
    # zipfile parses the whole central directory before we see one entry; each entry starts
    # with this signature, so counting it bounds that work before it starts.
    signatures = data.count(_CENTRAL_ENTRY)
    if signatures > 4 * (limit := reading.limits.max_members):
        summary = f"{reading.filename} has up to {signatures} members; none were read."
        raise reading.fail(ids.TOO_MANY, "", summary, {"limit": limit, "value": signatures})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            _entry(reading, archive, info)


def _entry(reading: Reading, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    # Without the UTF-8 flag zipfile decodes cp437, other tools the local code page or UTF-8.
    undecodable = not info.flag_bits & _UTF8_FLAG and not info.filename.isascii()
    verdict = reading.enter(info.filename, undecodable=undecodable)
    if verdict is None or info.is_dir():
        return
    path = verdict.path
    if stat.S_ISLNK(info.external_attr >> 16):
        reading.link(verdict, "symlink", _link_target(archive, info))
        return
    if info.flag_bits & _ENCRYPTED_FLAG:
        reading.flag(ids.ENCRYPTED, path, f"{path} is encrypted; not read.")
        return
    # zipfile never returns more than the declared size, so the declared size decides a bomb;
    # the work is only what we read, the head of anything that is not text.
    wanted = reading.wanted(path, info.file_size)
    reading.claim(path, info.file_size, info.compress_size, min(wanted, info.file_size))
    try:
        data = _read(archive, info, wanted)
    except Exception as exc:  # noqa: BLE001 - hostile bytes: any error is a broken member, the rest may read
        reading.fail(ids.UNREADABLE, path, f"{path} could not be read: {describe(exc)}")
        return
    reading.keep(verdict, info.file_size, data)


def _link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """A zip symlink's data is its target path; None when it cannot be read whole."""
    if info.file_size > _LINK_MAX:
        return None
    try:
        return _read(archive, info, _LINK_MAX).decode("utf-8", "surrogateescape")
    except Exception:  # noqa: BLE001 - hostile bytes: an unreadable target is an unknown one
        return None


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, wanted: int) -> bytes:
    if info.file_size == 0:  # nothing to read; opening costs more than the rest of the entry
        return b""
    with archive.open(info) as handle:
        return handle.read(wanted)
