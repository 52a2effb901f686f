"""The release page: one release with its findings, files, verdicts, report and known issues."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from analysis.licences import Licence, normalize_licence
from analysis.osv import Exposure, exposure
from collector.store.listing import EFFECTIVE_STATUS
from collector.store.osv import fetch_advisories
from collector.store.releases import fetch_licence_fields
from dashboard.queries.shared import IS_VERDICT, Pool, frame

VERDICTS = ("malicious", "false_positive", "benign", "needs_review")


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
FILE_COLUMNS = (
    "filename",
    "packagetype",
    "python_version",
    "requires_python",
    "size",
    "sha256",
    "uploaded_at",
    "yanked",
    "status",
    "url",
    "inspection",
    "inspection_error",
    "inspected_members",
)
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
        sql = (
            "SELECT id FROM releases WHERE project = $1 "
            "ORDER BY uploaded_at DESC NULLS LAST, id DESC LIMIT 1"
        )
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
        files=frame(files, FILE_COLUMNS),
        verdicts=frame(verdicts, VERDICT_COLUMNS),
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


async def record_verdict(
    pool: Pool, release_id: int, verdict: str, note: str, actor: str, finding_id: int | None = None
) -> int:
    """Store a triage verdict; the newest verdict of a release is its triage status."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    value = await pool.fetchval(
        "INSERT INTO triage_verdicts (release_id, finding_id, verdict, note, actor) "
        "VALUES ($1, $2, $3, $4, $5) RETURNING id",
        release_id,
        finding_id,
        verdict,
        note,
        actor,
    )
    return int(value)
