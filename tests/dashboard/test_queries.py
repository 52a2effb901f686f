"""The queries module against a seeded real Postgres: filters, paging, writes, and index plans."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from analysis.requirements import Dependency
from collector.store.database import create_pool
from dashboard import queries
from dashboard.queries import FindingsPageFilter, SubscriptionInput
from tests.dashboard.seed import FILLER, WEBHOOK, Seeded

WEEK_AGO = datetime.now(UTC) - timedelta(days=7)


@pytest.fixture
async def pool(database_url: str, seeded: Seeded) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "test", max_size=4)
    yield pool
    await pool.close()


async def _names(pool: asyncpg.Pool, **kwargs: Any) -> list[str]:
    page = await queries.fetch_findings(pool, FindingsPageFilter(since=WEEK_AGO, **kwargs))
    return list(page.rows["project"])


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"min_severity": "critical"}, ["reqeusts"]),  # severity is a floor
        ({"min_severity": "high"}, ["reqeusts", "requestss"]),  # old-squat is outside the week
        ({"search": "evil"}, ["reqeusts", "requestss"]),  # the author's name
        ({"search": "mailinator"}, ["reqeusts", "requestss"]),  # the author's e-mail domain
        ({"search": "numpy"}, ["numpyy"]),  # the imitated project
        ({"search": "reqe"}, ["reqeusts"]),  # a name prefix
        ({"triage": "needs_review"}, ["requestss"]),  # the latest verdict
        ({"check_id": "metadata.copied-metadata"}, ["reqeusts"]),  # releases with that check
        ({"min_severity": "high", "triage": "new"}, ["reqeusts"]),  # no verdict yet
        ({"min_severity": "medium", "sort": "name"}, ["numpyy", "reqeusts", "requestss"]),
        ({"min_severity": "medium", "sort": "severity"}, ["reqeusts", "requestss", "numpyy"]),
    ],
)
async def test_release_rows_filter(
    pool: asyncpg.Pool, kwargs: dict[str, Any], expected: list[str]
) -> None:
    assert await _names(pool, **kwargs) == expected


async def test_check_rows_show_each_check(pool: asyncpg.Pool) -> None:
    page = await queries.fetch_findings(
        pool, FindingsPageFilter(per_release=False, since=WEEK_AGO, search="requests", sort="name")
    )
    rows = page.rows.to_dict("records")
    assert {(r["project"], r["check_id"]) for r in rows} >= {
        ("reqeusts", "typosquat.swapped-chars"),
        ("reqeusts", "metadata.copied-metadata"),
        ("requestss", "typosquat.repeated-char"),
    }
    assert "release.assessment" not in {r["check_id"] for r in rows}


async def test_paging_counts_and_offsets(pool: asyncpg.Pool) -> None:
    total = FILLER + 4  # fillers, reqeusts, requestss, numpyy, xss-pkg
    first = await queries.fetch_findings(pool, FindingsPageFilter(since=WEEK_AGO, limit=25))
    last = await queries.fetch_findings(
        pool, FindingsPageFilter(since=WEEK_AGO, limit=25, offset=50)
    )
    assert (first.total, first.capped, len(first.rows)) == (total, False, 25)
    assert len(last.rows) == total - 50
    assert set(first.rows["release_id"]).isdisjoint(set(last.rows["release_id"]))
    row = first.rows.iloc[0]
    assert (row["project"], row["triage"], row["targets"]) == ("reqeusts", "new", "requests")
    # the reasons of the combined verdict stand in for its one-line summary
    assert "swaps 'ue' in requests" in row["summary"]


async def test_release_detail(pool: asyncpg.Pool, seeded: Seeded) -> None:
    release_id = seeded.ids["reqeusts 1.0.0"]
    assert await queries.find_release(pool, "reqeusts", "1.0.0") == release_id
    assert await queries.find_release(pool, "reqeusts", None) == release_id
    assert await queries.find_release(pool, "reqeusts", "9") is None
    detail = await queries.fetch_release(pool, release_id)
    assert detail is not None
    assert detail.release["status"] == "active"
    assert detail.findings[0]["check_id"] == "release.assessment"  # the verdict comes first
    assert detail.targets["requests"].summary == "Python HTTP for Humans."
    assert list(detail.files["filename"]) == ["reqeusts-1.0.0.tar.gz"]
    assert await queries.fetch_release(pool, 10**9) is None


async def test_verdicts_are_stored_newest_first(pool: asyncpg.Pool, seeded: Seeded) -> None:
    release_id = seeded.ids["reqeusts 1.0.0"]
    await queries.record_verdict(pool, release_id, "needs_review", "", "alice")
    await queries.record_verdict(pool, release_id, "malicious", "confirmed", "bob")
    detail = await queries.fetch_release(pool, release_id)
    assert detail is not None
    assert list(detail.verdicts["verdict"]) == ["malicious", "needs_review"]
    assert await _names(pool, triage="malicious") == ["reqeusts"]
    with pytest.raises(ValueError, match="unknown verdict"):
        await queries.record_verdict(pool, release_id, "evil", "", "x")


@pytest.mark.parametrize(
    ("kind", "key", "projects"),
    [
        ("author", "evil corp", {"reqeusts", "requestss"}),
        ("email_domain", "mailinator.com", {"reqeusts", "requestss"}),
        ("account", "evil-account", {"reqeusts", "requestss"}),
    ],
)
async def test_campaigns_group_shared_traits(
    pool: asyncpg.Pool, kind: queries.CampaignKind, key: str, projects: set[str]
) -> None:
    groups = await queries.fetch_campaigns(pool, kind, WEEK_AGO, "medium")
    assert list(groups["key"]) == [key]
    assert set(groups.iloc[0]["names"]) == projects
    members = await queries.fetch_campaign_releases(pool, kind, key, WEEK_AGO, "medium")
    assert set(members["project"]) == projects


async def test_bursts_and_free_mail(pool: asyncpg.Pool) -> None:
    # the sixty fillers arrived one a minute: four or five 15-minute bursts of low releases
    bursts = await queries.fetch_campaigns(pool, "burst", WEEK_AGO, "low", min_projects=3)
    assert 4 <= len(bursts) <= 5
    assert sum(bursts["projects"]) >= FILLER - 4  # a bucket edge may cut off a straggler
    domains = await queries.fetch_campaigns(pool, "email_domain", WEEK_AGO, "info")
    assert "gmail.com" not in set(domains["key"])


async def test_subscriptions_crud_and_masking(pool: asyncpg.Pool) -> None:
    subs = await queries.fetch_subscriptions(pool)
    assert [(s.name, s.target_masked, s.has_secret, s.failed_deliveries) for s in subs] == [
        ("security-team", "https://hooks.slack.com/…", True, 1)
    ]
    assert WEBHOOK not in json.dumps([s.target_masked for s in subs])
    new = SubscriptionInput(
        name="mail",
        channel="email",
        target="sec@example.com",
        min_severity="high",
        check_ids=[],
        watched_projects=["acme"],
        name_patterns=["acme-*"],
        delivery="daily",
        enabled=True,
    )
    sub_id = await queries.create_subscription(pool, new)
    with pytest.raises(queries.DuplicateName):
        await queries.create_subscription(pool, new)
    kept = dataclasses.replace(new, target=None, delivery="hourly")
    assert await queries.update_subscription(pool, sub_id, kept)
    row = await pool.fetchrow(
        "SELECT target, delivery, origin FROM subscriptions WHERE id = $1", sub_id
    )
    assert dict(row) == {"target": "sec@example.com", "delivery": "hourly", "origin": "dashboard"}
    assert await queries.delete_subscription(pool, sub_id)
    assert not await queries.delete_subscription(pool, sub_id)


async def test_health_and_overview(pool: asyncpg.Pool) -> None:
    health = await queries.fetch_health(pool)
    assert (health.cursor_serial, health.pypi_last_serial, health.lag_events) == (1000, 1010, 10)
    assert health.lag_seconds is not None
    assert health.lag_seconds >= 120
    assert (health.queue["pending"], health.queue["retrying"]) == (2, 1)
    assert health.errors_by_kind == {"http": 1}
    assert health.outbox == {"dead": 1}
    error = health.failed_deliveries.iloc[0]["last_error"]
    assert "SUPERSECRETTOKEN" not in error
    assert "hooks.slack.com" in error
    overview = await queries.fetch_overview(pool)
    assert overview.flagged_24h["critical"] == 1
    assert list(overview.imitated["target"]) == ["requests", "numpy"]
    assert list(overview.latest["project"]) == ["reqeusts", "requestss", "old-squat"]
    assert set(overview.hourly["severity"]) >= {"critical", "high", "low"}


# ---------------------------------------------------------------- every read uses an index

BIG_TABLES = {
    "alert_outbox",
    "changelog_events",
    "files",
    "findings",
    "index_blocks",
    "jobs",
    "projects",
    "releases",
    "reports",
    "triage_verdicts",
}


class Recorder:
    """Passes queries to the pool (or a connection acquired from it) and keeps each (sql, args)
    for EXPLAIN."""

    def __init__(self, pool: Any, seen: list[tuple[str, tuple[Any, ...]]] | None = None) -> None:
        self.pool = pool
        self.seen: list[tuple[str, tuple[Any, ...]]] = [] if seen is None else seen

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pool, name)

        async def call(sql: str, *args: Any) -> Any:
            self.seen.append((sql, args))
            return await method(sql, *args)

        return call

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Recorder]:
        async with self.pool.acquire() as conn:
            yield Recorder(conn, self.seen)


def _scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    found = [(plan["Node Type"], plan.get("Relation Name", ""))]
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


async def test_every_read_is_served_by_an_index(pool: asyncpg.Pool, seeded: Seeded) -> None:
    recorder = Recorder(pool)
    since = WEEK_AGO
    for flt in (
        FindingsPageFilter(since=since),
        FindingsPageFilter(per_release=False, since=since),
        FindingsPageFilter(search="evil corp"),
        FindingsPageFilter(per_release=False, search="requests"),
        FindingsPageFilter(triage="malicious"),
        FindingsPageFilter(triage="new", sort="severity"),
        FindingsPageFilter(check_id="metadata.copied-metadata", sort="name"),
        FindingsPageFilter(per_release=False, check_id="typosquat.swapped-chars", sort="oldest"),
    ):
        await queries.fetch_findings(recorder, flt)  # type: ignore[arg-type]
    await queries.fetch_overview(recorder)  # type: ignore[arg-type]
    await queries.fetch_release(recorder, seeded.ids["reqeusts 1.0.0"])  # type: ignore[arg-type]
    await queries.find_release(recorder, "reqeusts", None)  # type: ignore[arg-type]
    await queries.fetch_known_issues(recorder, "reqeusts", "1.0.0")  # type: ignore[arg-type]
    pinned = Dependency("reqeusts", "reqeusts==1.0.0", "line 1")
    await queries.fetch_audit_lookup(recorder, [pinned])  # type: ignore[arg-type]
    for kind in queries.CAMPAIGN_KINDS:
        await queries.fetch_campaigns(recorder, kind, since, "low")  # type: ignore[arg-type]
        await queries.fetch_campaign_releases(recorder, kind, "x", since, "low")  # type: ignore[arg-type]
    await queries.fetch_subscriptions(recorder)  # type: ignore[arg-type]
    await queries.fetch_index_blocks(recorder, since)  # type: ignore[arg-type]
    assert len(recorder.seen) > 30
    async with pool.acquire() as conn:
        await conn.execute("SET enable_seqscan = off")  # only a missing index leaves a seq scan
        for sql, args in recorder.seen:
            if not sql.lstrip().upper().startswith("SELECT") and not sql.lstrip().startswith(
                "WITH"
            ):
                continue
            plan = await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args)
            plan = json.loads(plan) if isinstance(plan, str) else plan
            seq = [
                rel
                for node, rel in _scans(plan[0]["Plan"])
                if node == "Seq Scan" and rel in BIG_TABLES
            ]
            assert not seq, f"sequential scan of {seq} in:\n{sql}"
