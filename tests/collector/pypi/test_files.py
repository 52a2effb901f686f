"""Downloading distribution files from a real local server: the cap, the digest, and the errors."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from collector.errors import UpstreamError
from collector.pypi.files import (
    DigestMismatch,
    Downloaded,
    FileGone,
    TooLarge,
    fetch_distribution,
)
from collector.pypi.http import Http

PAYLOAD = b"PK\x03\x04" + bytes(range(256)) * 400  # ~100 KB
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


async def _plain(request: web.Request) -> web.Response:
    return web.Response(body=PAYLOAD)


async def _streamed(request: web.Request) -> web.StreamResponse:
    """No Content-Length: the cap must hold while the body streams in."""
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for start in range(0, len(PAYLOAD), 8192):
        await resp.write(PAYLOAD[start : start + 8192])
    await resp.write_eof()
    return resp


async def _status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    headers = {"Retry-After": "7"} if code == 429 else {}
    return web.Response(status=code, text="no", headers=headers)


@pytest.fixture
async def http() -> AsyncIterator[tuple[Http, str]]:
    app = web.Application()
    app.router.add_get("/plain/{name}", _plain)
    app.router.add_get("/streamed/{name}", _streamed)
    app.router.add_get("/status/{code}", _status)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Http(session), str(server.make_url("")).rstrip("/")
    await server.close()


async def test_a_file_within_the_cap_with_its_digest_is_downloaded(http: tuple[Http, str]) -> None:
    client, base = http
    for path in ("plain", "streamed"):
        result = await fetch_distribution(
            client, f"{base}/{path}/x.whl", max_bytes=1 << 20, sha256=DIGEST.upper()
        )
        assert result == Downloaded(PAYLOAD), path


@pytest.mark.parametrize(
    ("path", "announced"),
    [("plain", len(PAYLOAD)), ("streamed", None)],
    ids=["refused from Content-Length before reading", "refused mid-stream without a length"],
)
async def test_a_file_over_the_cap_is_too_large(
    http: tuple[Http, str], path: str, announced: int | None
) -> None:
    client, base = http
    result = await fetch_distribution(
        client, f"{base}/{path}/x.whl", max_bytes=50_000, sha256=DIGEST
    )
    assert result == TooLarge(announced, 50_000)


async def test_bytes_that_do_not_match_the_listed_digest_are_reported(
    http: tuple[Http, str],
) -> None:
    client, base = http
    result = await fetch_distribution(
        client, f"{base}/plain/x.whl", max_bytes=1 << 20, sha256="ab" * 32
    )
    assert result == DigestMismatch("ab" * 32, DIGEST)


@pytest.mark.parametrize("code", [404, 410])
async def test_a_removed_file_is_gone_not_an_error(http: tuple[Http, str], code: int) -> None:
    client, base = http
    result = await fetch_distribution(
        client, f"{base}/status/{code}", max_bytes=1 << 20, sha256=None
    )
    assert result == FileGone(code)


@pytest.mark.parametrize(
    ("code", "kind", "retry_after"),
    [(429, "rate_limited", 7.0), (503, "http", None), (403, "rejected", None)],
)
async def test_transient_and_unexpected_statuses_raise_for_the_retries(
    http: tuple[Http, str], code: int, kind: str, retry_after: float | None
) -> None:
    client, base = http
    with pytest.raises(UpstreamError) as caught:
        await fetch_distribution(client, f"{base}/status/{code}", max_bytes=1 << 20, sha256=None)
    assert caught.value.kind == kind
    assert caught.value.retry_after == retry_after


async def test_an_unreachable_server_is_a_connection_error() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(UpstreamError) as caught:
            await fetch_distribution(
                Http(session), "http://127.0.0.1:9/x.whl", max_bytes=1 << 20, sha256=None
            )
    assert caught.value.kind == "connection"
