"""Every query the dashboard runs, reads and writes, and nothing else: no st.* calls in here.

Each function takes the pool, runs on the dashboard's database loop (dashboard.db) and returns
dataclasses or DataFrames. Reads are shaped for the indexes of migrations 0001-0004 so a page
stays fast over millions of rows; EXPLAIN plans are checked by tests/dashboard/test_queries.py.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg
import pandas as pd

from analysis.approvals import Approval
from analysis.corpus import Corpus
from analysis.known import LeadTimes
from analysis.licences import Licence, normalize_licence
from analysis.metadata import FREE_DOMAINS
from analysis.osv import Exposure, exposure
from analysis.requirements import Dependency
from collector.alerts.model import mask_target
from collector.approvals import Review, fetch_reviews
from collector.audit import Lookup, look_up
from collector.health import SourceProblem, check_sources, internal_problem
from collector.store.approvals import list_approvals, save_approval
from collector.store.health import SourceHealth
from collector.store.index_blocks import BlockedRelease, fetch_recent_blocks
from collector.store.jobs import INTERNAL_KINDS, ErrorClass, FailingJob, count_by_class
from collector.store.known import fetch_lead_times
from collector.store.listing import EFFECTIVE_STATUS
from collector.store.osv import fetch_advisories
from collector.store.releases import fetch_licence_fields
from dashboard.text import redact_urls

RELEASE_CHECK = "release.assessment"  # issue 5: one aggregate finding per flagged release
# Written into the SQL (not a parameter) so the planner can use the partial index on verdicts.
IS_VERDICT = f"check_id = '{RELEASE_CHECK}'"
SEVERITIES = ("info", "low", "medium", "high", "critical")
VERDICTS = ("malicious", "false_positive", "benign", "needs_review")
SORTS = ("newest", "oldest", "severity", "name")
SEARCH_CAP = 20_000  # rows one search source may contribute; a broader search asks for more words
COUNT_CAP = 10_000  # paging counts stop here ("10,000+"): counting millions costs seconds
EXPORT_LIMIT = 50_000

# Word-prefix search (core full-text search; the embedded server has no pg_trgm). These two
# expressions are indexed by 0004_dashboard.sql and must stay identical to the index definitions.
FINDING_WORDS = "to_tsvector('simple'::regconfig, project || ' ' || COALESCE(target, ''))"
RELEASE_WORDS = (
    "to_tsvector('simple'::regconfig, COALESCE(author, '') || ' ' || "
    "replace(COALESCE(author_email, ''), '@', ' '))"
)
_WORD = re.compile(r"[a-z0-9]+")

Pool = asyncpg.Pool


def search_query(text: str) -> str | None:
    """A tsquery matching every word of `text` as a prefix, or None for no usable word.

    Only [a-z0-9] survive, so nothing the user types can inject tsquery syntax.
    """
    words = _WORD.findall(text.lower())[:8]
    return " & ".join(f"{word}:*" for word in words) or None


def _frame(rows: Sequence[asyncpg.Record], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row[c] for c in columns) for row in rows], columns=list(columns))


# ---------------------------------------------------------------- findings table


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """What the Findings page shows: one row per release (the combined verdict) or per check."""

    per_release: bool = True
    since: datetime | None = None
    until: datetime | None = None
    min_severity: str = "low"
    check_id: str | None = None
    triage: str | None = None  # None: any; "new": no verdict yet; else the latest verdict
    search: str = ""
    sort: str = "newest"
    limit: int = 50
    offset: int = 0


_ORDER = {
    "newest": "f.first_seen_at DESC, f.id DESC",
    "oldest": "f.first_seen_at ASC, f.id ASC",
    "severity": "f.severity DESC, f.score DESC, f.first_seen_at DESC, f.id DESC",
    "name": "f.project ASC, f.version ASC, f.id ASC",
}
# Releases whose newest verdict is $?: the verdicts of that kind (by their index), less those
# overtaken by a later verdict on the same release.
_LATEST_VERDICT_IS = """
    SELECT t.release_id FROM triage_verdicts t
    WHERE t.verdict = $? AND NOT EXISTS (
        SELECT 1 FROM triage_verdicts n
        WHERE n.release_id = t.release_id AND (n.created_at, n.id) > (t.created_at, t.id))
