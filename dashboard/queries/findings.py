"""The Findings page: one page of rows per filter, its count, the CSV export, word search."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from collector.store.listing import EFFECTIVE_STATUS
from dashboard.queries.shared import IS_VERDICT, Pool, frame

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


def search_query(text: str) -> str | None:
    """A tsquery matching every word of `text` as a prefix, or None for no usable word.

    Only [a-z0-9] survive, so nothing the user types can inject tsquery syntax.
    """
    words = _WORD.findall(text.lower())[:8]
    return " & ".join(f"{word}:*" for word in words) or None


@dataclass(frozen=True, slots=True)
class FindingsPageFilter:
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


def _where(flt: FindingsPageFilter) -> tuple[str, list[Any]]:
    """The WHERE clause over `findings f` for a filter, and its parameters."""
    params: list[Any] = [flt.min_severity]
    clauses = [
        f"f.{IS_VERDICT}" if flt.per_release else f"NOT f.{IS_VERDICT}",
        "f.severity >= $1::severity",
    ]

    def add(template: str, value: Any) -> None:
        params.append(value)
        clauses.append(template.replace("$?", f"${len(params)}"))

    if flt.since is not None:
        add("f.first_seen_at >= $?", flt.since)
    if flt.until is not None:
        add("f.first_seen_at < $?", flt.until)
    if flt.check_id and flt.per_release:
        add(
            "EXISTS (SELECT 1 FROM findings c WHERE c.release_id = f.release_id "
            "AND c.check_id = $?)",
            flt.check_id,
        )
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


FINDING_COLUMNS = (
    "id",
    "release_id",
    "first_seen_at",
    "project",
    "version",
    "severity",
    "score",
    "check_id",
    "targets",
    "summary",
    "author",
    "status",
    "triage",
    "triaged_by",
)


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


async def fetch_findings(pool: Pool, flt: FindingsPageFilter) -> FindingPage:
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
    return FindingPage(frame(rows, FINDING_COLUMNS), int(total), int(total) > COUNT_CAP, overflow)


async def fetch_findings_export(pool: Pool, flt: FindingsPageFilter) -> pd.DataFrame:
    """Every row the filter matches, up to EXPORT_LIMIT, for the CSV download."""
    where, params = _where(flt)
    sql = _page_sql(where, _ORDER[flt.sort], len(params) + 1)
    return frame(await pool.fetch(sql, *params, EXPORT_LIMIT, 0), FINDING_COLUMNS)
