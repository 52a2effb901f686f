"""The vetted index: PyPI's Simple API with every release that fails the vetting left out.

`/simple/<project>/` reads upstream's page, weighs each release (analysis.vetting) against what
the store knows, and serves the files of the allowed ones, linked at `/files/<project>/<file>`.
A file is streamed from upstream and hashed as it passes; the last chunk is held back until the
digest matches the one upstream listed, so a client never receives a whole file that fails (and
the cache never keeps one). A blocked file asked for directly answers 403 with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from packaging.utils import canonicalize_version

from analysis.licences import normalize_licence
from analysis.names import normalize
from analysis.policy import Policy
from analysis.vetting import ReleaseFacts, Verdict, decide
from collector.backoff import Backoff
from collector.errors import UpstreamError
from collector.index.blocks import BlockKind, BlockTally
from collector.index.cache import Download, FileCache
from collector.index.metrics import Counters
from collector.index.pages import (
    UPSTREAM_ACCEPT,
    IndexFile,
    UpstreamPage,
    negotiate,
    parse_upstream_body,
    render_project,
    render_root,
)
from collector.pypi.http import Http, PyPIUrls, answer, real_sleep, with_retries
from collector.pypi.simple import SIMPLE_JSON
from collector.store.approvals import fetch_approvals, record_request
from collector.store.osv import fetch_advisories
from collector.store.releases import fetch_licence_fields
from collector.store.vetting import ReleaseStanding, fetch_release_standings

log = logging.getLogger(__name__)

PAGE_TTL = 30.0  # seconds an upstream page is reused: pip reads the page, then its files
# Seconds a vetted page is served again as built: a resolver asks for the same pages many times
# over, and a page costs four reads of the store. A new verdict or approval shows on the page at
# most this late; a file download is always vetted afresh, so nothing blocked is served meanwhile.
VETTED_TTL = 5.0
KEPT = 10_000  # entries in each in-memory page cache before the expired ones are dropped
RETRIES = Backoff(attempts=3, base=0.5, cap=4.0)
CHUNK = 1 << 16


@dataclass
class IndexState:
    """Everything a request needs, built once by the command (or a test)."""

    pool: asyncpg.Pool
    http: Http
    urls: PyPIUrls
    policy: Policy
    cache: FileCache
    counters: Counters = field(default_factory=Counters)
    blocks: BlockTally = field(default_factory=BlockTally)
    pages: dict[str, tuple[float, UpstreamPage | None]] = field(default_factory=dict)
    vetted: dict[tuple[str, str], tuple[float, bytes]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic


STATE_KEY = web.AppKey("index", IndexState)


def make_app(state: IndexState) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = state
    app.router.add_get("/simple/", root)
    app.router.add_get("/simple/{name}/", project_page)
    app.router.add_get("/simple/{name}", add_slash)
    app.router.add_get("/files/{name}/{filename}", file)
    app.router.add_get("/metrics", metrics)
    return app


# -- pages -------------------------------------------------------------------------------------


def _media(request: web.Request) -> str:
    fmt = request.query.get("format", "").replace(" ", "+")  # an unencoded '+' is a space
    media = negotiate(fmt or request.headers.get("Accept", ""))
    if media is None:
        raise web.HTTPNotAcceptable(text="this index serves text/html and PEP 691 JSON\n")
    return media


async def root(request: web.Request) -> web.Response:
    media = _media(request)
    return web.Response(body=render_root(media), headers=_type(media))


async def add_slash(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently(f"/simple/{normalize(request.match_info['name'])}/")


async def project_page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name != normalize(name):  # PEP 503: one URL per project
        raise web.HTTPMovedPermanently(f"/simple/{normalize(name)}/")
    media = _media(request)
    state = request.app[STATE_KEY]
    state.counters.add("index_pages_total")
    headers = {**_type(media), "Vary": "Accept"}
    built = state.vetted.get((name, media))
    if built is not None and state.clock() - built[0] < VETTED_TTL:
        return web.Response(body=built[1], headers=headers)
    body = await _vetted_page(state, request, name, media)
    _keep(state.vetted, (name, media), body, state.clock(), VETTED_TTL)
    return web.Response(body=body, headers=headers)


def _keep(
    cache: dict[Any, tuple[float, Any]], key: object, value: object, now: float, ttl: float
) -> None:
    """Remember `value`; past KEPT entries, the expired ones go, so a long run stays bounded."""
    if len(cache) >= KEPT:
        for old in [k for k, (when, _) in cache.items() if now - when >= ttl]:
            del cache[old]
    cache[key] = (now, value)


async def _vetted_page(state: IndexState, request: web.Request, name: str, media: str) -> bytes:
    """The project's page with only the allowed releases' files; a 404 when upstream has none."""
    page = await _upstream(state, name)
    if page is None:
        raise web.HTTPNotFound(text=f"{name}: no such project\n")
    verdicts = await _vet(state, page)
    allowed = []
    for f in page.files:
        verdict = verdicts.get(f.release_key or "")
        if verdict is not None and verdict.allowed:
            allowed.append(f)
    _log_blocks(state, page, verdicts)
    if page.files and not allowed:
        await _record_request(state, request, name, None)
    return render_project(name, allowed, media)


def _type(media: str) -> dict[str, str]:
    charset = "" if media == SIMPLE_JSON else "; charset=utf-8"
    return {"Content-Type": media + charset}


def _log_blocks(state: IndexState, page: UpstreamPage, verdicts: Mapping[str, Verdict]) -> None:
    for key, files in _releases(page).items():
        verdict = verdicts[key]
        if not verdict.allowed:
            _block(state, page.name, files[0].version, verdict.rule, "listing")
            log.info("blocked: %s", verdict.reason)
    for f in page.files:
        if f.release_key is None:
            _block(state, page.name, None, "unreadable", "listing")
            log.info("blocked: %s: cannot tell its version from the filename", f.filename)


def _block(
    state: IndexState, project: str, version: str | None, rule: str, kind: BlockKind
) -> None:
    state.counters.add("index_blocked_total", rule=rule)
    state.blocks.add(project, version, rule, kind)


# -- upstream and the store --------------------------------------------------------------------


async def _upstream(state: IndexState, name: str) -> UpstreamPage | None:
    """Upstream's page (None: no such project), reused for PAGE_TTL seconds."""
    hit = state.pages.get(name)
    if hit is not None and state.clock() - hit[0] < PAGE_TTL:
        return hit[1]
    url = state.urls.simple_project(name)

    async def fetch() -> UpstreamPage | None:
        response = await state.http.request("GET", url, headers={"Accept": UPSTREAM_ACCEPT})
        if response.status == 404:
            return None
        content_type = response.headers.get("content-type", "")
        return answer(
            f"GET {url}", response, lambda body: parse_upstream_body(body, content_type, name, url)
        )

    try:
        page = await with_retries(fetch, f"GET {url}", RETRIES, real_sleep)
    except UpstreamError as exc:
        log.warning("upstream unavailable: %s", exc)
        raise web.HTTPBadGateway(text=f"upstream index unavailable: {exc}\n") from exc
    _keep(state.pages, name, page, state.clock(), PAGE_TTL)
    return page