"""


def _where(flt: FindingFilter) -> tuple[str, list[Any]]:
    """The WHERE clause over `findings f` for a filter, and its parameters."""
    params: list[Any] = [flt.min_severity]
    clauses = [f"f.{IS_VERDICT}" if flt.per_release else f"NOT f.{IS_VERDICT}",
               "f.severity >= $1::severity"]  # fmt: skip

    def add(template: str, value: Any) -> None:
        params.append(value)
        clauses.append(template.replace("$?", f"${len(params)}"))

    if flt.since is not None:
        add("f.first_seen_at >= $?", flt.since)
    if flt.until is not None:
        add("f.first_seen_at < $?", flt.until)
    if flt.check_id and flt.per_release:
        add("EXISTS (SELECT 1 FROM findings c WHERE c.release_id = f.release_id "
            "AND c.check_id = $?)", flt.check_id)  # fmt: skip
    elif flt.check_id:
        add("f.check_id = $?", flt.check_id)
    if flt.triage == "new":
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM triage_verdicts t WHERE t.release_id = f.release_id)"
        )
    elif flt.triage:
        add(f"f.release_id IN ({_LATEST_VERDICT_IS})", flt.triage)
    query = search_query(flt.search)
    if query:
        add(_search_clause(flt.per_release), query)
    return " AND ".join(clauses), params


def _search_clause(per_release: bool) -> str:
    """Rows whose name or target, or whose release's author, has words starting like the search.

    Matches become an array first (an InitPlan), so the page is then read by id through the
    findings indexes whatever the planner guesses a text search returns; each source is capped
    at SEARCH_CAP rows, and `search_overflows` says when a search hit the cap.
    """
    words = "to_tsquery('simple'::regconfig, $?)"
    by_name = f"SELECT {{column}} FROM findings WHERE {FINDING_WORDS} @@ {words} LIMIT {SEARCH_CAP}"
    by_author = f"SELECT id FROM releases WHERE {RELEASE_WORDS} @@ {words} LIMIT {SEARCH_CAP}"
    if per_release:
        return (
            f"f.release_id = ANY(ARRAY({by_name.format(column='release_id')}) "
            f"|| ARRAY({by_author}))"
        )
    return (
        f"(f.id = ANY(ARRAY({by_name.format(column='id')})) "
        f"OR f.release_id = ANY(ARRAY({by_author})))"
    )


_OVERFLOW = f"""
SELECT (SELECT count(*) FROM (SELECT 1 FROM findings WHERE {FINDING_WORDS} @@ to_tsquery('simple'::regconfig, $1)
                              LIMIT {SEARCH_CAP} + 1) a) > {SEARCH_CAP}
    OR (SELECT count(*) FROM (SELECT 1 FROM releases WHERE {RELEASE_WORDS} @@ to_tsquery('simple'::regconfig, $1)
                              LIMIT {SEARCH_CAP} + 1) b) > {SEARCH_CAP}
"""


async def search_overflows(pool: Pool, text: str) -> bool:
    """Whether a search matches more rows than the Findings page looks through."""
    query = search_query(text)
    if query is None:
        return False
    return bool(await pool.fetchval(_OVERFLOW, query))


FINDING_COLUMNS = ("id", "release_id", "first_seen_at", "project", "version", "severity",
                   "score", "check_id", "targets", "summary", "author", "status", "triage",
                   "triaged_by")  # fmt: skip


# The combined verdict lists its reasons; they say more in a table than its one-line summary.
_REASONS = """CASE WHEN jsonb_typeof(f.evidence->'reasons') = 'array'
                 AND jsonb_array_length(f.evidence->'reasons') > 0
            THEN (SELECT string_agg(value, ' · ') FROM jsonb_array_elements_text(f.evidence->'reasons'))
            ELSE f.summary END"""


def _page_sql(where: str, order: str, limit_at: int) -> str:
    return f"""
WITH page AS (
    SELECT f.* FROM findings f WHERE {where}
    ORDER BY {order} LIMIT ${limit_at} OFFSET ${limit_at + 1}
)
SELECT f.id, f.release_id, f.first_seen_at, f.project, f.version, f.severity::text AS severity,
       f.score, f.check_id, {_REASONS} AS summary, r.author, {EFFECTIVE_STATUS} AS status,
       COALESCE(f.target, (SELECT string_agg(DISTINCT c.target, ', ') FROM findings c
                           WHERE c.release_id = f.release_id AND c.target IS NOT NULL)) AS targets,
       COALESCE(t.verdict, 'new') AS triage, t.actor AS triaged_by
