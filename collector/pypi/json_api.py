"""PyPI's JSON API: one release's page (`/pypi/<name>/<version>/json`) and a project's page.

Freshness: the CDN may serve a copy older than the event that sent us here, so every page's
`X-PyPI-Last-Serial` must reach the serial we need; a page that does not is `Stale`, a value.
Quarantined and deleted releases answer 404: `NotFound`, also a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from analysis.model import DistFile, Ownership, ProjectFacts, ReleaseMetadata
from collector.pypi.http import Http, PyPIUrls, Response, answer

T = TypeVar("T")
MAX_DESCRIPTION = 100_000  # characters kept of a description; some are megabytes of junk


@dataclass(frozen=True, slots=True)
class ReleasePage:
    metadata: ReleaseMetadata
    files: tuple[DistFile, ...]
    ownership: Ownership | None
    last_serial: int | None


@dataclass(frozen=True, slots=True)
class ProjectPage:
    """The project endpoint: its `info` (latest stable release) and every version's files."""

    metadata: ReleaseMetadata
    versions: Mapping[str, tuple[DistFile, ...]]
    ownership: Ownership | None
    last_serial: int | None


@dataclass(frozen=True, slots=True)
class NotFound:
    last_serial: int | None


@dataclass(frozen=True, slots=True)
class Stale:
    served_serial: int | None
    wanted_serial: int


def served_serial(response: Response) -> int | None:
    value = response.headers.get("x-pypi-last-serial", "").strip()
    return int(value) if value.isdigit() else None


def check_fresh(response: Response, min_serial: int) -> Stale | None:
    """Stale when the page predates `min_serial` (a missing header counts as stale when it matters)."""
    serial = served_serial(response)
    if min_serial > 0 and (serial is None or serial < min_serial):
        return Stale(serial, min_serial)
    return None


async def fetch_fresh(
    http: Http,
    url: str,
    parse: Callable[[dict[str, Any], int | None], T],
    min_serial: int,
    headers: Mapping[str, str] | None = None,
) -> T | NotFound | Stale:
    """GET a JSON page that must be at least as fresh as `min_serial`; 404 is NotFound."""
    response = await http.request("GET", url, headers=headers)
    page = None
    if response.status != 404:  # garbage is garbage whatever its headers say
        serial = served_serial(response)
        page = answer(f"GET {url}", response, lambda body: parse(decode_json(body), serial))
    if stale := check_fresh(response, min_serial):
        return stale
    return page if page is not None else NotFound(served_serial(response))


async def fetch_release(
    http: Http, urls: PyPIUrls, name: str, version: str, min_serial: int = 0
) -> ReleasePage | NotFound | Stale:
    return await fetch_fresh(http, urls.release_json(name, version), parse_release_page, min_serial)


async def fetch_project(http: Http, urls: PyPIUrls, name: str) -> ProjectPage | NotFound:
    url = urls.project_json(name)
    response = await http.request("GET", url)
    serial = served_serial(response)
    if response.status == 404:
        return NotFound(serial)
    return answer(
        f"GET {url}", response, lambda body: parse_project_page(decode_json(body), serial)
    )


def decode_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"expected a JSON object, got {type(payload).__name__}")
    return payload


def parse_release_page(payload: Mapping[str, Any], last_serial: int | None) -> ReleasePage:
    """Decode a release page; ValueError when required parts are missing or mistyped."""
    info = _require(payload, "info", dict)
    files = tuple(parse_file(item) for item in _require(payload, "urls", list))
    return ReleasePage(
        parse_info(info), files, parse_ownership(payload.get("ownership")), last_serial
    )


def parse_project_page(payload: Mapping[str, Any], last_serial: int | None) -> ProjectPage:
    info = _require(payload, "info", dict)
    releases = payload.get("releases") or {}
    if not isinstance(releases, dict):
        raise ValueError("'releases' is not an object")
    versions = {
        str(version): tuple(parse_file(item) for item in _as_list(files, "releases entry"))
        for version, files in releases.items()
    }
    return ProjectPage(
        parse_info(info), versions, parse_ownership(payload.get("ownership")), last_serial
    )


def project_facts(page: ProjectPage) -> ProjectFacts:
    """How old a project is (its earliest file) and how many versions have files."""
    files = [f for version in page.versions.values() for f in version]
    uploads = [f.uploaded_at for f in files if f.uploaded_at is not None]
    return ProjectFacts(min(uploads, default=None), sum(1 for v in page.versions.values() if v))


def parse_info(info: Mapping[str, Any]) -> ReleaseMetadata:
    name, version = _text(info, "name"), _text(info, "version")
    if not name or not version:
        raise ValueError("info lacks name or version")
    return ReleaseMetadata(
        name=name,
        version=version,
        summary=_text(info, "summary"),
        description=_text(info, "description")[:MAX_DESCRIPTION],
        description_content_type=_text(info, "description_content_type"),
        author=_text(info, "author"),
        author_email=_text(info, "author_email"),
        maintainer=_text(info, "maintainer"),
        maintainer_email=_text(info, "maintainer_email"),
        license=_text(info, "license"),
        license_expression=_text(info, "license_expression"),
        classifiers=_strings(info.get("classifiers")),
        keywords=_text(info, "keywords"),
        home_page=_text(info, "home_page"),
        download_url=_text(info, "download_url"),
        project_urls=_pairs(info.get("project_urls")),
        requires_dist=_strings(info.get("requires_dist")),
        requires_python=_text(info, "requires_python"),
        yanked=bool(info.get("yanked", False)),
        yanked_reason=_text(info, "yanked_reason"),
    )


def parse_file(item: object) -> DistFile:
    if not isinstance(item, dict):
        raise ValueError("a file entry is not an object")
    filename, url = _text(item, "filename"), _text(item, "url")
    if not filename or not url:
        raise ValueError("a file entry lacks filename or url")
    raw_digests = item.get("digests")
    digests: Mapping[str, Any] = raw_digests if isinstance(raw_digests, dict) else {}
    return DistFile(
        filename=filename,
        url=url,
        packagetype=_text(item, "packagetype"),
        python_version=_text(item, "python_version"),
        size=_int(item.get("size")),
        sha256=_text(digests, "sha256"),
        blake2b_256=_text(digests, "blake2b_256"),
        md5=_text(digests, "md5") or _text(item, "md5_digest"),
        uploaded_at=parse_time(item.get("upload_time_iso_8601") or item.get("upload_time")),
        requires_python=_text(item, "requires_python") or None,
        yanked=bool(item.get("yanked", False)),
        yanked_reason=_text(item, "yanked_reason") or None,
    )


def parse_ownership(value: object) -> Ownership | None:
    if not isinstance(value, dict):
        return None  # older pages and mirrors have no ownership
    roles = tuple(
        (_text(role, "role"), _text(role, "user"))
        for role in _as_list(value.get("roles") or [], "ownership roles")
        if isinstance(role, dict) and _text(role, "user")
    )
    return Ownership(roles=roles, organization=_text(value, "organization") or None)


def parse_time(value: object) -> datetime | None:
    """ISO 8601 from PyPI ('...Z', or naive meaning UTC); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _require(payload: Mapping[str, Any], key: str, kind: type) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind):
        raise ValueError(f"{key!r} is missing or not a {kind.__name__}")
    return value


def _as_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return value


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if item is not None)


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple((str(label), str(url)) for label, url in value.items() if url)