async def _vet(
    state: IndexState, page: UpstreamPage, only: str | None = None
) -> dict[str, Verdict]:
    """A verdict per release on the page (by canonical version), or on release `only` (a file
    download weighs its own release, not the project's thousand others)."""
    name = page.name
    releases = _releases(page)
    if only is not None:
        releases = {only: releases[only]} if only in releases else {}
    async with state.pool.acquire() as conn:
        stored = {
            canonicalize_version(r.version): r for r in await fetch_release_standings(conn, name)
        }
        weighed = [(name, stored[key].version) for key in releases if key in stored]
        advisories = await fetch_advisories(conn, [name])
        licences = await fetch_licence_fields(conn, weighed)
        approvals = await fetch_approvals(conn, [name])
    now = datetime.now(UTC)
    verdicts = {}
    for key, files in releases.items():
        release = stored.get(key)
        version = release.version if release else (files[0].version or key)
        licence = licences.get((name, version))
        facts = ReleaseFacts(
            project=name,
            version=version,
            severity=release.severity if release else None,
            uploaded_at=_uploaded_at(release, files),
            status=release.status if release else None,
            advisories=advisories,
            licence=normalize_licence(*licence) if licence else None,
            approvals=approvals,
        )
        verdicts[key] = decide(facts, state.policy, now)
    return verdicts


