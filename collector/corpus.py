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
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from analysis import Corpus, CorpusError, parse_corpus

if TYPE_CHECKING:  # aiohttp is imported where the list is fetched: `check` reads it offline
    import aiohttp

log = logging.getLogger(__name__)

SNAPSHOT = "data/top-pypi-packages.min.json"  # inside the analysis package
CACHE_FILE = "top-pypi-packages.min.json"
META_FILE = "top-pypi-packages.meta.json"
REFRESH_EVERY = timedelta(days=1)
STALE_AFTER_DAYS = 60  # the top 5,000 changes by a few hundred names a year: old lists miss them
FETCH_TIMEOUT = 60.0
Origin = Literal["live", "cache", "snapshot"]


@dataclass(frozen=True, slots=True)
class LoadedCorpus:
    """A corpus and where it came from."""

    corpus: Corpus
    origin: Origin
    fetched_at: datetime | None = None  # when the live list behind it was downloaded


@dataclass(frozen=True, slots=True)
class ListAge:
    """How old the popular-projects list is: a name that became popular since is not guarded."""

    origin: Origin
    date: date | None  # the list's own date, else when it was downloaded; None if neither is known
    age_days: int | None

    @property
    def stale(self) -> bool:
        return self.age_days is not None and self.age_days > STALE_AFTER_DAYS


def list_age(loaded: LoadedCorpus, today: date) -> ListAge:
    """The list's date (its `last_update`, else the download time) and its age on `today`."""
    dated = _list_date(loaded)
    return ListAge(loaded.origin, dated, (today - dated).days if dated else None)


def _list_date(loaded: LoadedCorpus) -> date | None:
    try:
        return date.fromisoformat((loaded.corpus.last_update or "")[:10])
    except ValueError:
        return loaded.fetched_at.date() if loaded.fetched_at else None


def render_list_age_json(age: ListAge) -> dict[str, object]:
    return {
        "origin": age.origin,
        "source": _ORIGIN_TEXT[age.origin],
        "date": age.date.isoformat() if age.date else None,
        "age_days": age.age_days,
        "stale": age.stale,
        "stale_after_days": STALE_AFTER_DAYS,
    }


def render_list_age_text(age: ListAge) -> str:
    """`2026-04-01, 247 days old (shipped snapshot)`."""
    if age.date is None or age.age_days is None:
        return f"date unknown ({_ORIGIN_TEXT[age.origin]})"
    days = "1 day" if age.age_days == 1 else f"{age.age_days} days"
    return f"{age.date.isoformat()}, {days} old ({_ORIGIN_TEXT[age.origin]})"


def render_stale_warning(age: ListAge) -> str | None:
    """One line for stderr when the list is over STALE_AFTER_DAYS old, saying how to refresh it."""
    if not age.stale:
        return None
    return (
        f"the popular-projects list is {age.age_days} days old ({age.date}, "
        f"{_ORIGIN_TEXT[age.origin]}): typosquats of projects that became popular since go "
        f"unnoticed; `pypi-sentinel run` refreshes it daily from --top-packages-url as it follows PyPI"
    )


_ORIGIN_TEXT: dict[Origin, str] = {
    "live": "downloaded just now",
    "cache": "refreshed cache",
    "snapshot": "shipped snapshot",
}


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
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
    async with session.get(url, timeout=timeout) as response:
        if response.status != 200:
            raise CorpusError(f"HTTP {response.status}")
        return await response.read()


async def fetch_corpus(
    session: aiohttp.ClientSession, url: str, cache_dir: Path, now: datetime
) -> LoadedCorpus:
    """The live list, refreshed at most once a day; on failure the cache, then the snapshot."""
    import aiohttp

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
            url,
            str(exc) or type(exc).__name__,
            "cached copy" if fallback.origin == "cache" else "snapshot shipped with pypi-sentinel",
            len(fallback.corpus.projects),
        )
        return fallback
    await asyncio.to_thread(_write_cache, cache_dir, body, url, now, corpus)
    log.info("refreshed the top-packages list from %s: %d projects", url, len(corpus.projects))
    return LoadedCorpus(corpus, "live", now)
