"""Corpus loading against a real local HTTP server: daily refresh, cache, snapshot fallback."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from analysis import parse_corpus
from collector.corpus import (
    CACHE_FILE,
    META_FILE,
    ListAge,
    LoadedCorpus,
    fetch_corpus,
    list_age,
    load_local_corpus,
    load_snapshot,
    read_snapshot,
    render_list_age_json,
    render_list_age_text,
    render_stale_warning,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LIVE = {
    "last_update": "2026-11-01 06:00:00",
    "source": "test server",
    "rows": [
        {"download_count": 100, "project": "requests"},
        {"download_count": 50, "project": "numpy"},
    ],
    "total_rows": 2,
}


@dataclass
class FakeList:
    """Serves the list (or an error) and counts requests."""

    status: int = 200
    body: bytes = json.dumps(LIVE).encode()
    requests: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(status=self.status, body=self.body, content_type="application/json")


@pytest.fixture
def fake() -> FakeList:
    return FakeList()


@pytest.fixture
async def url(fake: FakeList) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/top-pypi-packages.min.json", fake.handle)
    server = TestServer(app, port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/top-pypi-packages.min.json"))
    finally:
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def test_snapshot_is_shipped_as_package_data() -> None:
    snapshot = load_snapshot()
    assert snapshot.origin == "snapshot"
    assert len(snapshot.corpus.projects) == 15000
    assert snapshot.corpus.projects[0].downloads >= snapshot.corpus.projects[-1].downloads
    assert json.loads(read_snapshot())["total_rows"] == 15000
    assert snapshot.corpus.last_update == "2026-04-01 06:34:06", "hugovk's list of 2026-04-01"


def _loaded(last_update: str | None, fetched_at: datetime | None = None) -> LoadedCorpus:
    payload = {"rows": LIVE["rows"], "last_update": last_update}
    return LoadedCorpus(parse_corpus(payload), "cache" if fetched_at else "snapshot", fetched_at)


@pytest.mark.parametrize(
    ("loaded", "today", "expected", "reason"),
    [
        (
            _loaded("2026-04-01 06:34:06"),
            date(2026, 5, 31),
            ListAge("snapshot", date(2026, 4, 1), 60),
            "60 days old is still current",
        ),
        (
            _loaded("2026-04-01 06:34:06"),
            date(2026, 12, 4),
            ListAge("snapshot", date(2026, 4, 1), 247),
            "the list's own date counts, not when it was shipped",
        ),
        (
            _loaded("2026-11-01", NOW),
            date(2026, 12, 4),
            ListAge("cache", date(2026, 11, 1), 33),
            "a cached live list has its own date too",
        ),
        (
            _loaded(None, NOW),
            date(2026, 12, 4),
            ListAge("cache", date(2026, 11, 21), 13),
            "an undated cached list is as old as its download",
        ),
        (
            _loaded("last week", NOW),
            date(2026, 12, 4),
            ListAge("cache", date(2026, 11, 21), 13),
            "a date that is not a date is no date",
        ),
        (
            _loaded(None),
            date(2026, 12, 4),
            ListAge("snapshot", None, None),
            "an undated snapshot has no known age",
        ),
    ],
)
def test_list_age(loaded: LoadedCorpus, today: date, expected: ListAge, reason: str) -> None:
    assert list_age(loaded, today) == expected, reason


@pytest.mark.parametrize(
    ("age", "stale", "text"),
    [
        (
            ListAge("snapshot", date(2026, 4, 1), 60),
            False,
            "2026-04-01, 60 days old (shipped snapshot)",
        ),
        (ListAge("cache", date(2026, 4, 1), 61), True, "2026-04-01, 61 days old (refreshed cache)"),
        (
            ListAge("live", date(2026, 12, 3), 1),
            False,
            "2026-12-03, 1 day old (downloaded just now)",
        ),
        (ListAge("snapshot", None, None), False, "date unknown (shipped snapshot)"),
    ],
)
def test_list_age_text_json_and_warning(age: ListAge, stale: bool, text: str) -> None:
    assert render_list_age_text(age) == text
    document = render_list_age_json(age)
    assert (document["age_days"], document["stale"]) == (age.age_days, stale)
    warning = render_stale_warning(age)
    assert (warning is not None) == stale
    if warning:
        assert "61 days old" in warning
        assert "`pypi-sentinel run` refreshes it daily" in warning, "says how to refresh it"
        assert "\n" not in warning


async def test_fetches_and_caches(
    session: aiohttp.ClientSession, url: str, fake: FakeList, tmp_path: Path
) -> None:
    loaded = await fetch_corpus(session, url, tmp_path, NOW)
    assert (loaded.origin, loaded.fetched_at) == ("live", NOW)
    assert [p.name for p in loaded.corpus.projects] == ["requests", "numpy"]
    assert json.loads((tmp_path / META_FILE).read_text())["url"] == url
    assert (tmp_path / CACHE_FILE).read_bytes() == fake.body


async def test_refreshes_at_most_once_a_day(
    session: aiohttp.ClientSession, url: str, fake: FakeList, tmp_path: Path
) -> None:
    await fetch_corpus(session, url, tmp_path, NOW)
    again = await fetch_corpus(session, url, tmp_path, NOW + timedelta(hours=23))
    assert (again.origin, again.fetched_at) == ("cache", NOW)
    assert len(fake.requests) == 1
    later = await fetch_corpus(session, url, tmp_path, NOW + timedelta(hours=25))
    assert later.origin == "live"
    assert len(fake.requests) == 2


async def test_another_url_is_fetched_even_when_the_cache_is_fresh(
    session: aiohttp.ClientSession, url: str, fake: FakeList, tmp_path: Path
) -> None:
    await fetch_corpus(session, url, tmp_path, NOW)
    await fetch_corpus(session, url + "?mirror=1", tmp_path, NOW)
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [(500, b"oops", "server error"), (200, b"<html>", "not JSON"), (404, b"", "gone")],
)
async def test_failure_falls_back_to_the_cache_and_says_so(
    session: aiohttp.ClientSession,
    url: str,
    fake: FakeList,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: bytes,
    reason: str,
) -> None:
    await fetch_corpus(session, url, tmp_path, NOW)
    fake.status, fake.body = status, body
    with caplog.at_level(logging.WARNING, logger="collector.corpus"):
        loaded = await fetch_corpus(session, url, tmp_path, NOW + timedelta(days=2))
    assert loaded.origin == "cache", reason
    assert [p.name for p in loaded.corpus.projects] == ["requests", "numpy"]
    assert "using the cached copy" in caplog.text


async def test_failure_without_cache_uses_the_snapshot(
    session: aiohttp.ClientSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="collector.corpus"):
        loaded = await fetch_corpus(session, "http://127.0.0.1:9/nothing", tmp_path, NOW)
    assert loaded.origin == "snapshot"
    assert "snapshot shipped with pypi-sentinel" in caplog.text


async def test_unreadable_cache_is_ignored(
    session: aiohttp.ClientSession,
    url: str,
    fake: FakeList,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await fetch_corpus(session, url, tmp_path, NOW)
    (tmp_path / CACHE_FILE).write_text("garbage")
    fake.status = 503
    with caplog.at_level(logging.WARNING, logger="collector.corpus"):
        loaded = await fetch_corpus(session, url, tmp_path, NOW)  # fresh by date, but unreadable
    assert loaded.origin == "snapshot"
    assert "unreadable" in caplog.text


def test_local_corpus_prefers_the_cache(tmp_path: Path) -> None:
    assert load_local_corpus(tmp_path).origin == "snapshot"
    (tmp_path / CACHE_FILE).write_text(json.dumps(LIVE))
    (tmp_path / META_FILE).write_text("not json")
    cached = load_local_corpus(tmp_path)
    assert (cached.origin, cached.fetched_at) == ("cache", None)
