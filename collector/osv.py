"""Syncing OSV's PyPI advisories into the store from OSV's dump (a zip of records), by URL or path.

OSV publishes every PyPI advisory, known vulnerabilities (PYSEC, GHSA) and known-malicious
releases (MAL), as one JSON record per file in `PyPI/all.zip`. A sync reads the whole dump and
stores only the records that are new or whose `modified` moved, in one transaction per source:
a failed sync leaves the stored copy as it was.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from analysis.osv import Advisory, parse_advisory
from collector.backoff import Backoff
from collector.errors import UpstreamError, UsageError
from collector.known import Applied, apply_advisories
from collector.pipeline.processor import FlaggedHook
from collector.pypi.http import Http, answer, new_session, real_sleep, with_retries
from collector.store.osv import (
    SyncCounts,
    fetch_last_sync,
    fetch_modified,
    record_sync,
    save_advisories,
)

log = logging.getLogger(__name__)

MAX_DUMP = 1 << 30  # OSV's PyPI dump is tens of megabytes; a gigabyte is someone else's file
MAX_RECORD = 16 << 20  # one advisory is kilobytes
SYNC_EVERY = 24 * 3600.0  # `run` refreshes the copy daily
DOWNLOAD_TIMEOUT = 600.0  # the dump is tens of megabytes


@dataclass(frozen=True, slots=True)
class Malformed:
    """A member of the dump that is not a usable OSV record, and why."""

    member: str
    error: str


@dataclass(frozen=True, slots=True)
class Dump:
    advisories: tuple[tuple[Advisory, Mapping[str, Any]], ...]  # each with its record
    malformed: tuple[Malformed, ...]


@dataclass(frozen=True, slots=True)
class SyncResult:
    source: str
    counts: SyncCounts
    unchanged: int
    malformed: tuple[Malformed, ...]
    seconds: float
    applied: Applied = field(default_factory=Applied)  # what the changes meant for stored releases


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def fetch_dump(source: str, http: Http) -> bytes:
    """The dump's bytes: downloaded (retried with backoff) or read from a local file."""
    if not is_url(source):
        try:
            return await asyncio.to_thread(_read_file, source)
        except OSError as exc:
            raise UsageError(f"--source {source}: {exc.strerror or exc}") from exc
    response = await with_retries(
        lambda: http.request("GET", source, max_body=MAX_DUMP), "OSV dump", Backoff(), real_sleep
    )
    return answer(f"GET {source}", response, bytes)


def _read_file(source: str) -> bytes:
    return Path(source).expanduser().read_bytes()


def parse_dump(data: bytes, source: str) -> Dump:
    """Every record of the dump, parsed; members that are not records are listed, not fatal.
    A file that is not a zip at all is: from a URL an upstream error, from a path a usage one."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        message = f"{source}: not a zip archive of OSV records ({exc})"
        error = UpstreamError("garbage", message) if is_url(source) else UsageError(message)
        raise error from exc
    newest: dict[str, tuple[Advisory, Mapping[str, Any]]] = {}
    malformed: list[Malformed] = []
    for info in archive.infolist():
        if info.is_dir() or not info.filename.endswith(".json"):
            continue
        try:
            advisory, record = _read_record(archive, info)
        except (ValueError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            malformed.append(Malformed(info.filename, str(exc) or type(exc).__name__))
            continue
        kept = newest.get(advisory.id)
        if kept is None or advisory.modified > kept[0].modified:  # one row per id
            newest[advisory.id] = (advisory, record)
    return Dump(tuple(newest.values()), tuple(malformed))


def _read_record(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[Advisory, Any]:
    if info.file_size > MAX_RECORD:
        raise ValueError(f"{info.file_size} bytes: too large for an advisory")
    record = json.loads(archive.read(info))
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return parse_advisory(record), record


async def sync_source(
    pool: asyncpg.Pool, http: Http, source: str, on_flagged: FlaggedHook | None = None
) -> SyncResult:
    """Fetch one dump and store what changed, with the findings it makes on stored releases
    and the alerts those plan, in one transaction."""
    began, started_at = time.perf_counter(), datetime.now(UTC)
    data = await fetch_dump(source, http)
    dump = await asyncio.to_thread(parse_dump, data, source)
    async with pool.acquire() as conn, conn.transaction():
        known = await fetch_modified(conn)
        changed = [(a, r) for a, r in dump.advisories if _newer(a, known)]
        added = sum(1 for a, _ in changed if a.id not in known)
        counts = SyncCounts(len(dump.advisories), added, len(changed) - added, len(dump.malformed))
        await save_advisories(conn, changed)
        applied = await apply_advisories(conn, [a for a, _ in changed], on_flagged)
        await record_sync(conn, source, started_at, counts)
    for bad in dump.malformed[:10]:
        log.warning("OSV dump %s: skipped %s: %s", source, bad.member, bad.error)
    unchanged = len(dump.advisories) - len(changed)
    seconds = time.perf_counter() - began
    return SyncResult(source, counts, unchanged, dump.malformed, seconds, applied)


def _newer(advisory: Advisory, known: Mapping[str, datetime]) -> bool:
    stored = known.get(advisory.id)
    return stored is None or advisory.modified > stored


async def sync_osv(
    pool: asyncpg.Pool, http: Http, sources: Sequence[str], on_flagged: FlaggedHook | None = None
) -> list[SyncResult]:
    """Sync each source in turn (OSV's one dump, or several local ones)."""
    return [await sync_source(pool, http, source, on_flagged) for source in sources]


async def refresh_osv(
    pool: asyncpg.Pool,
    source: str,
    *,
    every: float = SYNC_EVERY,
    on_flagged: FlaggedHook | None = None,
) -> SyncResult | None:
    """`run`'s refresh: sync `source` when its last sync is older than `every` seconds (so a
    restart does not download the dump again). A local file that is missing is a warning."""
    async with pool.acquire() as conn:
        last = await fetch_last_sync(conn, source)
    if last is not None and (datetime.now(UTC) - last.finished_at).total_seconds() < every:
        return None
    try:
        async with new_session(timeout=DOWNLOAD_TIMEOUT) as session:
            result = await sync_source(pool, Http(session), source, on_flagged)
    except UsageError as exc:
        log.warning("OSV advisories not refreshed: %s", exc)
        return None
    counts = result.counts
    applied = result.applied
    log.info(
        "OSV advisories refreshed from %s: %d added, %d updated, %d unchanged; "
        "%d stored release(s) newly reported malicious, %d vulnerability finding(s)",
        source,
        counts.added,
        counts.updated,
        result.unchanged,
        applied.reported_malicious,
        applied.vulnerable,
    )
    return result
