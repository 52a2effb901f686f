"""Releases, their files and findings: saving an analysed release, and reading history back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from analysis.model import (
    Assessment,
    DistFile,
    Ownership,
    PriorRelease,
    Publisher,
    ReleaseMetadata,
    ReleaseSnapshot,
)
from collector.store import PgConnection

STORED_DESCRIPTION = 20_000  # characters of a description kept in the database


@dataclass(frozen=True, slots=True)
class History:
    """What the store knew about a project before this release."""

    prior: PriorRelease | None
    prior_release_count: int
    project_first_seen: datetime | None


async def save_analysed_release(
    conn: PgConnection,
    snapshot: ReleaseSnapshot,
    assessment: Assessment,
    fetched_serial: int | None,
) -> tuple[int, list[int]]:
    """Store the fetched release, its files and findings; return (release id, new finding ids).

    The caller runs this in the transaction that also completes the job.
    """
    await _upsert_project(conn, snapshot)
    release_id = await _upsert_release(conn, snapshot, assessment, fetched_serial)
    await _upsert_files(conn, release_id, snapshot.files)
    new_findings = await _upsert_findings(conn, release_id, snapshot, assessment)
    return release_id, new_findings


async def _upsert_project(conn: PgConnection, snapshot: ReleaseSnapshot) -> None:
    await conn.execute(
        """
        INSERT INTO projects (normalized, name, ownership, last_serial)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (normalized) DO UPDATE
            SET ownership = COALESCE(EXCLUDED.ownership, projects.ownership),
                last_serial = GREATEST(projects.last_serial, EXCLUDED.last_serial),
                updated_at = now()
        """,
        snapshot.project,
        snapshot.metadata.name,
        _ownership_json(snapshot.ownership),
        snapshot.serial,
    )


_UPSERT_RELEASE = """
INSERT INTO releases (project, version, first_seen_source, fetched_at, fetched_serial, summary,
                      author, author_email, metadata, uploaded_at, risk_score, risk_severity,
                      status, yanked_reason)
VALUES ($1, $2, 'reconcile', now(), $3, $4, $5, $6, $7, $8, $9, $10::severity,
        CASE WHEN $11 THEN 'yanked' ELSE 'active' END, NULLIF($12, ''))
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
"""


async def _upsert_release(
    conn: PgConnection,
    snapshot: ReleaseSnapshot,
    assessment: Assessment,
    fetched_serial: int | None,
) -> int:
    meta = snapshot.metadata
    release_id = await conn.fetchval(
        _UPSERT_RELEASE,
        snapshot.project,
        snapshot.version,
        fetched_serial,
        meta.summary,
        meta.author,
        meta.author_email,
        snapshot_document(snapshot),
        snapshot.uploaded_at,
        assessment.score,
        assessment.severity.label,
        meta.yanked,
        meta.yanked_reason,
    )
    return int(release_id)


def snapshot_document(snapshot: ReleaseSnapshot) -> dict[str, object]:
    """What we keep of a release's metadata: everything but the tail of long descriptions."""
    meta = dataclasses.asdict(snapshot.metadata)
    meta["description"] = snapshot.metadata.description[:STORED_DESCRIPTION]
    return {
        "metadata": meta,
        "ownership": _ownership_json(snapshot.ownership),
        "project_status": snapshot.project_status,
        "publishers": [dataclasses.asdict(p) for p in snapshot.publishers],
    }


_UPSERT_FILES = """
INSERT INTO files (release_id, filename, url, packagetype, python_version, requires_python, size,
                   sha256, blake2b_256, md5, uploaded_at, yanked)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                         $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::boolean[])
ON CONFLICT (filename) DO UPDATE SET
    release_id = EXCLUDED.release_id, url = EXCLUDED.url, packagetype = EXCLUDED.packagetype,
    python_version = EXCLUDED.python_version, requires_python = EXCLUDED.requires_python,
    size = EXCLUDED.size, sha256 = EXCLUDED.sha256, blake2b_256 = EXCLUDED.blake2b_256,
    md5 = EXCLUDED.md5, uploaded_at = EXCLUDED.uploaded_at, yanked = EXCLUDED.yanked
"""


