"""`pypi-sentinel releases`: every release ever seen, removed and quarantined ones included."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from analysis.names import normalize
from collector.arguments import non_negative_int
from collector.config import Settings
from collector.errors import UsageError
from collector.output import OutputFormat, add_format_flag, print_text, render_columns, stream_json
from collector.store import PgConnection
from collector.store.database import open_database
from collector.store.listing import ReleaseFilter, iter_releases

STATUSES = ("active", "yanked", "removed", "quarantined")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "releases", help="list every release seen, removed and quarantined ones included"
    )
    parser.add_argument("--name", help="only this project")
    parser.add_argument(
        "--since", help="first seen at or after this ISO date/time (UTC if no zone)"
    )
    parser.add_argument("--status", choices=STATUSES, help="only releases in this state")
    parser.add_argument("--limit", type=non_negative_int, help="at most this many, newest first")
    add_format_flag(parser)
    parser.set_defaults(handler=run)
    return parser


def parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(
            f"--since: expected an ISO date such as 2026-11-21, got {value!r}"
        ) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    filters = ReleaseFilter(
        project=normalize(args.name) if args.name else None,
        since=parse_since(args.since),
        status=args.status,
        limit=args.limit,
    )
    rows = partial(iter_releases, filters=filters)
    await list_stored(settings, rows, args.format, "releases", render_release, _write_text)
    return 0


async def list_stored(
    settings: Settings,
    query: Callable[[PgConnection], AsyncIterator[dict[str, Any]]],
    form: OutputFormat,
    key: str,
    render: Callable[[dict[str, Any]], Mapping[str, Any]],
    write_text: Callable[[AsyncIterator[dict[str, Any]]], Awaitable[None]],
) -> None:
    """Stream what `query` reads, in one read-only transaction (one consistent picture however
    long the list), as `{"schema": 1, key: [...]}` or as text."""
    async with (
        open_database(settings, max_size=2) as db,
        db.pool.acquire() as conn,
        conn.transaction(readonly=True),
    ):
        rows = query(conn)
        if form is OutputFormat.JSON:
            await stream_json(key, rows, render)
        else:
            await write_text(rows)


def render_release(row: dict[str, Any]) -> dict[str, Any]:
    files = [
        {
            "filename": f["filename"],
            "url": f["url"],
            "packagetype": f["packagetype"],
            "python_version": f["python_version"],
            "requires_python": f["requires_python"],
            "size": f["size"],
            "digests": {"sha256": f["sha256"], "blake2b_256": f["blake2b_256"], "md5": f["md5"]},
            "uploaded_at": f["uploaded_at"],
            "yanked": f["yanked"],
            "status": f["status"],
            "serial": f["serial"],
        }
        for f in row["files"]
    ]
    return {
        "name": row["project"],
        "display_name": row["display_name"],
        "version": row["version"],
        "serial": row["serial"],
        "status": row["status"],
        "files": files,
        "first_seen": row["first_seen_at"],
        "first_seen_source": row["first_seen_source"],
        "fetched_at": row["fetched_at"],
        "uploaded_at": row["uploaded_at"],
        "summary": row["summary"],
        "risk_score": row["risk_score"],
        "risk_severity": row["risk_severity"],
        "yanked_reason": row["yanked_reason"],
    }


_COLUMNS = ("NAME", "VERSION", "STATUS", "FIRST SEEN (UTC)", "VIA", "FILES", "RISK")
_PAGE = 200  # rows aligned together: a listing of any size streams in constant memory


async def _write_text(releases: Any) -> None:
    """One aligned row per release, newest first, under one header."""
    widths = [0] * len(_COLUMNS)
    page: list[tuple[str, ...]] = [_COLUMNS]
    count = 0
    async for release in releases:
        count += 1
        page.append(_cells(release))
        if len(page) >= _PAGE:
            print_text(render_columns(page, widths))
            page = []
    if count == 0:
        print_text("no releases stored yet")
    elif page:
        print_text(render_columns(page, widths))


def _cells(release: dict[str, Any]) -> tuple[str, ...]:
    return (
        release["project"],
        release["version"],
        release["status"],
        f"{release['first_seen_at'].astimezone(UTC):%Y-%m-%d %H:%M:%S}",
        release["first_seen_source"],
        str(len(release["files"])),
        release["risk_severity"] or "not analysed",
    )
