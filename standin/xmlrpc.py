"""PyPI's XML-RPC surface: the mirroring methods, the disabled ones with their real faults, rate limits.

Requests and responses use the stdlib codec with `allow_none=True`, as Warehouse's renderer does,
so a journal row without a version travels as `<nil/>`.
"""

from __future__ import annotations

import re
import xmlrpc.client
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers.expat import ExpatError

from standin.state import Registry

RATE_LIMITER = "xmlrpc.client"
_DOCS = "See https://warehouse.pypa.io/api-reference/xml-rpc.html#deprecated-methods for more information."
_BIGQUERY = "RuntimeError: This API has been removed. Use BigQuery instead."
_GONE = (
    "RuntimeError: PyPI no longer supports the XMLRPC {} method. Use JSON or Simple API instead. "
    + _DOCS
)
# The CDN's synthetic fault for release_urls really does name package_releases.
DISABLED = {
    "changelog": "ValueError: The changelog method has been deprecated, use changelog_since_serial instead.",
    "list_packages": _GONE.format("list_packages"),
    "package_releases": _GONE.format("package_releases"),
    "release_urls": _GONE.format("package_releases"),
    "release_data": _GONE.format("release_data"),
    "top_packages": _BIGQUERY,
    "release_downloads": _BIGQUERY,
    "system.multicall": "ValueError: MultiCall requests have been deprecated, use individual requests instead.",
}
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufdd0-\ufddf\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class XmlRpcFault:
    code: int
    message: str


def too_many_requests(reset: int) -> XmlRpcFault:
    return XmlRpcFault(
        -32500,
        "HTTPTooManyRequests: The action could not be performed because there were too many "
        f"requests by the client. Limit may reset in {reset} seconds.",
    )


@dataclass(slots=True)
class RateLimiter:
    """A fixed window per client, like Warehouse's `3600 per hour` limiter."""

    quota: int = 3600
    window: int = 3600
    _started: datetime | None = None
    _used: int = 0

    def hit(self, now: datetime) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until reset) after counting this request."""
        if self._started is None or (now - self._started).total_seconds() >= self.window:
            self._started, self._used = now, 0
        self._used += 1
        reset = max(1, self.window - int((now - self._started).total_seconds()))
        return self._used <= self.quota, max(0, self.quota - self._used), reset

    def headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{RATE_LIMITER}";q={self.quota};w={self.window};pk=:ip:',
            "RateLimit": f'"{RATE_LIMITER}";r={remaining};t={reset}',
        }


def parse_call(body: bytes) -> tuple[str, tuple[Any, ...]] | XmlRpcFault:
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    except (ExpatError, xmlrpc.client.ResponseError, ValueError, TypeError):
        return XmlRpcFault(-32700, "parse error; not well formed")
    if not method:
        return XmlRpcFault(-32600, "client error; invalid xml-rpc request")
    return method, params


def render_result(result: Any) -> bytes:
    return xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True).encode()


def render_fault(fault: XmlRpcFault) -> bytes:
    return xmlrpc.client.dumps(
        xmlrpc.client.Fault(fault.code, fault.message), allow_none=True
    ).encode()


@dataclass(frozen=True, slots=True)
class CallContext:
    registry: Registry
    page_size: int
    domain: str  # for the messages that name PyPI's host
    as_of: int | None = None  # a lagging replica: rows after this serial are not visible yet


def dispatch(ctx: CallContext, method: str, params: Sequence[Any]) -> Any:
    """The method's result, or an XmlRpcFault."""
    if method in DISABLED:
        return XmlRpcFault(-32500, DISABLED[method])
    if method in ("package_data", "package_urls"):
        return _deprecated_json_fault(ctx, method, params)
    if method == "search":
        return XmlRpcFault(
            -32500,
            f"RuntimeError: PyPI no longer supports 'pip search' (or XML-RPC search). Please use https://{ctx.domain}/search (via a browser) instead. {_DOCS}",
        )
    entry = _METHODS.get(method)
    if entry is None:
        return XmlRpcFault(-32601, "server error; requested method not found")
    signature, implementation = entry
    problem = _check_params(signature, params)
    return problem if problem is not None else implementation(ctx, *params)


def _check_params(
    signature: Sequence[tuple[str, type]], params: Sequence[Any]
) -> XmlRpcFault | None:
    if len(params) != len(signature):
        return XmlRpcFault(-32602, "server error; invalid method params")
    for (name, expected), value in zip(signature, params, strict=True):
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            got = type(value).__name__
            message = f'client error; type of argument "{name}" must be {expected.__name__}; got {got} instead'
            return XmlRpcFault(-32602, message)
    return None


def _deprecated_json_fault(ctx: CallContext, method: str, params: Sequence[Any]) -> XmlRpcFault:
    name, version = [*params, "", ""][:2]
    replacement = "release_data" if method == "package_data" else "release_urls"
    return XmlRpcFault(
        -32500,
        f"RuntimeError: This API has been deprecated. Use https://{ctx.domain}/{name}/{version}/json "
        f"instead. The XMLRPC method {replacement} can be used in the interim, but will be "
        "deprecated in the future.",
    )


def clean_for_xml(text: str) -> str:
    return _ILLEGAL_XML.sub("", text)


def changelog_last_serial(ctx: CallContext) -> int:
    last = ctx.registry.last_serial
    return last if ctx.as_of is None else min(last, ctx.as_of)


def changelog_since_serial(ctx: CallContext, since: int) -> list[list[Any]]:
    rows = ctx.registry.since(since, ctx.page_size)
    if ctx.as_of is not None:
        rows = [row for row in rows if row.serial <= ctx.as_of]
    return [[e.name, e.version, e.epoch, clean_for_xml(e.action), e.serial] for e in rows]


def list_packages_with_serial(ctx: CallContext) -> dict[str, int]:
    # Warehouse queries every Project row: quarantined projects are listed, removed ones are gone.
    return {p.name: p.last_serial for p in ctx.registry.projects.values()}


def package_roles(ctx: CallContext, name: str) -> list[list[str]]:
    project = ctx.registry.project(name)
    roles = sorted(project.roles if project else [], key=lambda r: r[1])
    return [[role, user] for role, user in sorted(roles, key=lambda r: r[0], reverse=True)]


def user_packages(ctx: CallContext, username: str) -> list[list[str]]:
    rows = [
        (role, p.name)
        for p in ctx.registry.projects.values()
        for role, user in p.roles
        if user == username
    ]
    rows.sort(key=lambda r: r[1])
    return [[role, name] for role, name in sorted(rows, key=lambda r: r[0], reverse=True)]


def package_hosting_mode(ctx: CallContext, name: str) -> str:
    return "pypi-only"


def browse(ctx: CallContext, classifiers: list[Any]) -> list[list[str]]:
    wanted = set(map(str, classifiers))
    return sorted(
        [p.name, r.version]
        for p in ctx.registry.projects.values()
        for r in p.releases.values()
        if wanted <= set(r.metadata.get("classifiers") or ())
    )


_METHODS: dict[str, tuple[tuple[tuple[str, type], ...], Callable[..., Any]]] = {
    "changelog_last_serial": ((), changelog_last_serial),
    "changelog_since_serial": ((("since_serial", int),), changelog_since_serial),
    "list_packages_with_serial": ((), list_packages_with_serial),
    "package_roles": ((("package_name", str),), package_roles),
    "user_packages": ((("username", str),), user_packages),
    "package_hosting_mode": ((("package_name", str),), package_hosting_mode),
    "browse": ((("classifiers", list),), browse),
}