FROM page f
JOIN releases r ON r.id = f.release_id
JOIN projects p ON p.normalized = r.project
LEFT JOIN LATERAL (
    SELECT verdict, actor FROM triage_verdicts tv WHERE tv.release_id = f.release_id
    ORDER BY created_at DESC, id DESC LIMIT 1
) t ON true
ORDER BY {order}
"""


@dataclass(frozen=True, slots=True)
class FindingPage:
    rows: pd.DataFrame
    total: int  # capped at COUNT_CAP + 1
    capped: bool
    search_overflow: bool = False  # the search matched more than SEARCH_CAP rows of a source


async def fetch_findings(pool: Pool, flt: FindingFilter) -> FindingPage:
    """One page of the Findings table and how many rows match (up to COUNT_CAP)."""
    where, params = _where(flt)
    sql = _page_sql(where, _ORDER[flt.sort], len(params) + 1)
    count_sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM findings f WHERE {where} LIMIT {COUNT_CAP + 1}) s"
    )
    rows, total, overflow = await asyncio.gather(
        pool.fetch(sql, *params, flt.limit, flt.offset),
        pool.fetchval(count_sql, *params),
        search_overflows(pool, flt.search),
    )
    return FindingPage(_frame(rows, FINDING_COLUMNS), int(total), int(total) > COUNT_CAP, overflow)


async def fetch_findings_export(pool: Pool, flt: FindingFilter) -> pd.DataFrame:
    """Every row the filter matches, up to EXPORT_LIMIT, for the CSV download."""
    where, params = _where(flt)
    sql = _page_sql(where, _ORDER[flt.sort], len(params) + 1)
    return _frame(await pool.fetch(sql, *params, EXPORT_LIMIT, 0), FINDING_COLUMNS)


# ---------------------------------------------------------------- overview


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
            fetch_findings(pool, FindingFilter(min_severity="high", limit=10))
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
        hourly=_frame(hourly_task.result(), buckets),
        daily=_frame(daily_task.result(), buckets),
        imitated=_frame(imitated_task.result(), ("target", "releases", "latest")),
        latest=latest_task.result().rows,
        health=health_task.result(),
        leads=leads_task.result(),
    )


async def _lead_times(pool: Pool) -> LeadTimes:
    async with pool.acquire() as conn:
        return await fetch_lead_times(conn)


# ---------------------------------------------------------------- release detail


@dataclass(frozen=True, slots=True)
class TargetProfile:
    """What our store knows of a project a release imitates (only what we watched)."""

    project: str
    name: str
    first_upload: datetime | None
    first_seen_at: datetime | None
    version: str | None
    summary: str | None
    author: str | None
    author_email: str | None


@dataclass(frozen=True, slots=True)
class ReleaseDetail:
    release: dict[str, Any]
    findings: list[dict[str, Any]]
    files: pd.DataFrame
    verdicts: pd.DataFrame
    report: dict[str, Any] | None
    targets: dict[str, TargetProfile] = field(default_factory=dict)


_RELEASE = f"""
SELECT r.id, r.project, p.name AS display_name, r.version, r.serial, {EFFECTIVE_STATUS} AS status,
       r.yanked_reason, r.first_seen_at, r.first_seen_source, r.uploaded_at, r.fetched_at,
       r.summary, r.author, r.author_email, r.metadata, r.risk_score,
       r.risk_severity::text AS risk_severity, p.first_seen_at AS project_first_seen,
       (SELECT min(x.uploaded_at) FROM releases x WHERE x.project = r.project) AS project_first_upload,
       (SELECT count(*) FROM releases x WHERE x.project = r.project) AS project_releases
FROM releases r JOIN projects p ON p.normalized = r.project
WHERE r.id = $1
"""
_RELEASE_FINDINGS = f"""
SELECT id, check_id, fingerprint, severity::text AS severity, score, summary, target, evidence,
       first_seen_at, last_seen_at
