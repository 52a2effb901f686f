"""PyPI's Simple API in JSON (PEP 691/700/740/792) and the Integrity API's provenance.

The project page gives the project status (active, archived, quarantined, deprecated) and, per
file, a provenance URL when it was uploaded with attestations (so by a Trusted Publisher). The
index gives every project's last serial: the basis of reconciliation and of the no-XML-RPC mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analysis.model import Publisher
from analysis.names import normalize
from collector.pypi.http import Http, PyPIUrls, answer
from collector.pypi.json_api import (
    NotFound,
    Stale,
    decode_json,
    fetch_fresh,
    parse_time,
)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"


@dataclass(frozen=True, slots=True)
class SimpleFile:
    filename: str
    provenance_url: str | None
    yanked: bool
    uploaded_at: datetime | None = None
    version: str | None = None  # from the filename; None for formats we cannot read


@dataclass(frozen=True, slots=True)
class SimpleProject:
    name: str
    status: str  # active, archived, quarantined, deprecated
    versions: tuple[str, ...]
    files: Mapping[str, SimpleFile]
    last_serial: int | None


@dataclass(frozen=True, slots=True)
class SimpleIndex:
    last_serial: int
    projects: Mapping[str, int]  # normalized name -> that project's last serial


async def fetch_simple_project(
    http: Http, urls: PyPIUrls, name: str, min_serial: int = 0
) -> SimpleProject | NotFound | Stale:
    return await fetch_fresh(
        http, urls.simple_project(name), parse_simple_project, min_serial, {"Accept": SIMPLE_JSON}
    )


def parse_simple_project(payload: Mapping[str, Any], header_serial: int | None) -> SimpleProject:
    files = payload.get("files")
    if not isinstance(files, list):
        raise ValueError("'files' is missing or not a list")
    status = payload.get("project-status")
    status_text = str(status.get("status", "active")) if isinstance(status, dict) else "active"
    parsed = (_simple_file(item) for item in files)
    raw_meta = payload.get("meta")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    meta_serial = meta.get("_last-serial")
    serial = meta_serial if isinstance(meta_serial, int) else header_serial
    versions = payload.get("versions")
    return SimpleProject(
        name=str(payload.get("name", "")),
        status=status_text,
        versions=tuple(str(v) for v in versions) if isinstance(versions, list) else (),
        files={f.filename: f for f in parsed},
        last_serial=serial,
    )


def _simple_file(item: object) -> SimpleFile:
    if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
        raise ValueError("a file entry lacks a filename")
    provenance = item.get("provenance")
    return SimpleFile(
        filename=item["filename"],
        provenance_url=provenance if isinstance(provenance, str) and provenance else None,
        yanked=bool(item.get("yanked", False)),
        uploaded_at=parse_time(item.get("upload-time")),
        version=version_of(item["filename"]),
    )


def version_of(filename: str) -> str | None:
    """The version in a wheel or sdist filename (PEP 427 / PEP 625 and legacy sdists), as
    spelled there. String splitting, not a full parse: big projects list thousands of files."""
    if filename.endswith(".whl"):
        parts = filename.split("-")
        return parts[1] if len(parts) in (5, 6) else None
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            _, dash, version = filename[: -len(suffix)].rpartition("-")
            return version if dash and version[:1].isdigit() else None
    return None


async def fetch_simple_index(http: Http, urls: PyPIUrls) -> SimpleIndex:
    response = await http.request("GET", urls.simple_index, headers={"Accept": SIMPLE_JSON})
    return answer(
        f"GET {urls.simple_index}", response, lambda body: parse_simple_index(decode_json(body))
    )


def parse_simple_index(payload: Mapping[str, Any]) -> SimpleIndex:
    meta = payload.get("meta")
    projects = payload.get("projects")
    if not isinstance(meta, dict) or not isinstance(projects, list):
        raise ValueError("'meta' or 'projects' is missing")
    serials = {
        normalize(item["name"]): item["_last-serial"]
        for item in projects
        if isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and isinstance(item.get("_last-serial"), int)
    }
    last = meta.get("_last-serial")
    return SimpleIndex(last if isinstance(last, int) else max(serials.values(), default=0), serials)


async def fetch_provenance(http: Http, url: str) -> tuple[Publisher, ...] | None:
    """The Trusted Publisher identities in a file's provenance; None when PyPI has none."""
    response = await http.request("GET", url, headers={"Accept": INTEGRITY_JSON})
    if response.status in (403, 404):
        return None
    return answer(f"GET {url}", response, lambda body: parse_provenance(decode_json(body)))


def parse_provenance(payload: Mapping[str, Any]) -> tuple[Publisher, ...]:
    bundles = payload.get("attestation_bundles")
    if not isinstance(bundles, list):
        raise ValueError("'attestation_bundles' is missing")
    publishers = []
    for bundle in bundles:
        publisher = bundle.get("publisher") if isinstance(bundle, dict) else None
        if isinstance(publisher, dict) and isinstance(publisher.get("kind"), str):
            publishers.append(
                Publisher(
                    kind=publisher["kind"],
                    repository=_opt(publisher.get("repository")),
                    workflow=_opt(publisher.get("workflow") or publisher.get("workflow_filepath")),
                    environment=_opt(publisher.get("environment")),
                )
            )
    return tuple(publishers)


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
