"""One aiohttp session for PyPI: timeouts, a contact User-Agent, error translation and retries.

Error translation happens here and nowhere else, the way httpx maps transport errors in one
place: `transport_errors` turns a timeout or a dropped connection into an UpstreamError,
`status_error` an unwanted HTTP status, and `answer` a 200 whose body its parser cannot read
(the parser's ValueError) into `garbage`. The fetchers only say which statuses they expect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote

import aiohttp
from multidict import CIMultiDictProxy

from collector.backoff import Backoff
from collector.errors import UpstreamError, UpstreamKind

log = logging.getLogger(__name__)

VERSION = "0.1.0"
USER_AGENT = f"pypi-sentinel/{VERSION} (+https://github.com/pypi-sentinel/pypi-sentinel)"
MAX_BODY = 64 * 1024 * 1024  # the largest project JSON pages are a few MB

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PyPIUrls:
    """Every PyPI URL, derived from one base (`--pypi-url`)."""

    base: str

    @property
    def xmlrpc(self) -> str:
        return f"{self.base}/pypi"

    @property
    def rss_updates(self) -> str:
        return f"{self.base}/rss/updates.xml"

    @property
    def rss_packages(self) -> str:
        return f"{self.base}/rss/packages.xml"

    @property
    def simple_index(self) -> str:
        return f"{self.base}/simple/"

    def release_json(self, name: str, version: str) -> str:
        return f"{self.base}/pypi/{quote(name)}/{quote(version, safe='')}/json"

    def project_json(self, name: str) -> str:
        return f"{self.base}/pypi/{quote(name)}/json"

    def simple_project(self, name: str) -> str:
        return f"{self.base}/simple/{quote(name)}/"

    def project_page(self, name: str, version: str | None = None) -> str:
        return f"{self.base}/project/{name}/" + (f"{version}/" if version else "")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


def new_session(
    *, timeout: float = 30.0, connect_timeout: float = 10.0, limit: int = 32
) -> aiohttp.ClientSession:
    """The process's one session; callers close it."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout, connect=connect_timeout, sock_read=timeout),
        headers={"User-Agent": USER_AGENT},
        connector=aiohttp.TCPConnector(limit=limit, ttl_dns_cache=300),
        raise_for_status=False,
    )


class Http:
    """Requests with errors translated to UpstreamError; no retries at this level."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        max_body: int = MAX_BODY,
    ) -> Response:
        with transport_errors(f"{method} {url}"):
            async with self.session.request(method, url, headers=headers, data=data) as resp:
                body = await _read_capped(resp, url, max_body)
                response = Response(resp.status, _plain_headers(resp.headers), body)
        if response.status == 429 or response.status >= 500:
            raise status_error(f"{method} {url}", response.status, response.headers)
        return response


@contextmanager
def transport_errors(request: str) -> Iterator[None]:
    """Timeouts and dropped or refused connections inside the block, as UpstreamError naming
    `request` ("GET https://..."): the one translation of transport trouble."""
    try:
        yield
    except TimeoutError as exc:
        raise UpstreamError("timeout", f"{request}: timed out") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError("connection", f"{request}: {str(exc) or type(exc).__name__}") from exc


async def _read_capped(resp: aiohttp.ClientResponse, url: str, max_body: int) -> bytes:
    """The whole body, refusing one larger than `max_body` (a hostile or broken upstream)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_body:
            raise UpstreamError("garbage", f"{url}: response larger than {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _plain_headers(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def status_error(
    request: str, status: int, headers: Mapping[str, str] | None = None
) -> UpstreamError:
    """An unwanted HTTP status as an error: `rate_limited` for 429 (with its Retry-After), `http`
    when PyPI itself is failing (5xx), and `rejected` when it answered but refuses this request
    (4xx), which retrying the whole run will not change. `headers` may be any case-insensitive
    mapping or one with lower-case keys."""
    if status == 429:
        retry_after = parse_retry_after((headers or {}).get("retry-after"))
        return UpstreamError("rate_limited", f"{request}: HTTP 429", retry_after=retry_after)
    kind: UpstreamKind = "http" if status >= 500 else "rejected"
    return UpstreamError(kind, f"{request}: HTTP {status}")


def answer(request: str, response: Response, parse: Callable[[bytes], T]) -> T:
    """A 200's body read by `parse`: any other status is `status_error`, and a body the parser
    refuses (its ValueError) is `garbage`, whatever the headers said."""
    if response.status != 200:
        raise status_error(request, response.status, response.headers)
    try:
        return parse(response.body)
    except ValueError as exc:
        raise UpstreamError("garbage", f"{request}: {exc}") from exc


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta or HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


async def with_retries(
    operation: Callable[[], Awaitable[T]], what: str, backoff: Backoff, sleep: Sleep
) -> T:
    """Run `operation`, retrying UpstreamError with backoff; the last error propagates."""
    for attempt in range(1, backoff.attempts + 1):
        try:
            return await operation()
        except UpstreamError as exc:
            if attempt == backoff.attempts:
                raise
            delay = exc.retry_after if exc.retry_after is not None else backoff.delay(attempt)
            log.warning(
                "%s failed (%s: %s); retry %d of %d in %.1fs",
                what,
                exc.kind,
                exc,
                attempt,
                backoff.attempts - 1,
                delay,
            )
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


async def real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
