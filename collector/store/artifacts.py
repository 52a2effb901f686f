"""Inspected files in the store: what an artifact job needs to know, its result, and the release's
verdict recomputed from every finding it has (name, metadata and every file read so far).

Writers that change a release's findings take the release row's lock first (`lock_release`), so
a metadata re-fetch and a file inspection finishing at the same time cannot overwrite each
other's verdict.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from analysis.model import Finding, ReleaseMetadata, Severity
from collector.store import PgConnection
from collector.store.jobs import complete_job_sql
from collector.store.releases import findings_json

# Check ids whose findings outlive a re-analysis of the metadata: files read, public reports.
KEPT_PREFIXES = ("code.", "archive.", "known.")


@dataclass(frozen=True, slots=True)
class ArtifactTarget:
    """One stored file to inspect, with the release it belongs to."""

    file_id: int
    release_id: int
    project: str
    version: str
    filename: str
    url: str | None
    sha256: str | None
    size: int | None
    packagetype: str | None
    file_status: str  # active / removed
    metadata: ReleaseMetadata | None  # the release's JSON metadata, to compare with the archive


@dataclass(frozen=True, slots=True)
class InspectionRecord:
    """What became of one file: its state, the error record, and how much was read."""

    state: str  # inspected, partial, too_large, unreadable, digest_mismatch, gone
    error: str | None = None
    members: int | None = None
    unpacked: int | None = None


_TARGETS = """
SELECT f.id AS file_id, f.release_id, r.project, r.version, f.filename, f.url, f.sha256, f.size,
       f.packagetype, f.status AS file_status, r.metadata
FROM files f JOIN releases r ON r.id = f.release_id
WHERE f.filename = ANY($1::text[])
"""


async def load_artifact_target(conn: PgConnection, filename: str) -> ArtifactTarget | None:
    return (await load_artifact_targets(conn, [filename])).get(filename)


async def load_artifact_targets(
    conn: PgConnection, filenames: Sequence[str]
) -> dict[str, ArtifactTarget]:
    """The stored files of these names (one query for a whole claimed batch): filename ->
    target; a name whose file row is gone is missing."""
    rows = await conn.fetch(_TARGETS, list(filenames))
    return {row["filename"]: _target(row) for row in rows}


def _target(row: asyncpg.Record) -> ArtifactTarget:
    return ArtifactTarget(
        file_id=row["file_id"],
        release_id=row["release_id"],
        project=row["project"],
        version=row["version"],
        filename=row["filename"],
        url=row["url"],
        sha256=row["sha256"],
        size=row["size"],
        packagetype=row["packagetype"],
        file_status=row["file_status"],
        metadata=metadata_from_document(row["metadata"]),
    )


def metadata_from_document(document: object) -> ReleaseMetadata | None:
    """The ReleaseMetadata kept in releases.metadata (see releases.snapshot_document)."""
    if isinstance(document, str):
        document = json.loads(document)
    meta = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(meta, dict):
        return None
    fields: dict[str, Any] = {}
    for name in ReleaseMetadata.__dataclass_fields__:
        if name in meta:
            value = meta[name]
            if name in ("classifiers", "requires_dist"):
                value = tuple(value or ())
            elif name == "project_urls":
                value = tuple((str(label), str(url)) for label, url in value or ())
            fields[name] = value
    try:
        return ReleaseMetadata(**fields)
    except TypeError:
        return None


async def lock_release(conn: PgConnection, project: str, version: str) -> int | None:
    """Take the release row's lock for the rest of the transaction; its id, or None."""
    value = await conn.fetchval(
        "SELECT id FROM releases WHERE project = $1 AND version = $2 FOR UPDATE", project, version
    )
    return None if value is None else int(value)


_CURRENT_FINDINGS = """
SELECT f.check_id, f.severity::text AS severity, f.score, f.summary, f.evidence, f.target,
       f.fingerprint
FROM findings f JOIN releases r ON r.id = f.release_id
WHERE f.release_id = $1 AND f.check_id <> 'release.assessment'
  AND (f.check_id LIKE 'code.%' OR f.check_id LIKE 'archive.%' OR f.check_id LIKE 'known.%'
       OR r.fetched_at IS NULL OR f.last_seen_at >= r.fetched_at)
ORDER BY f.id
"""


