"""The stand-in's other surfaces: files, provenance, the observations (danger) API, top packages.

Also tiny `/project/<name>/` pages, so RSS links resolve when a person clicks one in the demo.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web
from packaging.utils import canonicalize_version

from analysis.names import normalize
from collector.media import negotiate_media
from standin import wire
from standin.pypi import Observation, StandInPyPI
from standin.responses import (
    CORS,
    DANGER_JSON,
    INTEGRITY_JSON,
    JSON,
    conditional,
    not_found_json,
    serve,
)
from standin.state import StoredFile

if TYPE_CHECKING:
    from aiohttp.web_urldispatcher import UrlDispatcher

OBSERVATION_KINDS = frozenset(
    {"is_dependency_confusion", "is_malware", "is_spam", "something_else"}
)
TOP_PACKAGES_PATHS = (
    "/top-pypi-packages.min.json",
    "/top-pypi-packages.json",
    "/top-pypi-packages/top-pypi-packages.min.json",
    "/top-pypi-packages/top-pypi-packages.json",
)
OSV_DUMP_PATH = "/osv/PyPI/all.zip"  # where OSV's bucket keeps the PyPI dump, under /osv
_FORBIDDEN = {"message": "Access was denied to this resource."}


class Services:
    def __init__(self, pypi: StandInPyPI) -> None:
        self.pypi = pypi
        self.registry = pypi.registry

    def add_routes(self, router: UrlDispatcher) -> None:
        router.add_get("/integrity/{project}/{version}/{filename}/provenance", self.provenance)
        router.add_get("/packages/{a}/{b}/{digest}/{filename}", self.files)
        router.add_post("/danger-api/projects/{name}/observations", self.observations)
        router.add_get("/danger-api/echo", self.echo)
        for path in TOP_PACKAGES_PATHS:
            router.add_get(path, self.top_packages)
        router.add_get(OSV_DUMP_PATH, self.osv_dump)
        router.add_get("/project/{name}/", self.project_page)
        router.add_get("/project/{name}/{version}/", self.project_page)

    # ------------------------------------------------------------------ integrity API
    async def provenance(self, request: web.Request) -> web.StreamResponse:
        project = request.match_info["project"]
        render = partial(self._provenance, request)
        return await serve(self.pypi.faults, request, "provenance", project, render)

    def _provenance(self, request: web.Request, lag: int | None) -> web.Response:
        content_type = negotiate_media(request.headers.get("Accept", ""), (INTEGRITY_JSON, JSON))
        if content_type is None:
            return web.json_response({"message": "Request not acceptable"}, status=406)
        info = request.match_info
        stored = self.registry.files.get(info["filename"])
        owner = self.registry.project(info["project"])
        if stored is None or owner is None or owner.quarantined or not _same_file(stored, info):
            return not_found_json()
        if stored.publisher is None:
            return not_found_json(f"No provenance available for {stored.filename}")
        body = wire.dumps(wire.render_provenance(stored))
        return conditional(request, body, content_type, {"Vary": "Accept"})

    # ------------------------------------------------------------------ files
    async def files(self, request: web.Request) -> web.StreamResponse:
        stored, metadata = self._lookup_file(request.match_info["filename"])
        project = stored.project if stored else None
        render = partial(self._file, request, stored, metadata)
        return await serve(self.pypi.faults, request, "files", project, render)

    def _lookup_file(self, filename: str) -> tuple[StoredFile | None, bool]:
        """The file, and whether its PEP 658 `.metadata` companion was asked for."""
        stored = self.registry.files.get(filename)
        if stored is None and filename.endswith(".metadata"):
            return self.registry.files.get(filename.removesuffix(".metadata")), True
        return stored, False

    def _file(
        self, request: web.Request, stored: StoredFile | None, metadata: bool, lag: int | None
    ) -> web.Response:
        info = request.match_info
        requested = f"{info['a']}/{info['b']}/{info['digest']}/{stored.filename if stored else ''}"
        if stored is None or requested != stored.blob.path(stored.filename):
            return web.Response(status=404, text="Not Found")
        body = stored.blob.core_metadata if metadata else stored.blob.content
        if body is None:
            return web.Response(status=404, text="Not Found")
        return conditional(request, body, "application/octet-stream")

    # ------------------------------------------------------------------ observations
    async def observations(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        body = await request.read()
        render = partial(self._observe, request, name, body)
        return await serve(self.pypi.faults, request, "observations", name, render)

    def _observe(
        self, request: web.Request, name: str, body: bytes, lag: int | None
    ) -> web.Response:
        token = self._observer_token(request)
        if token is None:
            return web.json_response(_FORBIDDEN, status=403)
        if request.content_type != DANGER_JSON:
            message = f"Unsupported Media Type: send Content-Type {DANGER_JSON}"
            return web.json_response({"message": message}, status=415)
        project = self.registry.project(name)
        if project is None:
            return not_found_json()
        payload = _parse_object(body)
        problem = _observation_problem(payload, project.name)
        if problem is not None:
            return web.json_response(problem, status=400)
        assert payload is not None
        self.pypi.observations.append(_observation(project.normalized, payload, token))
        return web.json_response(
            {"project": project.name, "thanks": "for the observation"}, status=202
        )

    async def echo(self, request: web.Request) -> web.Response:
        if self._observer_token(request) is None:
            return web.json_response(_FORBIDDEN, status=403)
        return web.json_response({"username": "stand-in-observer"})

    def _observer_token(self, request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() not in ("bearer", "token") or not token:
            return None
        allowed = self.pypi.observer_tokens
        return token if allowed is None or token in allowed else None

    # ------------------------------------------------------------------ top packages
    async def osv_dump(self, request: web.Request) -> web.StreamResponse:
        render = partial(self._osv_dump, request)
        return await serve(self.pypi.faults, request, "osv_dump", None, render)

    def _osv_dump(self, request: web.Request, lag: int | None) -> web.Response:
        """OSV's PyPI dump: one `<id>.json` per advisory, zipped."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for advisory_id, record in sorted(self.pypi.osv_records.items()):
                archive.writestr(f"{advisory_id}.json", json.dumps(record))
        return web.Response(body=buffer.getvalue(), content_type="application/zip")

    async def top_packages(self, request: web.Request) -> web.StreamResponse:
        render = partial(self._top_packages, request)
        return await serve(self.pypi.faults, request, "top_packages", None, render)

    def _top_packages(self, request: web.Request, lag: int | None) -> web.Response:
        rows = [
            {"download_count": count, "project": name} for name, count in self.pypi.top_packages
        ]
        updated: datetime = self.pypi.top_packages_updated or self.pypi.clock()
        payload = {
            "last_update": updated.strftime("%Y-%m-%d %H:%M:%S"),
            "source": "ClickHouse",
            "meta": [
                {"name": "download_count", "type": "Int64"},
                {"name": "project", "type": "String"},
            ],
            "rows": rows,
            "total_rows": len(rows),
            "rows_before_limit_at_least": len(rows),
            "statistics": {"elapsed": 0.05, "rows_read": len(rows), "bytes_read": 0},
        }
        return conditional(request, json.dumps(payload).encode(), JSON)

    # ------------------------------------------------------------------ human pages
    async def project_page(self, request: web.Request) -> web.Response:
        project = self.registry.project(request.match_info["name"])
        if project is None:
            return web.Response(status=404, text="404 Not Found", headers=CORS)
        version = request.match_info.get("version")
        title = html.escape(f"{project.name} {version or ''}".strip())
        page = f"<!DOCTYPE html>\n<html><head><title>{title} · stand-in PyPI</title></head>"
        page += (
            f"<body><h1>{title}</h1><p>Served by the pypi-sentinel stand-in.</p></body></html>\n"
        )
        return web.Response(text=page, content_type="text/html")


def _same_file(stored: StoredFile, info: Any) -> bool:
    """The integrity URL's project and version must agree with the filename's release."""
    return stored.project == normalize(info["project"]) and canonicalize_version(
        stored.version
    ) == canonicalize_version(info["version"])


def _parse_object(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _observation_problem(payload: dict[str, Any] | None, project: str) -> dict[str, Any] | None:
    if payload is None:
        return {"error": "invalid JSON body", "project": project}
    required = ["kind", "summary"]
    if payload.get("kind") == "is_malware":
        required.append("inspector_url")
    missing = [key for key in required if not payload.get(key)]
    if missing:
        return {"error": "missing required fields", "missing": missing, "project": project}
    if payload["kind"] not in OBSERVATION_KINDS:
        return {"error": "invalid kind", "kind": payload["kind"], "project": project}
    return None


def _observation(project: str, payload: dict[str, Any], token: str) -> Observation:
    return Observation(
        project=project,
        kind=str(payload["kind"]),
        summary=str(payload["summary"]),
        inspector_url=payload.get("inspector_url"),
        payload={**payload, "origin": "api"},
        token=token,
    )
