"""Render the JSON API, the Simple API (JSON and HTML) and provenance exactly as Warehouse shapes them.

Pure functions of registry records. `as_of` renders a stale copy: what a CDN that last fetched
the page at that serial would still serve (later releases and files missing, an older serial).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from packaging.version import InvalidVersion, Version

from standin.metadata import METADATA_KEYS
from standin.state import Project, Release, StoredFile

SIMPLE_API_VERSION = "1.4"
_ZERO = Version("0")


# ---------------------------------------------------------------------------------- shared
def version_key(version: str) -> tuple[int, Version, str]:
    """PEP 440 order; versions that do not parse sort first, by their text."""
    try:
        return (1, Version(version), "")
    except InvalidVersion:
        return (0, _ZERO, version)


def iso_z(moment: datetime) -> str:
    """Warehouse's `upload_time.isoformat() + "Z"` (microseconds only when non-zero)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def file_url(base: str, stored: StoredFile) -> str:
    return f"{base}/packages/{stored.blob.path(stored.filename)}"


def provenance_url(base: str, stored: StoredFile) -> str | None:
    if stored.publisher is None:
        return None
    return f"{base}/integrity/{stored.project}/{stored.version}/{stored.filename}/provenance"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def visible_releases(project: Project, as_of: int | None = None) -> list[Release]:
    """Releases the JSON and Simple APIs show (quarantined ones hidden), in version order."""
    releases = [
        r
        for r in project.releases.values()
        if not r.quarantined and (as_of is None or r.created_serial <= as_of)
    ]
    return sorted(releases, key=lambda r: version_key(r.version))


def visible_files(release: Release, as_of: int | None = None) -> list[StoredFile]:
    return [f for f in release.files if as_of is None or f.serial <= as_of]


def info_release(releases: Sequence[Release]) -> Release | None:
    """The project page's release: non-yanked first, then final releases, then highest version."""
    newest_first = sorted(releases, key=lambda r: version_key(r.version), reverse=True)
    return min(newest_first, key=lambda r: (r.yanked, _prerelease_rank(r.version)), default=None)


def _prerelease_rank(version: str) -> int:
    try:
        return 1 if Version(version).is_prerelease else 0
    except InvalidVersion:
        return 2  # is_prerelease is NULL for these: NULLS LAST


# ---------------------------------------------------------------------------------- JSON API
def render_file(base: str, stored: StoredFile, release: Release) -> dict[str, Any]:
    blob = stored.blob
    core = blob.core_metadata_sha256
    return {
        "comment_text": "",
        "core-metadata": {"sha256": core} if core else False,
        "digests": {"blake2b_256": blob.blake2b_256, "md5": blob.md5, "sha256": blob.sha256},
        "downloads": -1,
        "filename": stored.filename,
        "has_sig": False,
        "md5_digest": blob.md5,
        "packagetype": stored.kind.packagetype,
        "python_version": stored.kind.python_version,
        "requires_python": release.metadata.get("requires_python") or None,
        "size": blob.size,
        "upload_time": stored.uploaded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": iso_z(stored.uploaded_at),
        "url": file_url(base, stored),
        "yanked": release.yanked,
        "yanked_reason": release.yanked_reason or None,
    }


def render_info(base: str, project: Project, release: Release) -> dict[str, Any]:
    project_url = f"{base}/project/{project.normalized}/"
    if release.recorded_info is not None:
        return _replayed_info(project_url, release)
    meta = release.metadata
    info: dict[str, Any] = {key: meta.get(key) for key in METADATA_KEYS}  # some reshaped below
    info.update(
        classifiers=list(meta.get("classifiers") or []),
        downloads={"last_day": -1, "last_month": -1, "last_week": -1},
        name=project.name,
        package_url=project_url,
        project_url=project_url,
        project_urls=dict(meta["project_urls"]) if meta.get("project_urls") else None,
        release_url=f"{project_url}{release.version}/",
        requires_dist=list(meta["requires_dist"]) if meta.get("requires_dist") else None,
        version=release.version,
        yanked=release.yanked,
        yanked_reason=release.yanked_reason or None,
    )
    return dict(sorted(info.items()))


def _replayed_info(project_url: str, release: Release) -> dict[str, Any]:
    """A recorded `info` kept as PyPI sent it, odd shapes included; only its URLs and the
    yank state (which the registry owns) are the stand-in's."""
    assert release.recorded_info is not None
    return {
        **release.recorded_info,
        "package_url": project_url,
        "project_url": project_url,
        "release_url": f"{project_url}{release.version}/",
        "yanked": release.yanked,
        "yanked_reason": release.yanked_reason or None,
    }


def render_ownership(project: Project) -> dict[str, Any]:
    roles = sorted(project.roles, key=lambda r: (r[0] != "Owner", r[1]))
    return {
        "roles": [{"role": role, "user": user} for role, user in roles],
        "organization": project.organization,
    }


def render_release_json(
    base: str, project: Project, release: Release, serial: int, as_of: int | None = None
) -> dict[str, Any]:
    """`/pypi/<name>/<version>/json`."""
    return {
        "info": render_info(base, project, release),
        "last_serial": serial,
        "urls": [render_file(base, f, release) for f in visible_files(release, as_of)],
        "vulnerabilities": [],
        "ownership": render_ownership(project),
    }


def render_project_json(
    base: str, project: Project, serial: int, as_of: int | None = None
) -> dict[str, Any] | None:
    """`/pypi/<name>/json`, or None (a 404) when no release is visible."""
    releases = visible_releases(project, as_of)
    chosen = info_release(releases)
    if chosen is None:
        return None
    payload = render_release_json(base, project, chosen, serial, as_of)
    payload["releases"] = {
        r.version: [render_file(base, f, r) for f in visible_files(r, as_of)] for r in releases
    }
    order = ("info", "last_serial", "releases", "urls", "vulnerabilities", "ownership")
    return {key: payload[key] for key in order}


