"""Building distribution files in memory for the malicious-shaped samples: sdists (.tar.gz) and
wheels (.zip) with real metadata, byte-for-byte reproducible, plus the raw entries a hostile
archive needs (links, traversing paths, bombs)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MTIME = 1_700_000_000  # fixed, so the same sample is the same bytes on every run
ZIP_DATE = (2023, 11, 14, 22, 13, 20)


@dataclass(frozen=True, slots=True)
class Link:
    """A symbolic link member (tar symlink, or a zip entry with the S_IFLNK mode bits)."""

    target: str


@dataclass(frozen=True, slots=True)
class Raw:
    """A member written exactly at this path (no sdist top directory): traversal, absolute."""

    path: str
    data: bytes | Link


Content = str | bytes | Link
Files = Mapping[str, Content]


def _bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


def dist_name(project: str) -> str:
    """The file-name form of a project name (PEP 427/625: runs of -_. become _)."""
    return project.replace("-", "_").replace(".", "_").lower()


def core_metadata(
    project: str, version: str, requires: Iterable[str] = (), summary: str = ""
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project}", f"Version: {version}"]
    lines.append(f"Summary: {summary or 'Utilities.'}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n\n"


def build_sdist(
    project: str,
    version: str,
    files: Files,
    *,
    requires: Iterable[str] = (),
    raw: Iterable[Raw] = (),
) -> tuple[str, bytes]:
    """A .tar.gz sdist with PKG-INFO under `<name>-<version>/`; returns (filename, bytes)."""
    top = f"{dist_name(project)}-{version}"
    entries: list[tuple[str, bytes | Link]] = [
        (f"{top}/PKG-INFO", core_metadata(project, version, requires).encode())
    ]
    entries += [
        (f"{top}/{path}", c if isinstance(c, Link) else _bytes(c)) for path, c in files.items()
    ]
    entries += [(r.path, r.data) for r in raw]
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path, data in entries:
            info = tarfile.TarInfo(path)
            info.mtime = MTIME
            if isinstance(data, Link):
                info.type = tarfile.SYMTYPE
                info.linkname = data.target
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return f"{top}.tar.gz", buffer.getvalue()


def build_wheel(
    project: str,
    version: str,
    files: Files,
    *,
    requires: Iterable[str] = (),
    entry_points: str = "",
    tag: str = "py3-none-any",
    raw: Iterable[Raw] = (),
) -> tuple[str, bytes]:
    """A wheel with METADATA, WHEEL, entry_points.txt and a RECORD of sha256 hashes."""
    name = dist_name(project)
    info_dir = f"{name}-{version}.dist-info"
    members: dict[str, bytes | Link] = {
        p: c if isinstance(c, Link) else _bytes(c) for p, c in files.items()
    }
    members[f"{info_dir}/METADATA"] = core_metadata(project, version, requires).encode()
    members[f"{info_dir}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: {tag}\n\n".encode()
    )
    if entry_points:
        members[f"{info_dir}/entry_points.txt"] = entry_points.encode()
    members[f"{info_dir}/RECORD"] = _record(members, f"{info_dir}/RECORD")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in [*members.items(), *((r.path, r.data) for r in raw)]:
            _write_zip(archive, path, data)
    return f"{name}-{version}-{tag}.whl", buffer.getvalue()


def _record(members: Mapping[str, bytes | Link], record_path: str) -> bytes:
    rows = []
    for path, data in members.items():
        if isinstance(data, Link):
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{path},sha256={digest},{len(data)}")
    rows.append(f"{record_path},,")
    return ("\n".join(rows) + "\n").encode()


def _write_zip(archive: zipfile.ZipFile, path: str, data: bytes | Link) -> None:
    info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    if isinstance(data, Link):
        info.create_system = 3  # unix, so the mode bits below are read
        info.external_attr = 0o120777 << 16
        archive.writestr(info, data.target)
    else:
        info.external_attr = 0o644 << 16
        archive.writestr(info, data, compresslevel=9)
