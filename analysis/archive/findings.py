"""Check ids of the archive checks and the one way to build their findings."""

from __future__ import annotations

from collections.abc import Mapping

from analysis.checks import CHECKS_BY_ID
from analysis.model import Finding, Severity

NOT_AN_ARCHIVE = "archive.not-an-archive"
WRONG_EXTENSION = "archive.wrong-extension"
UNKNOWN_FORMAT = "archive.unknown-format"
UNREADABLE = "archive.unreadable"
TRAVERSAL = "archive.path-traversal"
ABSOLUTE = "archive.absolute-path"
LINK = "archive.link"
DEVICE = "archive.device"
DUPLICATE = "archive.duplicate-name"
BAD_NAME = "archive.bad-name"
ENCRYPTED = "archive.encrypted"
BOMB = "archive.bomb"
SIZE_LIMIT = "archive.size-limit"
TOO_MANY = "archive.too-many-members"
DEEP_PATH = "archive.deep-path"
TOO_LARGE = "archive.member-too-large"
BUNDLED_BINARY = "archive.bundled-binary"
METADATA_MISMATCH = "archive.metadata-mismatch"
MISSING_METADATA = "archive.missing-metadata"


def archive_finding(
    check_id: str,
    filename: str,
    path: str,
    summary: str,
    evidence: Mapping[str, object] | None = None,
    *,
    severity: Severity | None = None,
    score: int | None = None,
    key: str = "",
) -> Finding:
    """A finding with the registered severity and score unless given; `key` separates two hits
    on one member (e.g. two dependencies of one METADATA)."""
    check = CHECKS_BY_ID[check_id]
    fingerprint = f"{filename}:{path}" + (f":{key}" if key else "")
    return Finding(
        check_id=check_id,
        severity=check.severity if severity is None else severity,
        score=check.score if score is None else score,
        summary=summary,
        evidence={"filename": filename, "path": path, **(evidence or {})},
        fingerprint=fingerprint,
    )
