"""The Campaigns page: flagged releases grouped by what they share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import pandas as pd

from analysis.metadata import FREE_DOMAINS
from dashboard.queries.shared import IS_VERDICT, Pool, frame

CampaignKind = Literal["author", "email_domain", "account", "description", "burst"]
CAMPAIGN_KINDS: dict[CampaignKind, str] = {
    "author": "NULLIF(lower(btrim(r.author)), '')",
    "email_domain": "substring(lower(r.author_email) from '@([a-z0-9.-]+[a-z])')",
    "account": "k.account",
    "description": "NULLIF(md5(COALESCE(r.summary, '') || E'\\x1f' || "
    "COALESCE(r.metadata->'metadata'->>'description', '')), md5(E'\\x1f'))",
    "burst": "to_char(date_bin('15 minutes', f.first_seen_at, TIMESTAMPTZ '2000-01-01'), "
    "'YYYY-MM-DD HH24:MI')",
}
_ACCOUNTS = """
LEFT JOIN LATERAL (
    SELECT DISTINCT role->>'user' AS account
    FROM jsonb_array_elements(COALESCE(r.metadata->'ownership'->'roles', '[]'::jsonb)) role
) k ON true
"""
CAMPAIGN_COLUMNS = (
    "key",
    "label",
    "releases",
    "projects",
    "names",
    "severity",
    "first_seen",
    "last_seen",
)


def _campaign_sql(kind: CampaignKind) -> str:
    key = CAMPAIGN_KINDS[kind]
    label = (
        "max(left(COALESCE(NULLIF(r.summary, ''), r.metadata->'metadata'->>'description'), 120))"
        if kind == "description"
        else f"min({key})"
    )
    # A burst needs nothing of the release row: the verdict index alone answers it.
    releases = "" if kind == "burst" else "JOIN releases r ON r.id = f.release_id"
    return f"""
SELECT {key} AS key, {label} AS label, count(DISTINCT f.release_id) AS releases,
       count(DISTINCT f.project) AS projects,
       (array_agg(DISTINCT f.project))[1:8] AS names, max(f.severity)::text AS severity,
       min(f.first_seen_at) AS first_seen, max(f.first_seen_at) AS last_seen
FROM findings f {releases}
{_ACCOUNTS if kind == "account" else ""}
WHERE f.{IS_VERDICT} AND f.first_seen_at >= $1 AND f.severity >= $2::severity
  AND {key} IS NOT NULL AND NOT ({key} = ANY($3::text[]))
GROUP BY 1 HAVING count(DISTINCT f.project) >= $4
ORDER BY releases DESC, last_seen DESC LIMIT 100
"""


async def fetch_campaigns(
    pool: Pool,
    kind: CampaignKind,
    since: datetime,
    min_severity: str,
    *,
    ignore: Sequence[str] = (),
    min_projects: int = 2,
) -> pd.DataFrame:
    """Flagged releases since `since` grouped by what they share; groups of several projects."""
    if kind == "email_domain":
        ignore = [*ignore, *sorted(FREE_DOMAINS)]  # everyone has gmail: not a shared trait
    rows = await pool.fetch(_campaign_sql(kind), since, min_severity, list(ignore), min_projects)
    return frame(rows, CAMPAIGN_COLUMNS)


CAMPAIGN_RELEASE_COLUMNS = (
    "release_id",
    "first_seen_at",
    "project",
    "version",
    "severity",
    "score",
    "author",
    "author_email",
    "summary",
)


async def fetch_campaign_releases(
    pool: Pool, kind: CampaignKind, key: str, since: datetime, min_severity: str
) -> pd.DataFrame:
    sql = f"""
SELECT f.release_id, f.first_seen_at, r.project, r.version, f.severity::text AS severity,
       f.score, r.author, r.author_email, r.summary
FROM findings f JOIN releases r ON r.id = f.release_id
{_ACCOUNTS if kind == "account" else ""}
WHERE f.{IS_VERDICT} AND f.first_seen_at >= $1 AND f.severity >= $2::severity
  AND {CAMPAIGN_KINDS[kind]} = $3
ORDER BY f.first_seen_at DESC LIMIT 500
"""
    rows = await pool.fetch(sql, since, min_severity, key)
    return frame(rows, CAMPAIGN_RELEASE_COLUMNS)
