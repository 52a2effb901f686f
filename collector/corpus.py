"""The popular-projects corpus on disk: the shipped snapshot, and a daily-refreshed cache of the live list.

Never fetched at import. `fetch_corpus` refreshes from the configured URL at most once a day and
falls back to the cache, then to the snapshot shipped in the package, saying so in the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Literal

import aiohttp

from analysis import Corpus, CorpusError, parse_corpus

log = logging.getLogger(__name__)

SNAPSHOT = "data/top-pypi-packages.min.json"  # inside the analysis package
CACHE_FILE = "top-pypi-packages.min.json"
META_FILE = "top-pypi-packages.meta.json"
REFRESH_EVERY = timedelta(days=1)
FETCH_TIMEOUT = 60.0
Origin = Literal["live", "cache", "snapshot"]


@dataclass(frozen=True, slots=True)
class LoadedCorpus:
    """A corpus and where it came from."""

    corpus: Corpus
    origin: Origin
    fetched_at: datetime | None = None  # when the live list behind it was downloaded


def read_snapshot() -> bytes:
    """The list shipped with the package."""
    return resources.files("analysis").joinpath(SNAPSHOT).read_bytes()


def load_snapshot() -> LoadedCorpus:
    return LoadedCorpus(parse_corpus(read_snapshot()), "snapshot")


def _read_meta(cache_dir: Path) -> dict[str, str]:
    try:
        meta = json.loads((cache_dir / META_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _load_cache(cache_dir: Path) -> LoadedCorpus | None:
    path = cache_dir / CACHE_FILE
    if not path.exists():
        return None
    try:
        corpus = parse_corpus(path.read_bytes())
    except (OSError, CorpusError) as exc:
        log.warning("cached top-packages list %s is unreadable (%s); ignoring it", path, exc)
        return None
    fetched = _read_meta(cache_dir).get("fetched_at")
    return LoadedCorpus(corpus, "cache", datetime.fromisoformat(fetched) if fetched else None)


def load_local_corpus(cache_dir: Path) -> LoadedCorpus:
    """The cached live list if there is one (any age), else the shipped snapshot. No network."""
    return _load_cache(cache_dir) or load_snapshot()


def _write_cache(cache_dir: Path, body: bytes, url: str, now: datetime, corpus: Corpus) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "fetched_at": now.isoformat(),
        "url": url,
        "last_update": corpus.last_update,
        "rows": len(corpus.projects),
    }
    for name, data in ((CACHE_FILE, body), (META_FILE, json.dumps(meta).encode())):
        partial = cache_dir / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, cache_dir / name)  # readers never see half a file


def _fresh(cache_dir: Path, url: str, now: datetime) -> bool:
    meta = _read_meta(cache_dir)
    fetched = meta.get("fetched_at")
    if meta.get("url") != url or not fetched or not (cache_dir / CACHE_FILE).exists():
        return False
    return now - datetime.fromisoformat(fetched) < REFRESH_EVERY


async def _download(session: aiohttp.ClientSession, url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
    async with session.get(url, timeout=timeout) as response:
        if response.status != 200:
            raise CorpusError(f"HTTP {response.status}")
        return await response.read()


async def fetch_corpus(
    session: aiohttp.ClientSession, url: str, cache_dir: Path, now: datetime
) -> LoadedCorpus:
    """The live list, refreshed at most once a day; on failure the cache, then the snapshot."""
    if await asyncio.to_thread(_fresh, cache_dir, url, now):
        cached = await asyncio.to_thread(_load_cache, cache_dir)
        if cached is not None:
            return cached
    try:
        body = await _download(session, url)
        corpus = parse_corpus(body)
    except (aiohttp.ClientError, TimeoutError, CorpusError) as exc:
        fallback = await asyncio.to_thread(load_local_corpus, cache_dir)
        log.warning(
            "could not refresh the top-packages list from %s (%s); using the %s (%d projects)",
            url, str(exc) or type(exc).__name__, "cached copy" if fallback.origin == "cache"
            else "snapshot shipped with pypi-sentinel", len(fallback.corpus.projects),
        )  # fmt: skip
        return fallback
    await asyncio.to_thread(_write_cache, cache_dir, body, url, now, corpus)
    log.info("refreshed the top-packages list from %s: %d projects", url, len(corpus.projects))
    return LoadedCorpus(corpus, "live", now)
