"""Approvals as people give them: parsing what they typed, and gathering the evidence a reviewer
needs about each waiting request (shared by the CLI and the dashboard)."""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from packaging.version import InvalidVersion, Version

from analysis.approvals import Approval, Decision
from analysis.corpus import Corpus
from analysis.licences import Licence, normalize_licence
from analysis.model import Ownership
from analysis.names import normalize
from analysis.osv import Exposure, exposure
from collector.errors import UsageError
from collector.store import PgConnection
from collector.store.approvals import Request, ReviewedRelease, fetch_facts, fetch_pending
from collector.store.osv import fetch_advisories
from collector.store.releases import fetch_licence_fields

_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_DAYS = re.compile(r"^(\d{1,5})d$")


def parse_target(text: str) -> tuple[str, str | None]:
    """NAME or NAME==VERSION: the PEP 503 name and the version, if one was given."""
    name, sep, version = text.strip().partition("==")
    if not _NAME.match(name) or (sep and not version):
        raise UsageError(f"not a project name or NAME==VERSION: {text!r}")
    if not sep:
        return normalize(name), None
    try:
        Version(version)
    except InvalidVersion as exc:
        raise UsageError(f"not a PEP 440 version: {version!r}") from exc
    return normalize(name), version


def parse_expiry(text: str | None, now: datetime) -> datetime | None:
    """YYYY-MM-DD (the start of that day, UTC) or a number of days from now, like 30d."""
    if text is None:
        return None
    days = _DAYS.match(text.strip())
    if days:
        if int(days[1]) == 0:
            raise UsageError("--expires needs at least 1d")
        return now + timedelta(days=int(days[1]))
    try:
        expires = datetime.combine(date.fromisoformat(text.strip()), time(), UTC)
    except ValueError as exc:
        raise UsageError(
            f"--expires takes YYYY-MM-DD or a number of days like 30d: {text!r}"
        ) from exc
    if expires <= now:
        raise UsageError(f"--expires {text} is not in the future")
    return expires


def default_actor() -> str:
    """The person at the keyboard: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "unknown"


def new_approval(
    target: str,
    decision: Decision,
    reason: str,
    actor: str,
    now: datetime,
    expires: str | None = None,
) -> Approval:
    """A decision from what a person typed; bad input is a UsageError naming it."""
    project, version = parse_target(target)
    if not reason.strip():
        raise UsageError("a decision needs a --reason")
    if not actor.strip():
        raise UsageError("a decision needs an actor (--by)")
    return Approval(
        project, version, decision, actor.strip(), reason.strip(), now, parse_expiry(expires, now)
    )


@dataclass(frozen=True, slots=True)
class Review:
    """A waiting request with what the store knows about it."""

    request: Request
    release: ReviewedRelease | None  # the requested release, else the newest stored one
    first_uploaded_at: datetime | None
    ownership: Ownership | None
    licence: Licence | None  # None: no stored metadata for the release
    exposure: Exposure
    downloads: Downloads


@dataclass(frozen=True, slots=True)
class Downloads:
    """A project's monthly downloads by the popular-projects list; off the list, fewer than its
    floor (a new name nobody uses yet is itself evidence)."""

    count: int | None  # None: not on the list
    floor: int  # the least downloaded project on the list

    def text(self) -> str:
        if self.count is not None:
            return f"{self.count:,} a month"
        return f"fewer than {self.floor:,} a month (not among the most downloaded)"


async def fetch_reviews(conn: PgConnection, popular: Corpus) -> list[Review]:
    """Every pending request, newest first, with its evidence (downloads from `popular`)."""
    counts = {p.name: p.downloads for p in popular.projects}
    floor = min(counts.values(), default=0)
    requests = await fetch_pending(conn)
    facts = await fetch_facts(conn, requests)
    advisories = await fetch_advisories(conn, sorted({r.project for r in requests}))
    pinned = [(key[0], f.release.version) for key, f in facts.items() if f.release is not None]
    licences = await fetch_licence_fields(conn, pinned)
    reviews = []
    for request in requests:
        fact = facts[(request.project, request.version)]
        version = fact.release.version if fact.release else request.version
        fields = licences.get((request.project, version)) if version else None
        reviews.append(
            Review(
                request,
                fact.release,
                fact.first_uploaded_at,
                fact.ownership,
                normalize_licence(*fields) if fields else None,
                exposure(advisories, request.project, version),
                Downloads(counts.get(request.project), floor),
            )
        )
    return reviews


def target_text(project: str, version: str | None) -> str:
    return f"{project}=={version}" if version else project


def review_json(review: Review) -> dict[str, Any]:
    request, release, found = review.request, review.release, review.exposure
    return {
        "project": request.project,
        "version": request.version,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at,
        "count": request.count,
        "release": None
        if release is None
        else {
            "version": release.version,
            "risk_score": release.risk_score,
            "risk_severity": release.risk_severity,
            "uploaded_at": release.uploaded_at,
        },
        "first_uploaded_at": review.first_uploaded_at,
        "owners": sorted(review.ownership.users) if review.ownership else None,
        "licence": None
        if review.licence is None
        else {"spdx": review.licence.spdx, "text": review.licence.text},
        "vulnerabilities": [
            {"id": a.id, "summary": a.summary, "fixed_in": fixed}
            for a, fixed in found.vulnerabilities
        ],
        "malicious": [{"id": a.id, "summary": a.summary} for a in found.malicious],
        "unchecked_vulnerabilities": found.unchecked,
        "downloads": review.downloads.count,
        "downloads_floor": review.downloads.floor,
    }


def approval_json(approval: Approval, now: datetime) -> dict[str, Any]:
    return {
        "project": approval.project,
        "version": approval.version,
        "decision": approval.decision,
        "actor": approval.actor,
        "reason": approval.reason,
        "created_at": approval.created_at,
        "expires_at": approval.expires_at,
        "active": approval.active(now),
    }