def _releases(page: UpstreamPage) -> dict[str, list[IndexFile]]:
    grouped: dict[str, list[IndexFile]] = {}
    for f in page.files:
        if f.release_key is not None:
            grouped.setdefault(f.release_key, []).append(f)
    return grouped


def _uploaded_at(release: ReleaseStanding | None, files: list[IndexFile]) -> datetime | None:
    """Ours when stored, else the earliest upload time upstream lists for the release."""
    if release is not None and release.uploaded_at is not None:
        return release.uploaded_at
    times = [f.upload_time for f in files if f.upload_time is not None]
    return min(times, default=None)


async def _record_request(
    state: IndexState, request: web.Request, project: str, version: str | None
) -> None:
    async with state.pool.acquire() as conn:
        await record_request(conn, project, version, request.remote or "unknown")


# -- files -------------------------------------------------------------------------------------


async def file(request: web.Request) -> web.StreamResponse:
    name, filename = request.match_info["name"], request.match_info["filename"]
    state = request.app[STATE_KEY]
    metadata = filename.endswith(".metadata")
    page = await _upstream(state, normalize(name))
    found = page.file(filename.removesuffix(".metadata")) if page else None
    if page is None or found is None:
        raise web.HTTPNotFound(text=f"{filename}: not in the index\n")
    key = found.release_key or ""
    verdict = (await _vet(state, page, key)).get(key)
    if verdict is None or not verdict.allowed:
        reason = verdict.reason if verdict else f"{filename}: cannot tell its version"
        rule = verdict.rule if verdict else "unreadable"
        _block(state, page.name, found.version, rule, "download")
        log.info("blocked a download: %s", reason)
        await _record_request(state, request, page.name, found.version)
        raise web.HTTPForbidden(text=reason + "\n")
    url, digest = found.url, found.sha256
    if metadata:
        url, digest = url + ".metadata", found.core_metadata_sha256
        if not found.core_metadata:
            raise web.HTTPNotFound(text=f"{filename}: no metadata file\n")
    if digest is None:
        raise web.HTTPForbidden(text=f"{filename}: upstream lists no sha256 to verify it by\n")
    cached = state.cache.get(digest)
    if cached is not None:
        state.counters.add("index_files_total", source="cache")
        return web.FileResponse(cached, headers={"Content-Type": "application/octet-stream"})
    state.counters.add("index_files_total", source="upstream")
    return await _stream(state, request, url, digest)


async def _stream(
    state: IndexState, request: web.Request, url: str, digest: str
) -> web.StreamResponse:
    """Relay upstream's bytes, hashing as they pass; the last chunk waits for the verdict."""
    try:
        upstream = await state.http.session.get(url)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise web.HTTPBadGateway(text=f"upstream unavailable: {exc}\n") from exc
    async with upstream:
        if upstream.status != 200:
            raise web.HTTPBadGateway(text=f"upstream answered HTTP {upstream.status}\n")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if upstream.content_length is not None:
            response.content_length = upstream.content_length
        await response.prepare(request)
        download = state.cache.start()
        try:
            verified = await _relay(upstream, response, download, digest)
        except (ConnectionResetError, aiohttp.ClientError, TimeoutError) as exc:
            # The client left, or upstream failed once the answer had begun: nothing is kept,
            # and the client (if still there) sees a cut download. Neither is our error.
            download.abandon()
            log.warning(
                "download of %s stopped: %s; nothing kept", url, str(exc) or type(exc).__name__
            )
            _cut(request)
            return response
        except BaseException:
            download.abandon()
            raise
    if not verified:
        state.counters.add("index_hash_mismatch_total")
        log.error("sha256 mismatch for %s: not served whole, not cached", url)
        _cut(request)  # the client sees a cut download, never a whole bad file
    return response


def _cut(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


async def _relay(
    upstream: aiohttp.ClientResponse,
    response: web.StreamResponse,
    download: Download,
    digest: str,
) -> bool:
    held = b""
    async for chunk in upstream.content.iter_chunked(CHUNK):
        if held:
            await response.write(held)
        download.write(chunk)
        held = chunk
    if not download.finish(digest):
        return False
    await response.write(held)
    await response.write_eof()
    return True


# -- metrics -----------------------------------------------------------------------------------


async def metrics(request: web.Request) -> web.Response:
    body = request.app[STATE_KEY].counters.render()
    return web.Response(text=body, content_type="text/plain", charset="utf-8")
