"""Releases, their files and findings: saving an analysed release, and reading history back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from analysis.model import (
    Assessment,
    DistFile,
    Finding,
    Ownership,
    PriorRelease,
    Publisher,
    ReleaseMetadata,
    ReleaseSnapshot,
)
from analysis.resolve import Offered
from analysis.scoring import unique
from collector.store import PgConnection
from collector.store.jobs import CLAIM_CTES, Job, complete_job_sql
from collector.store.listing import EFFECTIVE_STATUS

STORED_DESCRIPTION = 20_000  # characters of a description kept in the database


@dataclass(frozen=True, slots=True)
class History:
    """What the store knew about a project before this release."""

    prior: PriorRelease | None
    prior_release_count: int
    project_first_seen: datetime | None
    status: str | None = None  # this release's effective status as the changelog left it
    creation_seen: bool = False  # our changelog recorded the project's `create`: it is new
    # Some file of this release was queued for inspection or read, or a public report names
    # it: findings a re-analysis of the metadata must keep.
    keeps_findings: bool = False


_SAVE = """
WITH r AS (
    SELECT * FROM jsonb_to_record($1::jsonb) AS r(
        project text, version text, name text, ownership jsonb, fetched_serial bigint,
        summary text, author text, author_email text, metadata jsonb, uploaded_at timestamptz,
        risk_score smallint, risk_severity severity, yanked boolean, yanked_reason text,
        files jsonb, findings jsonb, job_id bigint, completed_serial bigint, inspect boolean)
), project AS (
    INSERT INTO projects (normalized, name, ownership, last_serial)
    SELECT r.project, r.name, r.ownership, r.fetched_serial FROM r
    ON CONFLICT (normalized) DO UPDATE
        SET ownership = COALESCE(EXCLUDED.ownership, projects.ownership),
            last_serial = GREATEST(projects.last_serial, EXCLUDED.last_serial),
            updated_at = now()
    RETURNING normalized
), release AS (
    -- Selecting FROM project makes the project row lock come before the release row lock, the
    -- order the changelog writer takes them in; an unreferenced CTE would run last (deadlock).
    INSERT INTO releases (project, version, first_seen_source, fetched_at, fetched_serial, summary,
                          author, author_email, metadata, uploaded_at, risk_score, risk_severity,
                          status, yanked_reason)
    SELECT project.normalized, r.version, 'reconcile', now(), r.fetched_serial, r.summary,
           r.author, r.author_email, r.metadata, r.uploaded_at, r.risk_score, r.risk_severity,
           CASE WHEN r.yanked THEN 'yanked' ELSE 'active' END, NULLIF(r.yanked_reason, '')
    FROM project, r
    ON CONFLICT (project, version) DO UPDATE SET
        fetched_at = now(),
        fetched_serial = GREATEST(releases.fetched_serial, EXCLUDED.fetched_serial),
        summary = EXCLUDED.summary, author = EXCLUDED.author, author_email = EXCLUDED.author_email,
        metadata = EXCLUDED.metadata, uploaded_at = EXCLUDED.uploaded_at,
        risk_score = EXCLUDED.risk_score, risk_severity = EXCLUDED.risk_severity,
        yanked_reason = EXCLUDED.yanked_reason,
        status = CASE WHEN releases.status IN ('active', 'yanked') THEN EXCLUDED.status
                      ELSE releases.status END
    RETURNING id
), files AS (
    INSERT INTO files (release_id, filename, url, packagetype, python_version, requires_python,
                       size, sha256, blake2b_256, md5, uploaded_at, yanked, inspection)
    SELECT release.id, f.*, CASE WHEN r.inspect THEN 'pending' END FROM release, r,
        jsonb_to_recordset(r.files)
        AS f(filename text, url text, packagetype text, python_version text, requires_python text,
             size bigint, sha256 text, blake2b_256 text, md5 text, uploaded_at timestamptz,
             yanked boolean)
    ON CONFLICT (filename) DO UPDATE SET
        release_id = EXCLUDED.release_id, url = EXCLUDED.url, packagetype = EXCLUDED.packagetype,
        python_version = EXCLUDED.python_version, requires_python = EXCLUDED.requires_python,
        size = EXCLUDED.size, sha256 = EXCLUDED.sha256, blake2b_256 = EXCLUDED.blake2b_256,
        md5 = EXCLUDED.md5, uploaded_at = EXCLUDED.uploaded_at, yanked = EXCLUDED.yanked,
        inspection = COALESCE(files.inspection, EXCLUDED.inspection)
    RETURNING filename, inspection
), artifact_jobs AS (
    -- Every file not yet read gets an inspection job (files added later included).
    INSERT INTO jobs (kind, project, version, filename, reason)
    SELECT 'artifact', r.project, r.version, files.filename, 'inspect' FROM files, r
    WHERE files.inspection = 'pending'
    ON CONFLICT DO NOTHING
), findings AS (
    INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity, score,
                          summary, target, evidence)
    SELECT release.id, r.project, r.version, g.check_id, g.fingerprint, g.severity::severity,
           g.score, g.summary, g.target, g.evidence
    FROM release, r,
        jsonb_to_recordset(r.findings)
        AS g(check_id text, fingerprint text, severity text, score smallint, summary text,
             target text, evidence jsonb)
    ON CONFLICT (release_id, check_id, fingerprint) DO UPDATE SET
        severity = EXCLUDED.severity, score = EXCLUDED.score, summary = EXCLUDED.summary,
        target = EXCLUDED.target, evidence = EXCLUDED.evidence, last_seen_at = now()
    RETURNING id, (xmax = 0) AS inserted
), job AS ({complete_job})
SELECT (SELECT id FROM release) AS release_id,
       COALESCE((SELECT array_agg(id ORDER BY id) FROM findings WHERE inserted), '{{}}') AS new_findings
