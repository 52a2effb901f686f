"""The Overview page: releases seen and flagged, by hour and day, the imitated, the latest."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from analysis.known import LeadTimes
from collector.store.known import fetch_lead_times
from dashboard.queries.findings import FindingsPageFilter, fetch_findings
from dashboard.queries.health import Health, fetch_health
from dashboard.queries.shared import IS_VERDICT, Pool, frame


@dataclass(frozen=True, slots=True)
class Overview:
    releases_24h: int
    analysed_24h: int
    releases_total: int
    total_is_estimate: bool
    flagged_24h: dict[str, int]
    flagged_7d: dict[str, int]
    hourly: pd.DataFrame  # bucket, severity, releases
    daily: pd.DataFrame
    imitated: pd.DataFrame  # target, releases, latest
    latest: pd.DataFrame  # latest high and critical releases
    health: Health
    leads: LeadTimes  # releases public reports named as malware, and our lead over them


_RELEASE_COUNTS = """
SELECT count(*) AS seen, count(*) FILTER (WHERE fetched_at IS NOT NULL) AS analysed,
       (SELECT reltuples::bigint FROM pg_class WHERE oid = 'releases'::regclass) AS estimate
FROM releases WHERE first_seen_at >= now() - interval '24 hours'
"""
_FLAGGED = f"""
SELECT severity::text AS severity,
       count(*) FILTER (WHERE first_seen_at >= now() - interval '24 hours') AS day,
       count(*) AS week
FROM findings WHERE {IS_VERDICT} AND first_seen_at >= now() - interval '7 days'
GROUP BY severity
"""
_BUCKETS = f"""
SELECT date_trunc($1, first_seen_at, 'UTC') AS bucket, severity::text AS severity,
       count(*) AS releases
FROM findings WHERE {IS_VERDICT} AND first_seen_at >= now() - $2::interval
GROUP BY 1, 2 ORDER BY 1, 2
"""
_IMITATED = """
SELECT target, count(DISTINCT release_id) AS releases, max(first_seen_at) AS latest
FROM findings
WHERE first_seen_at >= now() - $1::interval AND check_id LIKE 'typosquat.%'
  AND severity >= 'low' AND target IS NOT NULL
GROUP BY target ORDER BY releases DESC, latest DESC LIMIT 10
"""


async def fetch_overview(pool: Pool) -> Overview:
    async with asyncio.TaskGroup() as group:
        counts_task = group.create_task(pool.fetchrow(_RELEASE_COUNTS))
        flagged_task = group.create_task(pool.fetch(_FLAGGED))
        hourly_task = group.create_task(pool.fetch(_BUCKETS, "hour", timedelta(hours=48)))
        daily_task = group.create_task(pool.fetch(_BUCKETS, "day", timedelta(days=30)))
        imitated_task = group.create_task(pool.fetch(_IMITATED, timedelta(days=30)))
        latest_task = group.create_task(
            fetch_findings(pool, FindingsPageFilter(min_severity="high", limit=10))
        )
        health_task = group.create_task(fetch_health(pool))
        leads_task = group.create_task(_lead_times(pool))
    counts, flagged = counts_task.result(), flagged_task.result()
    assert counts is not None
    estimate = int(counts["estimate"] or 0)
    if estimate < 100_000:  # small or never analysed: an exact count is cheap enough
        estimate = int(await pool.fetchval("SELECT count(*) FROM releases"))
        is_estimate = False
    else:
        is_estimate = True
    buckets = ("bucket", "severity", "releases")
    return Overview(
        releases_24h=int(counts["seen"]),
        analysed_24h=int(counts["analysed"]),
        releases_total=estimate,
        total_is_estimate=is_estimate,
        flagged_24h={row["severity"]: int(row["day"]) for row in flagged},
        flagged_7d={row["severity"]: int(row["week"]) for row in flagged},
        hourly=frame(hourly_task.result(), buckets),
        daily=frame(daily_task.result(), buckets),
        imitated=frame(imitated_task.result(), ("target", "releases", "latest")),
        latest=latest_task.result().rows,
        health=health_task.result(),
        leads=leads_task.result(),
    )


async def _lead_times(pool: Pool) -> LeadTimes:
    async with pool.acquire() as conn:
        return await fetch_lead_times(conn)
