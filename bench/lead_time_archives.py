"""What a real upload's archive says about itself, read from its headers in memory: when its
newest member was written, and the core metadata PyPI's JSON would carry for it.

Nothing is unpacked to disk or run: member headers are listed, and the one metadata file
(PKG-INFO or METADATA) is read as bytes and parsed as an email header block, as PyPI does.
"""

from __future__ import annotations

import io
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import Parser
from email.policy import compat32
from typing import Any

METADATA_PATH = re.compile(r"[^/]+/PKG-INFO|[^/]+\.dist-info/METADATA|EGG-INFO/PKG-INFO")
METADATA_LIMIT = 1_000_000  # bytes: a metadata file larger than this is not one
UNREADABLE = (
    tarfile.TarError,
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
)
# JSON `info` keys PyPI fills from the uploaded metadata, and the header each comes from. A key
# the archive lacks is blank, as PyPI leaves it (the stand-in's defaults describe a tidy project).
TEXT_FIELDS = {
    "summary": "Summary",
    "author": "Author",
    "author_email": "Author-email",
    "maintainer": "Maintainer",
    "maintainer_email": "Maintainer-email",
    "license": "License",
    "keywords": "Keywords",
    "home_page": "Home-page",
    "download_url": "Download-URL",
    "requires_python": "Requires-Python",
}
LIST_FIELDS = {
    "classifiers": "Classifier",
    "requires_dist": "Requires-Dist",
    "provides_extra": "Provides-Extra",
    "platform": "Platform",
    "dynamic": "Dynamic",
}
_CONTINUATION = re.compile(r"\n(?: {8}|\t| {7}\|)")  # how setuptools indents a long Description


@dataclass(frozen=True, slots=True)
class ArchiveFacts:
    """What a release's files say: the newest mtime of any member, and the metadata of the first
    file that has one (name as written, and as JSON `info` keys)."""

    newest: datetime | None = None
    name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def read_facts(files: Iterable[bytes]) -> ArchiveFacts:
    times: list[datetime] = []
    headers: Message | None = None
    for data in files:
        found_times, found = _read(data)
        times += found_times
        headers = headers or found
    newest = max(times, default=None)
    if headers is None:
        return ArchiveFacts(newest, None, json_metadata(Message()))
    return ArchiveFacts(newest, headers.get("Name"), json_metadata(headers))


def _read(data: bytes) -> tuple[list[datetime], Message | None]:
    """Member times and the metadata headers of one file, tar or zip by its content."""
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            return _read_zip(data)
        return _read_tar(data)
    except UNREADABLE:
        return [], None


def _read_zip(data: bytes) -> tuple[list[datetime], Message | None]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        times = list(_zip_times(infos))
        member = next((i for i in infos if METADATA_PATH.fullmatch(i.filename)), None)
        if member is None or member.file_size > METADATA_LIMIT:
            return times, None
        return times, _parse(archive.read(member))


def _zip_times(infos: Iterable[zipfile.ZipInfo]) -> Iterator[datetime]:
    for info in infos:
        try:
            yield datetime(*info.date_time, tzinfo=UTC)  # zip stores local time: taken as UTC
        except ValueError:
            continue


def _read_tar(data: bytes) -> tuple[list[datetime], Message | None]:
    times, headers = [], None
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for member in archive:
            times.append(datetime.fromtimestamp(member.mtime, UTC))
            path = member.name.removeprefix("./")
            if headers is None and member.isfile() and METADATA_PATH.fullmatch(path):
                handle = archive.extractfile(member)
                if handle is not None and member.size <= METADATA_LIMIT:
                    headers = _parse(handle.read())
    return times, headers


def _parse(raw: bytes) -> Message:
    return Parser(policy=compat32).parsestr(raw.decode("utf-8", "replace"))


def json_metadata(headers: Message) -> dict[str, Any]:
    """The JSON `info` keys PyPI derives from an upload's core metadata."""
    info: dict[str, Any] = {key: _text(headers, name) for key, name in TEXT_FIELDS.items()}
    info.update({key: _texts(headers, name) or None for key, name in LIST_FIELDS.items()})
    info["classifiers"] = info["classifiers"] or []
    info["license_expression"] = _text(headers, "License-Expression") or None
    info["description_content_type"] = _text(headers, "Description-Content-Type") or None
    info["description"] = _description(headers)
    info["project_urls"] = _project_urls(headers, info["home_page"], info["download_url"])
    return info


def _text(headers: Message, name: str) -> str:
    return str(headers.get(name, "")).strip()


def _texts(headers: Message, name: str) -> list[str]:
    return [str(value).strip() for value in headers.get_all(name) or []]


def _description(headers: Message) -> str:
    """Metadata 2.1 puts it in the body; older files in a folded header."""
    body = headers.get_payload()
    if isinstance(body, str) and body.strip():
        return body
    return _CONTINUATION.sub("\n", str(headers.get("Description", "")))


def _project_urls(headers: Message, home_page: str, download_url: str) -> dict[str, str] | None:
    """Project-URL lines (`label, url`), with Homepage and Download added as PyPI's JSON does."""
    urls: dict[str, str] = {}
    for line in _texts(headers, "Project-URL"):
        label, _, url = line.partition(",")
        if url.strip():
            urls[label.strip()] = url.strip()
    for label, url in (("Homepage", home_page), ("Download", download_url)):
        if url and url != "UNKNOWN":
            urls.setdefault(label, url)
    return urls or None