async def current_findings(
    conn: PgConnection, release_id: int, *, kept_only: bool = False
) -> list[Finding]:
    """The release's findings that still hold: every file finding and public report, and the name and metadata
    findings of the latest analysis (older ones the latest analysis no longer raised stay in
    the table for history, but no longer count)."""
    rows = await conn.fetch(_CURRENT_FINDINGS, release_id)
    findings = [_finding(row) for row in rows]
    if kept_only:
        return [f for f in findings if f.check_id.startswith(KEPT_PREFIXES)]
    return findings


def _finding(row: asyncpg.Record) -> Finding:
    evidence = row["evidence"]
    if isinstance(evidence, str):
        evidence = json.loads(evidence)
    return Finding(
        check_id=row["check_id"],
        severity=Severity.parse(row["severity"]),
        score=int(row["score"]),
        summary=row["summary"],
        evidence=evidence if isinstance(evidence, dict) else {},
        target=row["target"],
        fingerprint=row["fingerprint"],
    )


_UPSERT_FINDINGS = """
INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity, score,
                      summary, target, evidence)
SELECT $1, $2, $3, g.check_id, g.fingerprint, g.severity::severity, g.score, g.summary, g.target,
       g.evidence
FROM jsonb_to_recordset($4::jsonb)
    AS g(check_id text, fingerprint text, severity text, score smallint, summary text,
         target text, evidence jsonb)
ON CONFLICT (release_id, check_id, fingerprint) DO UPDATE SET
    severity = EXCLUDED.severity, score = EXCLUDED.score, summary = EXCLUDED.summary,
    target = EXCLUDED.target, evidence = EXCLUDED.evidence, last_seen_at = now()
"""


async def save_findings(
    conn: PgConnection, release_id: int, project: str, version: str, findings: Sequence[Finding]
) -> None:
    if findings:
        await conn.execute(_UPSERT_FINDINGS, release_id, project, version, findings_json(findings))


_RECORD = """
UPDATE files SET inspection = $2, inspection_error = $3, inspected_members = $4,
                 inspected_bytes = $5, inspected_at = now()
WHERE id = $1
"""
_RECORD_AND_COMPLETE = f"WITH done AS ({complete_job_sql('$6', '$7')}) {_RECORD}"


async def record_inspection(conn: PgConnection, file_id: int, record: InspectionRecord) -> None:
    await conn.execute(_RECORD, file_id, *_record_values(record))


async def record_clean_inspection(
    conn: PgConnection, file_id: int, record: InspectionRecord, job_id: int, serial: int
) -> None:
    """A file that raised nothing: its record and its job's completion in one statement.

    Its release needs neither its lock nor a new verdict: file findings are only ever added,
    so a file without any leaves the verdict what it was, and every alert already decided."""
    await conn.execute(_RECORD_AND_COMPLETE, file_id, *_record_values(record), job_id, serial)


def _record_values(record: InspectionRecord) -> tuple[object, ...]:
    error = record.error[:2000] if record.error else None
    return record.state, error, record.members, record.unpacked


@dataclass(frozen=True, slots=True)
class ReleaseRef:
    """A release row, as the writers of its findings and verdict name it."""

    release_id: int
    project: str
    version: str


async def save_verdict(
    conn: PgConnection,
    target: ArtifactTarget | ReleaseRef,
    score: int,
    severity: Severity,
    aggregate: Finding | None,
) -> None:
    """The release's combined risk, and its verdict finding (kept, at its new severity, even when
    the verdict falls below the alert floor: alerts already sent must still point somewhere)."""
    await conn.execute(
        "UPDATE releases SET risk_score = $2, risk_severity = $3::severity WHERE id = $1",
        target.release_id,
        score,
        severity.label,
    )
    if aggregate is not None:
        await save_findings(conn, target.release_id, target.project, target.version, [aggregate])
    else:
        await conn.execute(
            "UPDATE findings SET severity = $2::severity, score = $3, last_seen_at = now() "
            "WHERE release_id = $1 AND check_id = 'release.assessment'",
            target.release_id,
            severity.label,
            score,
        )