""".format(
    complete_job=complete_job_sql("(SELECT job_id FROM r)", "(SELECT completed_serial FROM r)")
)


async def save_analysed_release(
    conn: PgConnection,
    snapshot: ReleaseSnapshot,
    assessment: Assessment,
    fetched_serial: int | None,
    *,
    job_id: int = 0,
    completed_serial: int = 0,
    inspect: bool = False,
) -> tuple[int, list[int]]:
    """Store the release, its files and findings and complete its job, in one statement.

    Returns (release id, ids of findings new to the store). A job completed at a serial older
    than its min_serial (newer events arrived meanwhile) goes back to pending. With `inspect`,
    every file not read yet gets an inspection job in the same statement.
    """
    meta = snapshot.metadata
    # One JSON document (jsonb_to_record), files and findings nested in it: one cheap parameter
    # instead of a typed array per column, and fields named rather than numbered.
    document = {
        "project": snapshot.project,
        "version": snapshot.version,
        "name": meta.name,
        "ownership": _ownership_json(snapshot.ownership),
        "fetched_serial": fetched_serial,
        "summary": meta.summary,
        "author": meta.author,
        "author_email": meta.author_email,
        "metadata": snapshot_document(snapshot),
        "uploaded_at": _iso(snapshot.uploaded_at),
        "risk_score": assessment.score,
        "risk_severity": assessment.severity.label,
        "yanked": meta.yanked,
        "yanked_reason": meta.yanked_reason,
        "files": [_file_json(f) for f in snapshot.files],
        "findings": findings_json(assessment.findings),
        "job_id": job_id,
        "completed_serial": completed_serial,
        "inspect": inspect,
    }
    row = await conn.fetchrow(_SAVE, document)
    assert row is not None
    return int(row["release_id"]), list(row["new_findings"])


def _file_json(f: DistFile) -> dict[str, object]:
    return {
        "filename": f.filename,
        "url": f.url,
        "packagetype": f.packagetype,
        "python_version": f.python_version,
        "requires_python": f.requires_python,
        "size": f.size,
        "sha256": f.sha256,
        "blake2b_256": f.blake2b_256,
        "md5": f.md5,
        "uploaded_at": _iso(f.uploaded_at),
        "yanked": f.yanked,
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def findings_json(findings: Sequence[Finding]) -> list[dict[str, object]]:
    """The documents of a finding upsert, one per (check, fingerprint), the strongest of each:
    Postgres refuses an upsert that touches one row twice, and a release must be stored
    whatever analysis hands over."""
    strongest = sorted(findings, key=lambda f: (-f.severity, -f.score))
    return [finding_json(f) for f in unique(strongest)]


def finding_json(f: Finding) -> dict[str, object]:
    """One finding as a row of the jsonb_to_recordset documents the finding upserts take."""
    return {
        "check_id": f.check_id,
        "fingerprint": f.fingerprint,
        "severity": f.severity.label,
        "score": max(0, min(100, f.score)),
        "summary": f.summary,
        "target": f.target,
        "evidence": dict(f.evidence),
    }


def snapshot_document(snapshot: ReleaseSnapshot) -> dict[str, object]:
    """What we keep of a release's metadata: everything but the tail of long descriptions."""
    # A shallow copy of the flat dataclass (asdict deep-copies every string: slow at volume).
    meta = {f.name: getattr(snapshot.metadata, f.name) for f in _META_FIELDS}
    meta["description"] = snapshot.metadata.description[:STORED_DESCRIPTION]
    return {
        "metadata": meta,
        "ownership": _ownership_json(snapshot.ownership),
        "project_status": snapshot.project_status,
        "publishers": [
            {
                "kind": p.kind,
                "repository": p.repository,
                "workflow": p.workflow,
                "environment": p.environment,
            }
            for p in snapshot.publishers
        ],
    }