# ---------------------------------------------------------------------------------- Simple API
def render_simple_index(projects: Iterable[tuple[Project, int]], serial: int) -> dict[str, Any]:
    """PEP 691 index; `projects` pairs each project with the serial to show for it."""
    return {
        "meta": {"api-version": SIMPLE_API_VERSION, "_last-serial": serial},
        "projects": [{"name": p.name, "_last-serial": s} for p, s in projects],
    }


def render_simple_index_html(projects: Iterable[tuple[Project, int]], serial: int) -> str:
    links = "".join(
        f'    <a href="/simple/{p.normalized}/">{html.escape(p.name)}</a>\n' for p, _ in projects
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{SIMPLE_API_VERSION}">\n'
        "    <title>Simple index</title>\n  </head>\n  <body>\n"
        f"{links}  </body>\n</html>\n<!--SERIAL {serial}-->\n"
    )


def project_status(project: Project) -> str:
    return "quarantined" if project.quarantined else "active"


def simple_files(project: Project, as_of: int | None = None) -> list[tuple[Release, StoredFile]]:
    """Files the Simple API lists: none for a quarantined project (PEP 792)."""
    if project.quarantined:
        return []
    pairs = [(r, f) for r in visible_releases(project, as_of) for f in visible_files(r, as_of)]
    return sorted(pairs, key=lambda pair: (version_key(pair[0].version), pair[1].filename))


def render_simple_file(base: str, release: Release, stored: StoredFile) -> dict[str, Any]:
    core = stored.blob.core_metadata_sha256
    return {
        "filename": stored.filename,
        "url": file_url(base, stored),
        "hashes": {"sha256": stored.blob.sha256},
        "requires-python": release.metadata.get("requires_python") or None,
        "size": stored.blob.size,
        "upload-time": iso_z(stored.uploaded_at),
        "yanked": (release.yanked_reason or True) if release.yanked else False,
        "data-dist-info-metadata": {"sha256": core} if core else False,
        "core-metadata": {"sha256": core} if core else False,
        "provenance": provenance_url(base, stored),
    }


def render_simple_detail(
    base: str, project: Project, serial: int, as_of: int | None = None
) -> dict[str, Any]:
    pairs = simple_files(project, as_of)
    return {
        "meta": {"api-version": SIMPLE_API_VERSION, "_last-serial": serial},
        "name": project.normalized,
        "project-status": {"status": project_status(project)},
        "versions": sorted({r.version for r, _ in pairs}, key=version_key),
        "alternate-locations": [],
        "files": [render_simple_file(base, r, f) for r, f in pairs],
    }


def render_simple_detail_html(
    base: str, project: Project, serial: int, as_of: int | None = None
) -> str:
    anchors = "".join(
        _anchor(render_simple_file(base, r, f)) for r, f in simple_files(project, as_of)
    )
    name = html.escape(project.normalized)
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{SIMPLE_API_VERSION}">\n'
        f'    <meta name="pypi:project-status" content="{project_status(project)}">\n'
        f"    <title>Links for {name}</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for {name}</h1>\n{anchors}  </body>\n</html>\n<!--SERIAL {serial}-->\n"
    )


def _anchor(entry: dict[str, Any]) -> str:
    attrs = [f'href="{html.escape(entry["url"])}#sha256={entry["hashes"]["sha256"]}"']
    if entry["requires-python"]:
        attrs.append(f'data-requires-python="{html.escape(entry["requires-python"])}"')
    if entry["yanked"] is not False:
        reason = "" if entry["yanked"] is True else entry["yanked"]
        attrs.append(f'data-yanked="{html.escape(reason)}"')
    if entry["core-metadata"]:
        digest = entry["core-metadata"]["sha256"]
        attrs += [
            f'data-dist-info-metadata="sha256={digest}"',
            f'data-core-metadata="sha256={digest}"',
        ]
    if entry["provenance"]:
        attrs.append(f'data-provenance="{html.escape(entry["provenance"])}"')
    return f"    <a {' '.join(attrs)}>{html.escape(entry['filename'])}</a><br />\n"


# ---------------------------------------------------------------------------------- Integrity API
def render_provenance(stored: StoredFile) -> dict[str, Any]:
    """A PEP 740 provenance object. The signature material is stand-in bytes, not real Sigstore."""
    assert stored.publisher is not None
    publisher = {**stored.publisher}
    publisher.setdefault("claims", None)
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": stored.filename, "digest": {"sha256": stored.blob.sha256}}],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
    }
    statement_bytes = json.dumps(statement, separators=(",", ":")).encode()
    attestation = {
        "version": 1,
        "verification_material": {
            "certificate": _b64(f"stand-in certificate for {publisher.get('repository')}".encode()),
            "transparency_entries": [_transparency_entry(stored, statement_bytes)],
        },
        "envelope": {
            "statement": _b64(statement_bytes),
            "signature": _b64(hashlib.sha256(b"stand-in signature" + statement_bytes).digest()),
        },
    }
    bundle = {"publisher": publisher, "attestations": [attestation]}
    return {"version": 1, "attestation_bundles": [bundle]}


def _transparency_entry(stored: StoredFile, statement: bytes) -> dict[str, Any]:
    return {
        "logIndex": str(stored.serial),
        "logId": {"keyId": _b64(hashlib.sha256(b"stand-in rekor").digest())},
        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
        "integratedTime": str(int(stored.uploaded_at.timestamp())),
        "inclusionPromise": {"signedEntryTimestamp": _b64(hashlib.sha256(statement).digest())},
        "canonicalizedBody": _b64(statement),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
