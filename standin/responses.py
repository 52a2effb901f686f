"""HTTP plumbing shared by the stand-in's routes: ETags, CORS, content negotiation, fault replies."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Mapping

from aiohttp import web

from standin.faults import GARBAGE, Fault, FaultSchedule

JSON = "application/json"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"
DANGER_JSON = "application/vnd.pypi.api-v0-danger+json"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET",
    "Access-Control-Expose-Headers": "X-PyPI-Last-Serial",
}
_GARBAGE_KIND = {
    "xmlrpc": ("xmlrpc", "text/xml"),
    "rss_updates": ("rss", "text/xml"),
    "rss_packages": ("rss", "text/xml"),
    "rss_project": ("rss", "text/xml"),
    "simple_index": ("json", SIMPLE_JSON),
    "simple_project": ("json", SIMPLE_JSON),
    "files": ("binary", "application/octet-stream"),
}


def etag_for(body: bytes) -> str:
    digest = hashlib.md5(body, usedforsecurity=False).digest()
    return '"' + base64.b64encode(digest).decode().rstrip("=") + '"'


def conditional(
    request: web.Request, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """200 with an ETag, or 304 when the client's If-None-Match already names it."""
    etag = etag_for(body)
    merged = {**CORS, **(headers or {}), "ETag": etag}
    if etag in _if_none_match(request):
        return web.Response(status=304, headers=merged)
    return web.Response(body=body, headers={**merged, "Content-Type": content_type})


def _if_none_match(request: web.Request) -> set[str]:
    raw = request.headers.get("If-None-Match", "")
    return {tag.strip().removeprefix("W/") for tag in raw.split(",") if tag.strip()}


def not_found_json(message: str = "Not Found") -> web.Response:
    return web.json_response({"message": message}, status=404, headers=CORS)


def redirect(location: str) -> web.Response:
    body = "<html><head><title>301 Moved Permanently</title></head><body><center><h1>301 Moved Permanently</h1></center></body></html>"
    return web.Response(
        status=301, headers={**CORS, "Location": location}, text=body, content_type="text/html"
    )


def fault_reply(request: web.Request, route: str, fault: Fault) -> web.StreamResponse:
    """The reply for a fault that replaces the answer (status, 429, garbage, disconnect)."""
    if fault.kind == "disconnect":
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never reaches the client: the socket is gone
    if fault.kind == "rate_limited":
        headers = {"Retry-After": str(int(fault.seconds))}
        return web.Response(status=429, text="429 Too Many Requests", headers=headers)
    if fault.kind == "garbage":
        kind, content_type = _GARBAGE_KIND.get(route, ("json", JSON))
        body = GARBAGE[kind] if fault.body is None else fault.body
        return web.Response(body=body, headers={"Content-Type": content_type})
    return web.Response(
        status=fault.code, body=fault.body or b"", headers={"Content-Type": "text/html"}
    )


Render = Callable[[int | None], web.StreamResponse]  # called with a stale lag, or None


async def serve(
    faults: FaultSchedule, request: web.Request, route: str, project: str | None, render: Render
) -> web.StreamResponse:
    """Apply the next scripted fault for this route (and project), else answer normally."""
    fault = faults.take(route, project)
    if fault is None:
        return render(None)
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return render(None)
    if fault.kind == "stale":
        return render(fault.lag)
    return fault_reply(request, route, fault)


def request_base(configured: str, request: web.Request) -> str:
    """The URL prefix for links: the configured base URL, else where this request arrived."""
    return configured.rstrip("/") or f"{request.scheme}://{request.host}"
