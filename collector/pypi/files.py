"""Downloading one distribution file: streamed with a size cap, its sha256 checked on the way.

Nothing touches the disk: the bytes stay in memory until the archive reader is done with them.
Expected outcomes are values (too large, gone, digest mismatch); transient trouble (429, 5xx,
timeouts, dropped connections) is an UpstreamError for the caller's retries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import aiohttp

from collector.pypi.http import Http, status_error, transport_errors

CHUNK = 1 << 16
# Big files on a slow link: no overall deadline, but a stalled read fails.
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10.0, sock_read=60.0)


@dataclass(frozen=True, slots=True)
class Downloaded:
    data: bytes


@dataclass(frozen=True, slots=True)
class TooLarge:
    size: int | None  # what the server or PyPI's JSON announced; None if it only showed in transit
    limit: int


@dataclass(frozen=True, slots=True)
class FileGone:
    status: int  # 404 / 410: the file was removed (or the project quarantined)


@dataclass(frozen=True, slots=True)
class DigestMismatch:
    expected: str
    actual: str


Download = Downloaded | TooLarge | FileGone | DigestMismatch


async def fetch_distribution(
    http: Http, url: str, *, max_bytes: int, sha256: str | None
) -> Download:
    """GET one file, refusing more than `max_bytes`, and check it against PyPI's sha256."""
    digest = hashlib.sha256()
    buffer = bytearray()
    with transport_errors(f"GET {url}"):
        async with http.session.get(url, timeout=DOWNLOAD_TIMEOUT) as resp:
            if resp.status in (404, 410):
                return FileGone(resp.status)
            if resp.status != 200:
                raise status_error(f"GET {url}", resp.status, resp.headers)
            announced = resp.content_length
            if announced is not None and announced > max_bytes:
                return TooLarge(announced, max_bytes)
            async for chunk in resp.content.iter_chunked(CHUNK):
                if len(buffer) + len(chunk) > max_bytes:
                    return TooLarge(None, max_bytes)
                digest.update(chunk)
                buffer += chunk
    actual = digest.hexdigest()
    if sha256 and actual != sha256.lower():
        return DigestMismatch(sha256.lower(), actual)
    return Downloaded(bytes(buffer))