FROM findings WHERE release_id = $1
ORDER BY {IS_VERDICT} DESC, findings.severity DESC, score DESC, check_id
"""
FILE_COLUMNS = ("filename", "packagetype", "python_version", "requires_python", "size",
                "sha256", "uploaded_at", "yanked", "status", "url", "inspection",
                "inspection_error", "inspected_members")  # fmt: skip
_FILES = f"SELECT {', '.join(FILE_COLUMNS)} FROM files WHERE release_id = $1 ORDER BY filename"
VERDICT_COLUMNS = ("created_at", "verdict", "actor", "note", "finding_id")
_VERDICTS = f"""
SELECT {", ".join(VERDICT_COLUMNS)} FROM triage_verdicts WHERE release_id = $1
ORDER BY created_at DESC, id DESC
"""
_REPORT = """
SELECT kind, summary, inspector_url, status, http_status, actor, created_at, submitted_at,
       submit_url
FROM reports WHERE release_id = $1
"""
_TARGETS = """
SELECT p.normalized AS project, p.name, p.first_seen_at,
       (SELECT min(x.uploaded_at) FROM releases x WHERE x.project = p.normalized) AS first_upload,
       l.version, l.summary, l.author, l.author_email
FROM projects p
LEFT JOIN LATERAL (
    SELECT version, summary, author, author_email FROM releases x
    WHERE x.project = p.normalized AND x.fetched_at IS NOT NULL
    ORDER BY x.uploaded_at DESC NULLS LAST, x.id DESC LIMIT 1
) l ON true
WHERE p.normalized = ANY($1::text[])
"""


async def find_release(pool: Pool, project: str, version: str | None) -> int | None:
    """A release id by project (normalized) and version; the newest release without a version."""
    if version:
        sql = "SELECT id FROM releases WHERE project = $1 AND version = $2"
        value = await pool.fetchval(sql, project, version)
    else:
        sql = ("SELECT id FROM releases WHERE project = $1 "
               "ORDER BY uploaded_at DESC NULLS LAST, id DESC LIMIT 1")  # fmt: skip
        value = await pool.fetchval(sql, project)
    return None if value is None else int(value)


async def fetch_release(pool: Pool, release_id: int) -> ReleaseDetail | None:
    release, findings, files, verdicts, report = await asyncio.gather(
        pool.fetchrow(_RELEASE, release_id),
        pool.fetch(_RELEASE_FINDINGS, release_id),
        pool.fetch(_FILES, release_id),
        pool.fetch(_VERDICTS, release_id),
        pool.fetchrow(_REPORT, release_id),
    )
    if release is None:
        return None
    found = [dict(row) for row in findings]
    names = sorted(
        {f["target"] for f in found if f["target"] and f["check_id"].startswith("typosquat.")}
    )
    targets = await pool.fetch(_TARGETS, names) if names else []
    return ReleaseDetail(
        release=dict(release),
        findings=found,
        files=_frame(files, FILE_COLUMNS),
        verdicts=_frame(verdicts, VERDICT_COLUMNS),
        report=dict(report) if report else None,
        targets={row["project"]: TargetProfile(**dict(row)) for row in targets},
    )


# ---------------------------------------------------------------- known vulnerabilities, licence


@dataclass(frozen=True, slots=True)
class KnownIssues:
    """What the stored OSV records say of one release, and its licence."""

    exposure: Exposure
    others: int  # live records that name the project but not this version
    synced: bool  # any OSV record stored at all: none means `osv sync` never ran
    licence: Licence | None  # None: the release's JSON page was never stored


_ANY_ADVISORY = "SELECT EXISTS (SELECT 1 FROM osv_advisories)"


async def fetch_known_issues(pool: Pool, project: str, version: str) -> KnownIssues:
    """Matched as `audit` matches a pinned dependency (analysis.osv.exposure): one answer."""
    async with pool.acquire() as conn:
        advisories = await fetch_advisories(conn, [project])
        fields = await fetch_licence_fields(conn, [(project, version)])
        synced = bool(advisories) or bool(await conn.fetchval(_ANY_ADVISORY))
    found = exposure(advisories, project, version)
    naming = sum(1 for a in advisories if a.withdrawn is None)
    others = naming - len(found.vulnerabilities) - len(found.malicious)
    stored = fields.get((project, version))
    return KnownIssues(found, others, synced, normalize_licence(*stored) if stored else None)


async def fetch_audit_lookup(pool: Pool, dependencies: Sequence[Dependency]) -> Lookup:
    """What the store holds on audited dependencies, read as `audit` reads it."""
    async with pool.acquire() as conn:
        return await look_up(conn, dependencies)


async def record_verdict(
    pool: Pool, release_id: int, verdict: str, note: str, actor: str, finding_id: int | None = None
) -> int:
    """Store a triage verdict; the newest verdict of a release is its triage status."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    value = await pool.fetchval(
        "INSERT INTO triage_verdicts (release_id, finding_id, verdict, note, actor) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        release_id, finding_id, verdict, note, actor,
    )  # fmt: skip
    return int(value)