_META_FIELDS = dataclasses.fields(ReleaseMetadata)


async def mark_release_gone(conn: PgConnection, project: str, version: str, status: str) -> None:
    """PyPI answers 404: record the release as removed or quarantined (it was never fetched)."""
    await conn.execute(
        """
        UPDATE releases SET status = $3, status_changed_at = now()
        WHERE project = $1 AND version = $2 AND status <> $3
        """,
        project,
        version,
        status,
    )


async def release_status(conn: PgConnection, project: str, version: str) -> str | None:
    """The effective status: removed or quarantined (itself or its project), yanked, active."""
    value = await conn.fetchval(
        f"SELECT {EFFECTIVE_STATUS} FROM releases r JOIN projects p ON p.normalized = r.project "
        "WHERE r.project = $1 AND r.version = $2",
        project,
        version,
    )
    return None if value is None else str(value)


async def set_project_status(conn: PgConnection, project: str, status: str) -> None:
    await conn.execute(
        "UPDATE projects SET status = $2, updated_at = now() WHERE normalized = $1 AND status <> $2",
        project,
        status,
    )


def _history_sql(project: str, version: str) -> tuple[str, str]:
    """The history columns of a release, and the lateral join they need (for one release or for
    every job a claim returns)."""
    columns = f"""
       (SELECT first_seen_at FROM projects WHERE normalized = {project}) AS first_seen,
       (SELECT created_serial IS NOT NULL FROM projects WHERE normalized = {project}) AS creation_seen,
       (SELECT {EFFECTIVE_STATUS} FROM releases r JOIN projects p ON p.normalized = r.project
        WHERE r.project = {project} AND r.version = {version}) AS status,
       (SELECT count(*) FROM releases WHERE project = {project} AND version <> {version}) AS n,
       EXISTS (SELECT 1 FROM files f JOIN releases r ON r.id = f.release_id
               WHERE r.project = {project} AND r.version = {version}
                 AND f.inspection IS NOT NULL)
       OR EXISTS (SELECT 1 FROM findings k JOIN releases r ON r.id = k.release_id
                  WHERE r.project = {project} AND r.version = {version}
                    AND k.check_id LIKE 'known.%') AS keeps_findings,
       prior.version AS prior_version, prior.uploaded_at AS prior_uploaded_at,
       prior.metadata AS prior_metadata"""
    join = f"""
LEFT JOIN LATERAL (
    SELECT version, uploaded_at, metadata FROM releases
    WHERE project = {project} AND version <> {version} AND fetched_at IS NOT NULL
    ORDER BY uploaded_at DESC NULLS LAST, id DESC LIMIT 1
) AS prior ON true"""
    return columns, join


_COLUMNS, _JOIN = _history_sql("$1", "$2")
_HISTORY = f"SELECT {_COLUMNS} FROM (SELECT 1) AS one {_JOIN}"
_JOB_COLUMNS, _JOB_JOIN = _history_sql("c.project", "c.version")
_CLAIM_WITH_HISTORY = f"""
WITH {CLAIM_CTES}
SELECT c.id, c.project, c.version, c.min_serial, c.reason, c.attempts, {_JOB_COLUMNS}
FROM claimed AS c {_JOB_JOIN}
"""


async def load_history(conn: PgConnection, project: str, version: str) -> History:
    """The latest other release of the project we fetched, and how much we saw before."""
    row = await conn.fetchrow(_HISTORY, project, version)
    assert row is not None
    return _history(row)


async def claim_jobs_with_history(
    conn: PgConnection, limit: int, lease_seconds: float, owner: str
) -> list[tuple[Job, History]]:
    """Claim jobs (see collector.store.jobs) with each release's history, in one round trip."""
    rows = await conn.fetch(_CLAIM_WITH_HISTORY, limit, lease_seconds, owner, "release")
    return [
        (
            Job(r["id"], r["project"], r["version"], r["min_serial"], r["reason"], r["attempts"]),
            _history(r),
        )
        for r in rows
    ]


