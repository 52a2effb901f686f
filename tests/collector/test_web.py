"""The collector's HTTP server: Atom feed (filtered, escaped), /healthz and /metrics."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.config import Settings
from collector.store.database import create_pool
from collector.web import ATOM, make_app

EVIL = "<script>alert(1)</script> & ]]>"


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "test", max_size=4)
    async with pool.acquire() as conn:
        for project, severity, target in (
            ("reqeusts", "high", "requests"),
            ("nmupy", "low", "numpy"),
            ("fine", "info", None),
        ):
            await conn.execute("INSERT INTO projects (normalized, name) VALUES ($1, $1)", project)
            release = await conn.fetchval(
                "INSERT INTO releases (project, version, first_seen_source) VALUES ($1, '1.0', 'rss') RETURNING id",
                project,
            )
            await conn.execute(
                "INSERT INTO findings (release_id, project, version, check_id, severity, score, summary, target, evidence) "
                "VALUES ($1, $2, '1.0', 'release.assessment', $3::severity, 70, $4, $5, $6)",
                release,
                project,
                severity,
                f"{project} 1.0: {EVIL}",
                target,
                {"reasons": [EVIL]},
            )
        await conn.execute("INSERT INTO collector_cursor (name, serial) VALUES ('changelog', 100)")
        await conn.execute(
            "INSERT INTO collector_health (source, last_success_at, upstream_serial, detail) "
            "VALUES ('changelog', now(), 100, '{\"caught_up_at\": 0}')"
        )
    yield pool
    await pool.close()


@pytest.fixture
async def client(pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = make_app(pool, Settings(home=tmp_path, max_lag=60))
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_feed_lists_flagged_releases_escaped_and_filtered(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/feed.atom")
    assert response.status == 200
    assert response.content_type == "application/atom+xml"
    body = await response.read()
    assert b"<script>" not in body
    root = ET.fromstring(body)
    titles = [e.findtext(f"{{{ATOM}}}title") for e in root.findall(f"{{{ATOM}}}entry")]
    assert sorted(titles) == [
        "HIGH reqeusts 1.0",
        "LOW nmupy 1.0",
    ]  # info is not in the feed by default
    summary = root.find(f"{{{ATOM}}}entry/{{{ATOM}}}summary")
    assert summary is not None
    assert EVIL in (summary.text or "")
    high = ET.fromstring(await (await client.get("/feed.atom?min_severity=high")).read())
    assert len(high.findall(f"{{{ATOM}}}entry")) == 1
    watched = ET.fromstring(await (await client.get("/feed.atom?project=NumPy")).read())
    assert [e.findtext(f"{{{ATOM}}}title") for e in watched.findall(f"{{{ATOM}}}entry")] == [
        "LOW nmupy 1.0"
    ]
    assert (await client.get("/feed.atom?min_severity=loud")).status == 400


async def test_healthz_ok_then_failing_when_lagging(client: TestClient, pool: asyncpg.Pool) -> None:  # type: ignore[type-arg]
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"
    async with pool.acquire() as conn:  # PyPI is 500 events ahead and we were caught up long ago
        await conn.execute("UPDATE collector_health SET upstream_serial = 600")
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["lag"]["events"] == 500
    assert "lags" in body["problems"][0]


async def test_healthz_fails_when_the_database_is_gone(
    client: TestClient, pool: asyncpg.Pool
) -> None:  # type: ignore[type-arg]
    await pool.close()
    response = await client.get("/healthz")
    assert response.status == 503
    assert "unavailable" in (await response.json())["database"]


async def test_metrics_in_prometheus_text(client: TestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    assert "# TYPE pypi_sentinel_cursor_serial gauge" in text
    assert "pypi_sentinel_cursor_serial 100" in text
    assert 'pypi_sentinel_findings{severity="high"} 1' in text
    assert 'pypi_sentinel_alerts{state="dead"} 0' in text
    for line in text.splitlines():
        assert line.startswith("#") or line.startswith("pypi_sentinel_")


FailingRow = tuple[str, str, str, str | None, int, str, str]
# A bug on one release, PyPI's garbage on another, a file PyPI refuses, an outage.
BUG: FailingRow = ("release", "buggy", "1.0", None, 5, "internal", 'KeyError: "x"\nline two')
GARBAGE: FailingRow = ("release", "cursed", "2.0", None, 5, "garbage", "not JSON")
REFUSED: FailingRow = ("artifact", "locked", "0.1", "locked-0.1.tar.gz", 4, "rejected", "HTTP 403")
OUTAGE: FailingRow = ("release", "down", "3.0", None, 2, "connection", "refused")


async def _failing_jobs(pool: asyncpg.Pool, *rows: FailingRow) -> None:
    async with pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO jobs (kind, project, version, filename, reason, attempts, error_kind, "
            "last_error) VALUES ($1, $2, $3, $4, 'new release', $5, $6, $7)",
            rows or (BUG, GARBAGE, REFUSED, OUTAGE),
        )


async def test_metrics_count_internal_errors_apart_and_name_the_releases(
    client: TestClient,  # type: ignore[type-arg]
    pool: asyncpg.Pool,
) -> None:
    await _failing_jobs(pool)
    text = await (await client.get("/metrics")).text()
    assert 'pypi_sentinel_job_errors_by_class{class="internal"} 1' in text
    assert 'pypi_sentinel_job_errors_by_class{class="upstream"} 2' in text
    assert 'pypi_sentinel_job_errors_by_class{class="unreachable"} 1' in text
    assert (
        'pypi_sentinel_failing_job_attempts{class="internal",kind="internal",job="release",'
        'project="buggy",version="1.0",filename=""} 5'
    ) in text
    assert (
        'pypi_sentinel_failing_job_attempts{class="upstream",kind="rejected",job="artifact",'
        'project="locked",version="0.1",filename="locked-0.1.tar.gz"} 4'
    ) in text
    for line in text.splitlines():
        assert line.startswith("#") or line.startswith("pypi_sentinel_")


async def test_healthz_fails_on_an_internal_error_and_names_the_release(
    client: TestClient,  # type: ignore[type-arg]
    pool: asyncpg.Pool,
) -> None:
    await _failing_jobs(pool, GARBAGE, REFUSED)  # PyPI's failures are not ours to fail on
    assert (await client.get("/healthz")).status == 200
    await _failing_jobs(pool, BUG)
    response = await client.get("/healthz")
    assert response.status == 503
    (problem,) = (await response.json())["problems"]
    assert "internal error" in problem
    assert "buggy 1.0" in problem