# ---------------------------------------------------------------- campaigns

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
CAMPAIGN_COLUMNS = ("key", "label", "releases", "projects", "names", "severity", "first_seen",
                    "last_seen")  # fmt: skip


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
    return _frame(rows, CAMPAIGN_COLUMNS)


CAMPAIGN_RELEASE_COLUMNS = ("release_id", "first_seen_at", "project", "version", "severity",
                            "score", "author", "author_email", "summary")  # fmt: skip


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
    return _frame(rows, CAMPAIGN_RELEASE_COLUMNS)


# ---------------------------------------------------------------- subscriptions


@dataclass(frozen=True, slots=True)
class Subscription:
    """An alert rule as the dashboard may show it: the target masked, the secret only flagged."""

    id: int
    name: str
    channel: str
    target_masked: str
    has_secret: bool
    min_severity: str
    check_ids: list[str]
    watched_projects: list[str]
    name_patterns: list[str]
    delivery: str
    enabled: bool
    origin: str
    updated_at: datetime
    failed_deliveries: int


@dataclass(frozen=True, slots=True)
class SubscriptionInput:
    """A validated create or edit. `target`/`secret` None on edit: keep the stored value."""

    name: str
    channel: str
    target: str | None
    min_severity: str
    check_ids: list[str]
    watched_projects: list[str]
    name_patterns: list[str]
    delivery: str
    enabled: bool
    secret: str | None = None
    clear_secret: bool = False


_SUBSCRIPTIONS = """
SELECT s.id, s.name, s.channel, s.target, (COALESCE(s.secret, '') <> '') AS has_secret,
       s.min_severity::text AS min_severity, s.check_ids, s.watched_projects, s.name_patterns,
       s.delivery, s.enabled, s.origin, s.updated_at,
       (SELECT count(*) FROM alert_outbox o WHERE o.state = 'dead' AND o.subscription_id = s.id)
           AS failed_deliveries
FROM subscriptions s ORDER BY s.name
"""


async def fetch_subscriptions(pool: Pool) -> list[Subscription]:
    """Every subscription, its target masked here so the full credential never reaches a page."""
    rows = await pool.fetch(_SUBSCRIPTIONS)
    found = []
    for row in rows:
        values = dict(row)
        values["target_masked"] = mask_target(values["channel"], values.pop("target"))
        values["failed_deliveries"] = int(values["failed_deliveries"])
        found.append(Subscription(**values))
    return found


class DuplicateName(Exception):
    """A subscription with that name exists."""


async def create_subscription(pool: Pool, sub: SubscriptionInput) -> int:
    try:
        value = await pool.fetchval(
            """
            INSERT INTO subscriptions (name, channel, target, secret, min_severity, check_ids,
                                       watched_projects, name_patterns, delivery, enabled, origin)
            VALUES ($1, $2, $3, $4, $5::severity, $6, $7, $8, $9, $10, 'dashboard')
            RETURNING id
            """,
            sub.name, sub.channel, sub.target, sub.secret or None, sub.min_severity, sub.check_ids,
            sub.watched_projects, sub.name_patterns, sub.delivery, sub.enabled,
        )  # fmt: skip
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateName(sub.name) from exc
    return int(value)


async def update_subscription(pool: Pool, subscription_id: int, sub: SubscriptionInput) -> bool:
    try:
        status = await pool.execute(
            """
            UPDATE subscriptions SET name = $2, channel = $3, target = COALESCE($4, target),
                secret = CASE WHEN $5 THEN NULL ELSE COALESCE($6, secret) END,
                min_severity = $7::severity, check_ids = $8, watched_projects = $9,
                name_patterns = $10, delivery = $11, enabled = $12, updated_at = now()
            WHERE id = $1
            """,
            subscription_id, sub.name, sub.channel, sub.target, sub.clear_secret,
            sub.secret or None, sub.min_severity, sub.check_ids, sub.watched_projects,
            sub.name_patterns, sub.delivery, sub.enabled,
        )  # fmt: skip
    except asyncpg.UniqueViolationError as exc:
        raise DuplicateName(sub.name) from exc
    return bool(status.endswith(" 1"))