def _history(row: asyncpg.Record) -> History:
    return History(
        prior=_prior_release(row) if row["prior_version"] is not None else None,
        prior_release_count=int(row["n"]),
        project_first_seen=row["first_seen"],
        status=row["status"],
        creation_seen=bool(row["creation_seen"]),
        keeps_findings=bool(row["keeps_findings"]),
    )


def _prior_release(row: asyncpg.Record) -> PriorRelease:
    document = row["prior_metadata"] if isinstance(row["prior_metadata"], dict) else {}
    publishers = tuple(
        Publisher(**p) for p in document.get("publishers", []) if isinstance(p, dict)
    )
    uploaded_at = row["prior_uploaded_at"]
    return PriorRelease(
        version=str(row["prior_version"]),
        uploaded_at=uploaded_at if isinstance(uploaded_at, datetime) else None,
        ownership=ownership_from_json(document.get("ownership")),
        publishers=publishers,
    )


async def dependency_first_seen(
    conn: PgConnection, names: Sequence[str]
) -> dict[str, datetime | None]:
    """When each project was created, for projects whose creation our changelog recorded;
    None for the rest (older than our watch, or unknown): only then is "new" meaningful."""
    if not names:
        return {}
    rows = await conn.fetch(
        """
        SELECT p.normalized, COALESCE(e.occurred_at, p.first_seen_at) AS first_seen_at
        FROM projects p
        LEFT JOIN changelog_events e ON e.serial = p.created_serial
        WHERE p.normalized = ANY($1::text[]) AND p.created_serial IS NOT NULL
        """,
        list(names),
    )
    seen = {row["normalized"]: row["first_seen_at"] for row in rows}
    return {name: seen.get(name) for name in names}


def _ownership_json(ownership: Ownership | None) -> dict[str, object] | None:
    if ownership is None:
        return None
    return {
        "roles": [{"role": role, "user": user} for role, user in ownership.roles],
        "organization": ownership.organization,
    }


def ownership_from_json(value: object) -> Ownership | None:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        return None
    roles = tuple(
        (str(r.get("role", "")), str(r.get("user", "")))
        for r in value.get("roles", [])
        if isinstance(r, dict)
    )
    org = value.get("organization")
    return Ownership(roles=roles, organization=org if isinstance(org, str) else None)


async def fetch_licence_fields(
    conn: PgConnection, pinned: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str, tuple[str, ...]]]:
    """The licence metadata of stored releases, by (project, version): License-Expression, the
    License field and the classifiers, as the release's JSON page gave them."""
    rows = await conn.fetch(
        """
        SELECT r.project, r.version,
               coalesce(r.metadata->'metadata'->>'license_expression', '') AS expression,
               coalesce(r.metadata->'metadata'->>'license', '') AS license,
               coalesce(r.metadata->'metadata'->'classifiers', '[]'::jsonb) AS classifiers
        FROM releases r
        JOIN unnest($1::text[], $2::text[]) AS t(project, version)
          ON r.project = t.project AND r.version = t.version
        WHERE r.metadata IS NOT NULL
        """,
        [project for project, _ in pinned],
        [version for _, version in pinned],
    )
    return {
        (row["project"], row["version"]): (
            row["expression"],
            row["license"],
            tuple(c for c in row["classifiers"] if isinstance(c, str)),
        )
        for row in rows
    }


# Releases an installer could still fetch: a removed or quarantined one (or one of a removed or
# quarantined project) is gone from PyPI's index, a yanked one is still served but marked.
_OFFERED = f"""
SELECT r.project, r.version, {EFFECTIVE_STATUS} = 'yanked' AS yanked
FROM releases r JOIN projects p ON p.normalized = r.project
WHERE r.project = ANY($1::text[]) AND {EFFECTIVE_STATUS} IN ('active', 'yanked')
ORDER BY r.project, r.id
"""


async def fetch_offered_versions(
    conn: PgConnection, projects: Sequence[str]
) -> dict[str, list[Offered]]:
    """Every stored release of these projects that PyPI still serves, by project."""
    offered: dict[str, list[Offered]] = {}
    for row in await conn.fetch(_OFFERED, list(projects)):
        offered.setdefault(row["project"], []).append(Offered(row["version"], row["yanked"]))
    return offered
