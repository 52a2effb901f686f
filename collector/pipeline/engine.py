"""Loading the detection engine: the popular-name index from the local corpus at start-up, and a
daily refresh from the live top-packages list that swaps the index in place."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import aiohttp

from analysis import NameIndex, build_index
from collector.config import Settings
from collector.corpus import fetch_corpus, load_local_corpus
from collector.pipeline.analyzer import EngineAnalyzer
from collector.pypi.http import Http, PyPIUrls

log = logging.getLogger(__name__)


async def load_engine(settings: Settings, http: Http) -> EngineAnalyzer:
    """The engine over the cached (or shipped) corpus: no network at start-up. The index is
    built in a thread while the collector gets going; the first analysis waits for it."""
    return EngineAnalyzer(_local_index(settings), http, PyPIUrls(settings.pypi_url))


async def _local_index(settings: Settings) -> NameIndex:
    loaded = await asyncio.to_thread(load_local_corpus, settings.cache_dir)
    index = await asyncio.to_thread(build_index, loaded.corpus)
    log.info("name index: %d popular projects (%s)", len(loaded.corpus.projects), loaded.origin)
    return index


async def refresh_engine(
    engine: EngineAnalyzer, settings: Settings, session: aiohttp.ClientSession
) -> None:
    """Refresh the corpus from the live list (at most daily; cached) and swap the index."""
    loaded = await fetch_corpus(
        session, settings.top_packages_url, settings.cache_dir, datetime.now(UTC)
    )
    if loaded.origin == "live":
        engine.replace_index(await asyncio.to_thread(build_index, loaded.corpus))
