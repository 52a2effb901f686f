"""The stand-in's HTTP surface for following PyPI: XML-RPC, RSS, the JSON API and the Simple API.

Every route asks the fault schedule first; a scripted fault replaces, delays or staleifies the
answer. Rendered bodies are cached per project serial, so a page is rebuilt only after a change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from functools import partial

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from analysis.names import normalize
from collector.media import negotiate_media
from standin import feeds, wire
from standin.faults import Fault
from standin.pypi import RecordedRequest, StandInPyPI
from standin.responses import (
    CORS,
    JSON,
    SIMPLE_HTML,
    SIMPLE_JSON,
    conditional,
    fault_reply,
    not_found_json,
    redirect,
    request_base,
    serve,
)
from standin.services import Services
from standin.state import Project, find_release
from standin.xmlrpc import (
    CallContext,
    XmlRpcFault,
    dispatch,
    parse_call,
    render_fault,
    render_result,
    too_many_requests,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_JSON_CACHE = {"Cache-Control": "max-age=900, public"}
_SIMPLE_CACHE = {"Cache-Control": "max-age=600, public", "Vary": "Accept"}


def build_app(pypi: StandInPyPI) -> web.Application:
    follow, services = FollowRoutes(pypi), Services(pypi)
    app = web.Application(middlewares=[_recorder(pypi)])
    router = app.router
    for path in ("/pypi", "/pypi/", "/RPC2"):
        router.add_post(path, follow.xmlrpc)
    router.add_get("/rss/updates.xml", follow.rss_updates)
    router.add_get("/rss/packages.xml", follow.rss_packages)
    router.add_get("/rss/project/{name}/releases.xml", follow.rss_project)
    router.add_get("/pypi/{name}/json", follow.project_json)
    router.add_get("/pypi/{name}/json/", follow.project_json)
    router.add_get("/pypi/{name}/{version}/json", follow.release_json)
    router.add_get("/pypi/{name}/{version}/json/", follow.release_json)
    router.add_get("/simple/", follow.simple_index)
    router.add_get("/simple/{name}/", follow.simple_project)
    router.add_get("/simple/{name}", follow.simple_project)
    services.add_routes(router)
    return app


def _recorder(pypi: StandInPyPI) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        if pypi.record_requests:
            body = await request.read() if request.body_exists else b""
            headers = CIMultiDictProxy(CIMultiDict(request.headers))
            recorded = RecordedRequest(
                request.method, request.path, headers, body, request.query_string
            )
            pypi.requests.append(recorded)
        return await handler(request)

    return record


class FollowRoutes:
    """Handlers for the APIs a follower polls."""

    def __init__(self, pypi: StandInPyPI) -> None:
        self.pypi = pypi
        self.registry = pypi.registry
        self._cache: dict[Hashable, tuple[Hashable, bytes]] = {}

    def _memo(self, key: Hashable, stamp: Hashable, build: Callable[[], bytes]) -> bytes:
        """The body built for `stamp` (a serial and base URL), rebuilt only when the stamp moves."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        body = build()
        self._cache[key] = (stamp, body)
        return body

    # ------------------------------------------------------------------ XML-RPC
    async def xmlrpc(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        allowed, remaining, reset = self.pypi.rate_limiter.hit(self.pypi.clock())
        fault = self.pypi.faults.take("xmlrpc")
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        elif fault is not None and fault.kind != "stale":
            return self._xmlrpc_fault(request, fault, remaining, reset)
        if not allowed:
            return self._xmlrpc_reply(render_fault(too_many_requests(reset)), 0, reset)
        as_of = self.registry.last_serial - fault.lag if fault and fault.kind == "stale" else None
        ctx = CallContext(self.registry, self.pypi.page_size, request.host, as_of)
        call = parse_call(body)
        result = call if isinstance(call, XmlRpcFault) else dispatch(ctx, *call)
        payload = render_fault(result) if isinstance(result, XmlRpcFault) else render_result(result)
        return self._xmlrpc_reply(payload, remaining, reset)

    def _xmlrpc_fault(
        self, request: web.Request, fault: Fault, remaining: int, reset: int
    ) -> web.StreamResponse:
        """Faults that replace the XML-RPC answer; the RateLimit headers stay on every reply."""
        if fault.kind == "rate_limited":
            seconds = int(fault.seconds)
            return self._xmlrpc_reply(render_fault(too_many_requests(seconds)), 0, seconds)
        if fault.kind == "xmlrpc_fault":
            payload = render_fault(XmlRpcFault(fault.code, fault.message))
            return self._xmlrpc_reply(payload, remaining, reset)
        reply = fault_reply(request, "xmlrpc", fault)
        reply.headers.update(self.pypi.rate_limiter.headers(remaining, reset))
        return reply

    def _xmlrpc_reply(self, payload: bytes, remaining: int, reset: int) -> web.Response:
        headers = self.pypi.rate_limiter.headers(remaining, reset)
        headers["Content-Type"] = "text/xml; charset=UTF-8"
        return web.Response(body=payload, headers=headers)

    # ------------------------------------------------------------------ RSS
    async def rss_updates(self, request: web.Request) -> web.StreamResponse:
        render = partial(self._rss, request, "rss_updates")
        return await serve(self.pypi.faults, request, "rss_updates", None, render)

    async def rss_packages(self, request: web.Request) -> web.StreamResponse:
        render = partial(self._rss, request, "rss_packages")
        return await serve(self.pypi.faults, request, "rss_packages", None, render)

    def _rss(self, request: web.Request, route: str, lag: int | None) -> web.Response:
        base, as_of = self._base(request), self._global_as_of(lag)
        projects = self.registry.projects.values()

        def build() -> bytes:
            if route == "rss_updates":
                return feeds.render_updates(base, feeds.newest_releases(projects, as_of=as_of))
            return feeds.render_packages(base, feeds.newest_projects(projects, as_of=as_of))

        body = self._memo(route, (self.registry.last_serial, base, as_of), build)
        return conditional(request, body, "text/xml; charset=UTF-8")

    async def rss_project(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]

        def render(lag: int | None) -> web.StreamResponse:
            project = self.registry.project(name)
            if project is None:
                return web.Response(status=404, text="404 Not Found")
            as_of = self._global_as_of(lag)
            releases = [r for p, r in feeds.newest_releases([project], feeds.PROJECT_LIMIT, as_of)]
            base = self._base(request)
            body = feeds.render_project_releases(base, project, releases)
            return conditional(request, body, "text/xml; charset=UTF-8")

        return await serve(self.pypi.faults, request, "rss_project", name, render)

    # ------------------------------------------------------------------ JSON API
    async def project_json(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        canonical = f"/pypi/{normalize(name)}/json"
        if request.path != canonical:
            return redirect(canonical)
        render = partial(self._project_json, request, name)
        return await serve(self.pypi.faults, request, "project_json", name, render)

    def _project_json(self, request: web.Request, name: str, lag: int | None) -> web.Response:
        project = self.registry.project(name)
        if project is None or project.quarantined:
            return not_found_json()
        base, as_of = self._base(request), _project_as_of(project, lag)
        serial = project.last_serial if as_of is None else as_of

        def build() -> bytes:
            payload = wire.render_project_json(base, project, serial, as_of)
            return b"" if payload is None else wire.dumps(payload)

        stamp = (serial, base, as_of, project.created_serial)
        body = self._memo(("project", project.normalized), stamp, build)
        if not body:
            return not_found_json()  # no visible release
        return conditional(request, body, JSON, {"X-PyPI-Last-Serial": str(serial), **_JSON_CACHE})

    async def release_json(self, request: web.Request) -> web.StreamResponse:
        name, version = request.match_info["name"], request.match_info["version"]
        canonical = f"/pypi/{normalize(name)}/{version}/json"
        if request.path != canonical:
            return redirect(canonical)
        render = partial(self._release_json, request, name, version)
        return await serve(self.pypi.faults, request, "release_json", name, render)

    def _release_json(
        self, request: web.Request, name: str, version: str, lag: int | None
    ) -> web.Response:
        project = self.registry.project(name)
        release = None if project is None else find_release(project, version)
        if project is None or release is None or project.quarantined or release.quarantined:
            return not_found_json()
        as_of = _project_as_of(project, lag)
        if as_of is not None and release.created_serial > as_of:
            return not_found_json()  # the stale copy predates this release
        base = self._base(request)
        serial = project.last_serial if as_of is None else as_of

        def build() -> bytes:
            return wire.dumps(wire.render_release_json(base, project, release, serial, as_of))

        key = ("release", project.normalized, release.version)
        body = self._memo(key, (serial, base, as_of, project.created_serial), build)
        return conditional(request, body, JSON, {"X-PyPI-Last-Serial": str(serial), **_JSON_CACHE})

    # ------------------------------------------------------------------ Simple API
    async def simple_index(self, request: web.Request) -> web.StreamResponse:
        return await serve(
            self.pypi.faults, request, "simple_index", None, partial(self._simple_index, request)
        )

    def _simple_index(self, request: web.Request, lag: int | None) -> web.Response:
        content_type = _simple_type(request)
        as_of = self._global_as_of(lag)
        serial = self.registry.last_serial if as_of is None else as_of

        def build() -> bytes:
            listed = _index_projects(self.registry.projects.values(), as_of)
            if content_type == SIMPLE_JSON:
                return wire.dumps(wire.render_simple_index(listed, serial))
            return wire.render_simple_index_html(listed, serial).encode()

        body = self._memo(("simple_index", content_type), (self.registry.last_serial, as_of), build)
        headers = {"X-PyPI-Last-Serial": str(serial), **_SIMPLE_CACHE}
        return conditional(request, body, content_type, headers)

    async def simple_project(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        canonical = f"/simple/{normalize(name)}/"
        if request.path != canonical:
            return redirect(canonical)
        render = partial(self._simple_project, request, name)
        return await serve(self.pypi.faults, request, "simple_project", name, render)

    def _simple_project(self, request: web.Request, name: str, lag: int | None) -> web.Response:
        project = self.registry.project(name)
        if project is None:
            return web.Response(status=404, text="404 Not Found", headers=CORS)
        content_type, base = _simple_type(request), self._base(request)
        as_of = _project_as_of(project, lag)
        if as_of is not None and as_of < project.created_serial:
            return web.Response(status=404, text="404 Not Found", headers=CORS)  # copy predates it
        serial = project.last_serial if as_of is None else as_of

        def build() -> bytes:
            if content_type == SIMPLE_JSON:
                return wire.dumps(wire.render_simple_detail(base, project, serial, as_of))
            return wire.render_simple_detail_html(base, project, serial, as_of).encode()

        stamp = (serial, base, as_of, project.created_serial)
        body = self._memo(("simple", project.normalized, content_type), stamp, build)
        headers = {"X-PyPI-Last-Serial": str(serial), **_SIMPLE_CACHE}
        return conditional(request, body, content_type, headers)

    # ------------------------------------------------------------------ helpers
    def _base(self, request: web.Request) -> str:
        return request_base(self.pypi.base_url, request)

    def _global_as_of(self, lag: int | None) -> int | None:
        return None if lag is None else self.registry.last_serial - lag


def _project_as_of(project: Project, lag: int | None) -> int | None:
    return None if lag is None else project.last_serial - lag


def _simple_type(request: web.Request) -> str:
    # `?format=` works too (the CDN honours it); an unencoded '+' arrives as a space.
    fmt = request.query.get("format", "").replace(" ", "+")
    accept = fmt or request.headers.get("Accept", "")
    chosen = negotiate_media(accept, ("text/html", SIMPLE_HTML, SIMPLE_JSON))
    return chosen or "text/html"


def _index_projects(projects: Iterable[Project], as_of: int | None) -> list[tuple[Project, int]]:
    """Projects the index lists (quarantined ones left out), each with the serial to show."""
    listed = []
    for project in sorted(projects, key=lambda p: p.normalized):
        if project.quarantined:
            continue
        serial = project.last_serial if as_of is None else project.serial_as_of(as_of)
        if serial is not None:
            listed.append((project, serial))
    return listed