async def delete_subscription(pool: Pool, subscription_id: int) -> bool:
    status = await pool.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)
    return bool(status.endswith(" 1"))


# ---------------------------------------------------------------- health


@dataclass(frozen=True, slots=True)
class Health:
    cursor_serial: int | None
    cursor_updated_at: datetime | None
    pypi_last_serial: int | None
    lag_events: int | None
    lag_seconds: float | None
    queue: dict[str, Any]
    errors_by_kind: dict[str, int]
    sources: pd.DataFrame
    failing_jobs: pd.DataFrame
    outbox: dict[str, int]
    failed_deliveries: pd.DataFrame
    problems: tuple[SourceProblem, ...] = ()  # failing sources, by the rule /healthz uses

    @property
    def errors_by_class(self) -> dict[str, int]:
        return count_by_class(self.errors_by_kind)

    @property
    def internal_problem(self) -> str | None:
        """Internal errors make the collector unhealthy, by the rule /healthz uses."""
        jobs = self.failing_jobs
        named = jobs[jobs["error_kind"].isin(INTERNAL_KINDS)] if not jobs.empty else jobs
        return internal_problem(
            self.errors_by_class[ErrorClass.INTERNAL],
            [_failing_job(row) for row in named.to_dict("records")],
        )


_QUEUE = """
SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'running') AS running,
       count(*) FILTER (WHERE state = 'pending' AND error_kind IS NOT NULL) AS retrying,
       min(created_at) AS oldest_open, min(run_after) FILTER (WHERE state = 'pending') AS next_due,
       (SELECT count(*) FROM jobs WHERE state = 'done'
          AND finished_at >= now() - interval '1 hour') AS done_last_hour,
       extract(epoch FROM now())::float8 AS now_epoch
FROM jobs WHERE state <> 'done'
"""
_ERRORS = """
SELECT error_kind, count(*) AS n FROM jobs
WHERE state <> 'done' AND error_kind IS NOT NULL GROUP BY error_kind ORDER BY n DESC
"""
_QUEUE_FIELDS = ("pending", "running", "retrying", "oldest_open", "next_due", "done_last_hour")
JOB_COLUMNS = (
    "project",
    "version",
    "filename",
    "reason",
    "attempts",
    "error_kind",
    "last_error",
    "run_after",
)
# Internal errors (bugs) first: they are the ones nobody but us can fix.
_FAILING_JOBS = f"""
SELECT {", ".join(JOB_COLUMNS)} FROM jobs
WHERE state <> 'done' AND error_kind IS NOT NULL
ORDER BY error_kind = ANY($1::text[]) DESC, attempts DESC, run_after LIMIT 50
"""
SOURCE_COLUMNS = ("source", "last_attempt_at", "last_success_at", "last_error_at",
                  "consecutive_failures", "upstream_serial", "last_error")  # fmt: skip
_CURSOR = "SELECT serial, updated_at FROM collector_cursor WHERE name = 'changelog'"
_SOURCES = "SELECT * FROM collector_health ORDER BY source"
_OUTBOX = """
SELECT state, count(*) AS n FROM alert_outbox
WHERE state IN ('pending', 'sending', 'dead') GROUP BY state
"""
DELIVERY_COLUMNS = ("subscription", "channel", "project", "version", "check_id", "state",
                    "attempts", "last_error", "created_at", "next_attempt_at")  # fmt: skip
_FAILED_DELIVERIES = """
SELECT s.name AS subscription, s.channel, f.project, f.version, f.check_id, o.state, o.attempts,
       o.last_error, o.created_at, o.next_attempt_at
FROM alert_outbox o
JOIN subscriptions s ON s.id = o.subscription_id
JOIN findings f ON f.id = o.finding_id
WHERE o.state = 'dead' OR (o.state IN ('pending', 'sending') AND o.attempts > 0)
ORDER BY o.state = 'dead' DESC, o.id DESC LIMIT 50
"""


