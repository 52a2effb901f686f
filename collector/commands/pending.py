"""`pypi-sentinel pending`: requests of the vetted index waiting for a decision, with evidence."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from collector.approvals import Review, fetch_reviews, review_json, target_text
from collector.config import Settings
from collector.corpus import load_local_corpus
from collector.output import OutputFormat, add_format_flag, print_json, print_text, render_table
from collector.store.database import open_database


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "pending", help="requests of the vetted index waiting for approve or deny"
    )
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def run(settings: Settings, args: argparse.Namespace) -> int:
    popular = load_local_corpus(settings.cache_dir).corpus
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        reviews = await fetch_reviews(conn, popular)
    if args.format is OutputFormat.JSON:
        print_json({"pending": [review_json(r) for r in reviews]})
        return 0
    if not reviews:
        print_text("no pending requests")
    now = datetime.now(UTC)
    for review in reviews:
        print_text(render_review(review, now) + "\n")
    return 0


def render_review(review: Review, now: datetime) -> str:
    request, release, found = review.request, review.release, review.exposure
    title = target_text(request.project, request.version)
    asked = (
        f"{request.count}x, last by {request.requested_by} at {request.requested_at:%Y-%m-%d %H:%M}"
    )
    verdict = "release not stored"
    if release is not None:
        verdict = f"not analysed, on {release.version}"
        if release.risk_severity is not None:
            verdict = f"{release.risk_severity} ({release.risk_score}) on {release.version}"
    vulns = ", ".join(
        f"{a.id}" + (f" (fixed in {fixed})" if fixed else "") for a, fixed in found.vulnerabilities
    )
    if found.unchecked:
        vulns = f"{found.unchecked} record(s) about some version"
    rows: list[tuple[str, object]] = [
        (title, f"requested {asked}"),
        ("  verdict", verdict),
        ("  malicious", ", ".join(a.id for a in found.malicious) or "no known record"),
        ("  vulnerabilities", vulns or "none known"),
        ("  licence", _licence(review)),
        ("  uploaded", _age(release.uploaded_at if release else None, now)),
        ("  first upload", _age(review.first_uploaded_at, now)),
        ("  downloads", review.downloads.text()),
        ("  owners", ", ".join(sorted(review.ownership.users)) if review.ownership else None),
    ]
    return render_table(rows)


def _licence(review: Review) -> str | None:
    if review.licence is None:
        return None
    return review.licence.spdx or review.licence.text or "none given"


def _age(when: datetime | None, now: datetime) -> str | None:
    if when is None:
        return None
    return f"{when:%Y-%m-%d} ({(now - when).days} days ago)"