async def _upsert_files(conn: PgConnection, release_id: int, files: Sequence[DistFile]) -> None:
    if not files:
        return
    await conn.execute(
        _UPSERT_FILES,
        release_id,
        *map(
            list,
            zip(
                *(
                    (f.filename, f.url, f.packagetype, f.python_version, f.requires_python,
                     f.size, f.sha256, f.blake2b_256, f.md5, f.uploaded_at, f.yanked)
                    for f in files
                ),
                strict=True,
            ),
        ),
    )  # fmt: skip


_UPSERT_FINDING = """
INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity, score,
                      summary, target, evidence)
VALUES ($1, $2, $3, $4, $5, $6::severity, $7, $8, $9, $10)
ON CONFLICT (release_id, check_id, fingerprint) DO UPDATE SET
    severity = EXCLUDED.severity, score = EXCLUDED.score, summary = EXCLUDED.summary,
    target = EXCLUDED.target, evidence = EXCLUDED.evidence, last_seen_at = now()
RETURNING id, (xmax = 0) AS inserted
"""


async def _upsert_findings(
    conn: PgConnection, release_id: int, snapshot: ReleaseSnapshot, assessment: Assessment
) -> list[int]:
    new_ids = []
    for finding in assessment.findings:
        row = await conn.fetchrow(
            _UPSERT_FINDING,
            release_id,
            snapshot.project,
            snapshot.version,
            finding.check_id,
            finding.fingerprint,
            finding.severity.label,
            max(0, min(100, finding.score)),
            finding.summary,
            finding.target,
            dict(finding.evidence),
        )
        assert row is not None
        if row["inserted"]:
            new_ids.append(int(row["id"]))
    return new_ids


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


async def set_project_status(conn: PgConnection, project: str, status: str) -> None:
    await conn.execute(
        "UPDATE projects SET status = $2, updated_at = now() WHERE normalized = $1 AND status <> $2",
        project,
        status,
    )


async def load_history(conn: PgConnection, project: str, version: str) -> History:
    """The latest other release of the project we fetched, and how much we saw before."""
    row = await conn.fetchrow(
        """
        SELECT (SELECT first_seen_at FROM projects WHERE normalized = $1) AS first_seen,
               (SELECT count(*) FROM releases WHERE project = $1 AND version <> $2) AS n
        """,
        project,
        version,
    )
    prior = await conn.fetchrow(
        """
        SELECT version, uploaded_at, metadata FROM releases
        WHERE project = $1 AND version <> $2 AND fetched_at IS NOT NULL
        ORDER BY uploaded_at DESC NULLS LAST, id DESC LIMIT 1
        """,
        project,
        version,
    )
    assert row is not None
    return History(
        prior=_prior_release(prior) if prior is not None else None,
        prior_release_count=int(row["n"]),
        project_first_seen=row["first_seen"],
    )


def _prior_release(row: asyncpg.Record) -> PriorRelease:
    document = row["metadata"] if isinstance(row["metadata"], dict) else {}
    publishers = tuple(
        Publisher(**p) for p in document.get("publishers", []) if isinstance(p, dict)
    )
    uploaded_at = row["uploaded_at"]
    return PriorRelease(
        version=str(row["version"]),
        uploaded_at=uploaded_at if isinstance(uploaded_at, datetime) else None,
        ownership=_ownership_from_json(document.get("ownership")),
        publishers=publishers,
    )


async def dependency_first_seen(
    conn: PgConnection, names: Sequence[str]
) -> dict[str, datetime | None]:
    """When the store first saw each project (None: never)."""
    if not names:
        return {}
    rows = await conn.fetch(
        "SELECT normalized, first_seen_at FROM projects WHERE normalized = ANY($1::text[])",
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


def _ownership_from_json(value: object) -> Ownership | None:
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


def metadata_from_document(document: Mapping[str, object]) -> ReleaseMetadata | None:
    """The ReleaseMetadata back from a stored document (for re-analysis and the dashboard)."""
    meta = document.get("metadata")
    if not isinstance(meta, dict):
        return None
    fields = {f.name for f in dataclasses.fields(ReleaseMetadata)}
    values: dict[str, Any] = {
        k: (tuple(v) if isinstance(v, list) else v) for k, v in meta.items() if k in fields
    }
    if "project_urls" in values:
        values["project_urls"] = tuple(tuple(pair) for pair in values["project_urls"])
    return ReleaseMetadata(**values)