async def fetch_health(pool: Pool) -> Health:
    async with asyncio.TaskGroup() as group:
        cursor_task = group.create_task(pool.fetchrow(_CURSOR))
        sources_task = group.create_task(pool.fetch(_SOURCES))
        queue_task = group.create_task(pool.fetchrow(_QUEUE))
        errors_task = group.create_task(pool.fetch(_ERRORS))
        failing_task = group.create_task(pool.fetch(_FAILING_JOBS, list(INTERNAL_KINDS)))
        outbox_task = group.create_task(pool.fetch(_OUTBOX))
        deliveries_task = group.create_task(pool.fetch(_FAILED_DELIVERIES))
    cursor, sources, queue = cursor_task.result(), sources_task.result(), queue_task.result()
    errors, failing, outbox = errors_task.result(), failing_task.result(), outbox_task.result()
    deliveries = deliveries_task.result()
    assert queue is not None
    serial = None if cursor is None else int(cursor["serial"])
    head, lag_events, lag_seconds = _lag(sources, serial, float(queue["now_epoch"]))
    delivery_frame = _frame(deliveries, DELIVERY_COLUMNS)
    delivery_frame["last_error"] = delivery_frame["last_error"].map(
        lambda e: redact_urls(e) if isinstance(e, str) else e
    )
    return Health(
        cursor_serial=serial,
        cursor_updated_at=None if cursor is None else cursor["updated_at"],
        pypi_last_serial=head,
        lag_events=lag_events,
        lag_seconds=lag_seconds,
        queue={k: queue[k] for k in _QUEUE_FIELDS},
        errors_by_kind={row["error_kind"]: int(row["n"]) for row in errors},
        sources=_frame(sources, SOURCE_COLUMNS),
        failing_jobs=_frame(failing, JOB_COLUMNS),
        outbox={row["state"]: int(row["n"]) for row in outbox},
        failed_deliveries=delivery_frame,
        problems=tuple(check_sources(_source_health(row) for row in sources)),
    )


def _failing_job(row: dict[Any, Any]) -> FailingJob:
    return FailingJob(
        kind="release" if row["filename"] is None else "artifact",
        project=row["project"],
        version=row["version"],
        filename=row["filename"],
        error_kind=row["error_kind"],
        last_error=row["last_error"] or "",
        attempts=int(row["attempts"]),
    )


def _source_health(row: asyncpg.Record) -> SourceHealth:
    return SourceHealth(**{f.name: row[f.name] for f in fields(SourceHealth)})


def _lag(
    sources: Sequence[asyncpg.Record], cursor: int | None, now: float
) -> tuple[int | None, int | None, float | None]:
    """PyPI's last serial, and how far behind it we are (the rules of `pypi-sentinel status`)."""
    serials = [row["upstream_serial"] for row in sources if row["source"].startswith("changelog")]
    known = [int(s) for s in serials if s is not None]
    head = max(known) if known else None
    if head is None or cursor is None:
        return head, None, None
    events = max(0, head - cursor)
    if events == 0:
        return head, 0, 0.0
    changelog = next((row for row in sources if row["source"] == "changelog"), None)
    detail = changelog["detail"] if changelog is not None else None
    caught_up = detail.get("caught_up_at") if isinstance(detail, dict) else None
    seconds = max(0.0, now - caught_up) if isinstance(caught_up, int | float) else None
    return head, events, seconds


async def fetch_index_blocks(pool: Pool, since: datetime) -> list[BlockedRelease]:
    """What the vetted index kept out since `since` (Health)."""
    async with pool.acquire() as conn:
        return await fetch_recent_blocks(conn, since)


async def fetch_approval_reviews(pool: Pool, popular: Corpus) -> list[Review]:
    """Requests of the vetted index waiting for a decision, with evidence, as `pending` lists."""
    async with pool.acquire() as conn:
        return await fetch_reviews(conn, popular)


async def fetch_decisions(pool: Pool, *, include_expired: bool = False) -> list[Approval]:
    """Decisions about the vetted index, newest first, as `approvals` lists."""
    async with pool.acquire() as conn:
        return await list_approvals(conn, include_expired=include_expired)


async def save_decision(pool: Pool, approval: Approval) -> int:
    async with pool.acquire() as conn:
        return await save_approval(conn, approval)
