"""Scripted faults: what PyPI and its CDN do on a bad day, queued per route and consumed in order."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.names import normalize

ROUTES = frozenset(
    {
        "files",
        "observations",
        "osv_dump",
        "project_json",
        "provenance",
        "release_json",
        "rss_packages",
        "rss_project",
        "rss_updates",
        "simple_index",
        "simple_project",
        "top_packages",
        "xmlrpc",
    }
)
# Routes whose answers can come from a lagging copy (a CDN object or a read replica).
STALE_ROUTES = frozenset(
    {
        "project_json",
        "release_json",
        "rss_packages",
        "rss_project",
        "rss_updates",
        "simple_index",
        "simple_project",
        "xmlrpc",
    }
)

# A body cut off mid-document, per route, in the content type the route normally serves.
GARBAGE = {
    "xmlrpc": b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><array><data>\n<value><string>trunc",
    "rss": b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n    <title>PyPI recent updates</title>\n    <item>\n      <title>broken &amp',
    "json": b'{"info": {"author": "", "name": "trunc',
    "html": b"<!DOCTYPE html>\n<html>\n  <body>\n    <a href=",
    "binary": b"\x1f\x8b\x08\x00 this is not the archive you are looking for",
}


class FaultError(ValueError):
    """A fault was scripted on a route that cannot produce it."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted misbehaviour. Build it with the class methods."""

    kind: str  # status, rate_limited, delay, garbage, stale, xmlrpc_fault, disconnect
    code: int = 0  # HTTP status, or the XML-RPC fault code
    body: bytes | None = None
    seconds: float = 0.0  # delay, or the rate limit's reset time
    lag: int = 0  # stale: how many serials behind
    message: str = ""  # xmlrpc_fault's faultString

    @classmethod
    def status(cls, code: int, body: bytes = b"") -> Fault:
        """Answer with this HTTP status (500, 502, 503, 404, ...) and body."""
        return cls("status", code=code, body=body)

    @classmethod
    def rate_limited(cls, reset: int = 2) -> Fault:
        """XML-RPC: the -32500 HTTPTooManyRequests fault; elsewhere: HTTP 429 with Retry-After."""
        return cls("rate_limited", seconds=reset)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Sleep, then answer normally: long enough and the client times out."""
        return cls("delay", seconds=seconds)

    @classmethod
    def garbage(cls, body: bytes | None = None) -> Fault:
        """HTTP 200 with a malformed body (a truncated document unless one is given)."""
        return cls("garbage", body=body)

    @classmethod
    def stale(cls, lag: int = 5) -> Fault:
        """Answer from a copy `lag` serials old, as a stale CDN object would."""
        return cls("stale", lag=lag)

    @classmethod
    def xmlrpc_fault(cls, code: int, string: str) -> Fault:
        """An arbitrary XML-RPC fault (HTTP 200), e.g. -32403 'server error; service unavailable'."""
        return cls("xmlrpc_fault", code=code, message=string)

    @classmethod
    def disconnect(cls) -> Fault:
        """Close the connection without answering."""
        return cls("disconnect")


@dataclass(slots=True)
class _Scripted:
    route: str
    fault: Fault
    remaining: int | None  # None: forever
    project: str | None  # normalized; None: any request on the route


class FaultSchedule:
    """Faults queued by route; each request takes the first one that matches it."""

    def __init__(self) -> None:
        self._queue: list[_Scripted] = []

    def add(
        self, route: str, fault: Fault, times: int | None = 1, project: str | None = None
    ) -> None:
        """Queue `fault` for the next `times` matching requests (None: every one until cleared)."""
        _check(route, fault, times)
        self._queue.append(_Scripted(route, fault, times, normalize(project) if project else None))

    def take(self, route: str, project: str | None = None) -> Fault | None:
        wanted = normalize(project) if project else None
        for index, item in enumerate(self._queue):
            if item.route == route and item.project in (None, wanted):
                if item.remaining is not None:
                    item.remaining -= 1
                    if item.remaining == 0:
                        del self._queue[index]
                return item.fault
        return None

    def pending(self, route: str | None = None) -> int:
        """How many scripted faults are still waiting (a forever fault counts once)."""
        return sum(1 for item in self._queue if route is None or item.route == route)

    def clear(self) -> None:
        self._queue.clear()


def _check(route: str, fault: Fault, times: int | None) -> None:
    if route not in ROUTES:
        raise FaultError(f"unknown route {route!r}; expected one of {sorted(ROUTES)}")
    if times is not None and times < 1:
        raise FaultError("times must be at least 1 (or None for every request)")
    if fault.kind == "stale" and route not in STALE_ROUTES:
        raise FaultError(f"route {route!r} has no stale copy to serve")
    if fault.kind == "xmlrpc_fault" and route != "xmlrpc":
        raise FaultError("xmlrpc_fault only applies to the xmlrpc route")
