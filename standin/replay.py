"""Publish a recording of real PyPI pages (made by `bench/record_pypi.py`) through the stand-in.

Each recorded release becomes an upload at its recorded time, so the journal (XML-RPC
`changelog_since_serial`, RSS) carries a 'new release' row and one 'add … file' row per file, and
the JSON API serves the recorded `info` object as PyPI sent it (only its URLs point at the
stand-in). The real distribution files are not recorded: the stand-in builds a small archive of
the recorded file's kind (sdist .tar.gz/.zip/.tar.bz2, wheel, egg) under the recorded filename,
and the JSON and Simple pages carry that archive's sha256, md5, blake2b and size, so digests
verify against what the stand-in actually serves rather than against PyPI's bytes.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from standin.metadata import METADATA_KEYS
from standin.pypi import StandInPyPI


@dataclass(frozen=True, slots=True)
class RecordedRelease:
    """One release of the recording, ready to upload."""

    name: str  # display
    version: str
    info: Mapping[str, Any]
    files: tuple[Mapping[str, Any], ...]
    created: datetime

    @property
    def yanked_reason(self) -> str | None:
        """PyPI yanks whole releases; None when the release is not yanked."""
        yanked = [f for f in self.files if f.get("yanked")]
        return (yanked[0].get("yanked_reason") or "") if yanked else None


def load_recording(path: Path) -> dict[str, Any]:
    """The recording as written: gzip-compressed JSON."""
    recording: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return recording


def parse_releases(recording: Mapping[str, Any]) -> list[RecordedRelease]:
    """Every recorded release, oldest first, so serials follow upload times as on PyPI."""
    fallback = datetime.fromisoformat(recording["recorded_at"])
    releases = [
        _release(project, version, files, fallback)
        for project in recording["projects"]
        for version, files in project["project"]["releases"].items()
    ]
    return sorted(releases, key=lambda r: r.created)


def _release(
    project: Mapping[str, Any], version: str, files: list[dict[str, Any]], fallback: datetime
) -> RecordedRelease:
    page = project["releases"].get(version) or project["project"]
    info = page["info"] if page["info"].get("version") == version else project["project"]["info"]
    times = [_uploaded(f) for f in files]
    return RecordedRelease(
        project["project"]["info"]["name"],
        version,
        info,
        tuple(files),
        min(times, default=fallback),
    )


def _uploaded(file: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(file["upload_time_iso_8601"].replace("Z", "+00:00")).astimezone(
        UTC
    )


def publish_recording(pypi: StandInPyPI, recording: Mapping[str, Any]) -> list[RecordedRelease]:
    """Upload every recorded release and file; returns what was published."""
    releases = parse_releases(recording)
    for release in releases:
        publish_release(pypi, release)
    return releases


def publish_release(pypi: StandInPyPI, release: RecordedRelease) -> None:
    metadata = {key: value for key, value in release.info.items() if key in METADATA_KEYS}
    pypi.upload(
        release.name, release.version, files=[], metadata=metadata, timestamp=release.created
    )
    stored = pypi.release(release.name, release.version)
    assert stored is not None
    stored.recorded_info = dict(release.info)
    for file in sorted(release.files, key=_uploaded):
        pypi.add_file(
            release.name,
            release.version,
            file["filename"],
            file["python_version"],
            timestamp=_uploaded(file),
        )
    if (reason := release.yanked_reason) is not None:
        pypi.yank(release.name, release.version, reason, timestamp=release.created)
