"""How far ahead of the public report our verdict would have been: the dev known-malware releases
replayed through the stand-in at their own upload times, then the public MAL records synced.

    .venv/bin/python -m bench.lead_time [--limit N]

Each release of ../shared/eval/malware-dev.tar that a record of
../shared/data/osv-pypi-malicious-dev.zip names is uploaded to the stand-in, in upload-time order,
with its real files and the JSON metadata its own PKG-INFO / METADATA gives (as on PyPI). The
upload time is estimated from the archive: its newest member's mtime, unknown when implausible.
The collector (`run --once`, files read) judges them, then `osv sync` brings the records; the
store then says, per reported release, whether our verdict reached medium before the report, and
how long that took in the replay. The lead over the record's publication is
published - (upload time + our time to verdict). Figures go to bench/results/lead_time.json,
without names. The archives are only ever read in memory, as the product reads them.

Bounds: the time to verdict includes the backlog of replaying every release at once (an upper
bound); a member's mtime is when the file was built, at or before the upload (the report delay is
an upper bound too). A record's `published` can be a finder's own detection time, set long before
the record was public: the lead over the record's first import into the data set is given beside.
`status` figures the same lead from the replay's wall clock, so only its counts are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from packaging.utils import canonicalize_name

from analysis.errors import OsvError
from analysis.known import MALICIOUS, LeadTimes, render_span
from analysis.osv import Advisory, affects, parse_advisory
from bench.common import CLI, REPO, child_env, serve
from bench.lead_time_archives import ArchiveFacts, read_facts
from bench.realworld_malware import MALWARE_TAR, RESULTS, Upload, load_uploads
from standin import StandInPyPI
from standin.state import RegistryError

METADATA_MISMATCH = "archive.metadata-mismatch"  # fires when our JSON disagrees with the archive
MAL_RECORDS = REPO.parent / "shared" / "data" / "osv-pypi-malicious-dev.zip"
OLDEST_PLAUSIBLE = datetime(2015, 1, 1, tzinfo=UTC)
UNKNOWN_AT = datetime(2026, 1, 1, tzinfo=UTC)  # releases with no plausible time go last, here
SYNC_KEYS = ("records", "added", "malformed_count", "releases_reported_malicious", "seconds")
QUANTILES = {"p10": 0.1, "p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
STORE_QUERY = """
    SELECT DISTINCT ON (r.id) r.project, r.version, r.flagged_at, r.first_seen_at,
           r.uploaded_at, f.first_seen_at AS reported_at,
           (f.evidence->>'published')::timestamptz AS published
      FROM findings f JOIN releases r ON r.id = f.release_id
     WHERE f.check_id = $1
     ORDER BY r.id, (f.evidence->>'published')::timestamptz NULLS LAST
"""


@dataclass(frozen=True, slots=True)
class Release:
    """One reported release of the set, ready to upload."""

    project: str  # PEP 503 normalized, as the tar names it
    version: str
    files: tuple[Upload, ...]
    facts: ArchiveFacts
    published: datetime | None  # the earliest record naming it
    imported: datetime | None  # when the first of them reached the OSV data set

    @property
    def uploaded(self) -> datetime | None:
        """The newest member mtime, unless it cannot be the upload time."""
        moment = self.facts.newest
        if moment is None or moment < OLDEST_PLAUSIBLE or _placeholder(moment):
            return None
        return None if self.published is not None and moment > self.published else moment


def _placeholder(moment: datetime) -> bool:
    """Reproducible builds stamp every member with one fixed date (2016-01-01, 2020-02-02) at
    midnight; a real build finishing on the very second of midnight is rare enough to lose."""
    return moment.time() == datetime.min.time()


# -- the inputs --------------------------------------------------------------------------------


def load_records(path: Path = MAL_RECORDS) -> tuple[dict[str, dict[str, Any]], list[Advisory]]:
    """Every record of the dump as served (id -> document), and the MAL ones parsed."""
    if not path.exists():
        raise SystemExit(f"{path} not found: the OSV data lives in ../shared/data/")
    documents: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".json"):
                document = json.loads(archive.read(name))
                documents[document["id"]] = document
    return documents, [a for a in _parsed(documents.values()) if a.malicious]


def _parsed(documents: Iterable[Mapping[str, Any]]) -> Iterable[Advisory]:
    for document in documents:
        try:
            yield parse_advisory(document)
        except OsvError as exc:
            print(f"unparseable record left out: {exc}", file=sys.stderr)


def reported_releases(
    uploads: Sequence[Upload],
    records: Mapping[str, Mapping[str, Any]],
    advisories: Sequence[Advisory],
) -> list[Release]:
    """The releases of the set some record names, in upload order (unknown times last)."""
    by_project: dict[str, list[Advisory]] = {}
    for advisory in advisories:
        for project in advisory.projects:
            by_project.setdefault(project, []).append(advisory)
    grouped: dict[tuple[str, str], list[Upload]] = {}
    for upload in uploads:
        grouped.setdefault((canonicalize_name(upload.project), upload.version), []).append(upload)
    releases = []
    for (project, version), files in grouped.items():
        naming = [a for a in by_project.get(project, ()) if affects(a, project, version)]
        if naming:
            dates = [a.published for a in naming if a.published is not None]
            facts = read_facts(u.data for u in files)
            imported = min((imported_at(records[a.id]) for a in naming), default=None)
            releases.append(
                Release(project, version, tuple(files), facts, min(dates, default=None), imported)
            )
    return sorted(releases, key=lambda r: (r.uploaded is None, r.uploaded or UNKNOWN_AT))


def imported_at(record: Mapping[str, Any]) -> datetime:
    """When the malicious-packages data set first took the record in from a finder. A finder's
    own feed may set `published` to its detection time, long before the record was public."""
    origins = (record.get("database_specific") or {}).get("malicious-packages-origins") or []
    times = [o["import_time"] for o in origins if isinstance(o.get("import_time"), str)]
    # the product's own reading of an OSV time (nanoseconds, a Z); no origin: its `modified`
    parsed = [parse_advisory({**record, "published": t}).published for t in times]
    return min([p for p in parsed if p is not None], default=parse_advisory(record).modified)


# -- the replay --------------------------------------------------------------------------------


def stage(pypi: StandInPyPI, releases: Sequence[Release]) -> list[Release]:
    """Upload each release at its time with its real bytes; the ones the stand-in refused are
    left out (and named on stderr)."""
    latest = max((r.uploaded for r in releases if r.uploaded), default=UNKNOWN_AT)
    unknown_at = max(UNKNOWN_AT, latest + timedelta(days=1))
    owners: dict[str, str] = {}
    staged = []
    for release in releases:
        owner = owners.setdefault(release.project, f"uploader{len(owners) + 1}")
        name = _display_name(release)
        try:
            pypi.upload(
                name,
                release.version,
                files=[f.filename for f in release.files],
                metadata=release.facts.metadata,
                owner=owner,
                timestamp=release.uploaded or unknown_at,
            )
        except RegistryError as exc:
            print(f"not uploaded: {exc}", file=sys.stderr)
            continue
        for upload in release.files:
            stored = pypi.file(upload.filename)
            assert stored is not None  # just uploaded
            stored.serve(upload.data)
        staged.append(release)
    return staged


def _display_name(release: Release) -> str:
    """The name as the archive spells it, when it is this project's."""
    name = release.facts.name
    return name if name and canonicalize_name(name) == release.project else release.project


async def cli(env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> str:
    """Run the product as a child process; its stdout."""
    done = await asyncio.to_thread(
        subprocess.run, [CLI, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode not in ok:
        raise SystemExit(f"`{' '.join(args)}` failed ({done.returncode}): {done.stderr[-3000:]}")
    return done.stdout


@dataclass(frozen=True, slots=True)
class Replay:
    """What the product said and stored."""

    sync: dict[str, Any]
    status: dict[str, Any]
    rows: list[asyncpg.Record]
    store: dict[str, Any]
    seconds: dict[str, float]


async def replay(
    pypi: StandInPyPI, since: int, records: dict[str, dict[str, Any]], home: Path
) -> Replay:
    seconds: dict[str, float] = {}
    async with serve(pypi) as base:
        env = child_env(home, base, PYPI_SENTINEL_INSPECT="on", PYPI_SENTINEL_LOG_LEVEL="WARNING")
        await cli(env, "db", "upgrade")
        began = time.perf_counter()
        await cli(env, "run", "--once", "--since-serial", str(since))
        seconds["collector"] = time.perf_counter() - began
        pypi.osv_records.update(records)
        began = time.perf_counter()
        sync = json.loads(await cli(env, "osv", "sync", "--format", "json"))
        seconds["osv_sync"] = time.perf_counter() - began
        status = json.loads(await cli(env, "status", "--format", "json", ok=(0, 3)))
    rows, store = await read_store(home)
    return Replay(sync, status, rows, store, seconds)


async def read_store(home: Path) -> tuple[list[asyncpg.Record], dict[str, Any]]:
    """Per reported release its times; and how the replay went as a whole."""
    from collector.store.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(home / "pg")
    conn = await asyncpg.connect(server.start())
    try:
        rows = await conn.fetch(STORE_QUERY, MALICIOUS)
        store = {
            "releases_stored": await conn.fetchval("SELECT count(*) FROM releases"),
            "releases_analysed": await conn.fetchval(
                "SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL"
            ),
            "jobs_open": await conn.fetchval("SELECT count(*) FROM jobs WHERE state <> 'done'"),
            "metadata_mismatch_findings": {
                r["severity"]: r["n"]
                for r in await conn.fetch(
                    "SELECT severity::text, count(*) AS n FROM findings WHERE check_id = $1 "
                    "GROUP BY 1",
                    METADATA_MISMATCH,
                )
            },
            "files_by_inspection": {
                r["inspection"] or "none": r["n"]
                for r in await conn.fetch(
                    "SELECT inspection, count(*) AS n FROM files GROUP BY 1 ORDER BY 2 DESC"
                )
            },
        }
    finally:
        await conn.close()
        server.stop()
    return list(rows), store


# -- the figures -------------------------------------------------------------------------------


def spread(spans: Sequence[timedelta], unit: timedelta) -> dict[str, Any]:
    """Count, shares above zero and above a day, and quantiles in `unit` (nearest rank, as
    `status` takes them)."""
    ordered = LeadTimes(len(spans), len(spans), tuple(spans))
    # the spread is bimodal (hours, or months when a record was filed late): where it splits
    over_a_day = sum(1 for span in spans if span > timedelta(days=1))
    shown: dict[str, Any] = {
        "count": len(spans),
        "share_positive": _share(ordered.ahead, spans),
        "share_over_a_day": _share(over_a_day, spans),
    }
    for label, q in QUANTILES.items():
        value = ordered.quantile(q)
        shown[label] = None if value is None else round(value / unit, 2)
    return shown


def _share(part: int, whole: Sequence[object]) -> float | None:
    return round(part / len(whole), 4) if whole else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One reported release as stored, with the replay's wall-clock times made relative."""

    flagged_first: bool  # our verdict reached medium before the report was synced
    verdict: timedelta | None  # first seen -> flagged (the replay's backlog included)
    published: datetime | None
    uploaded: datetime | None  # the stand-in's upload time, when the archive gave a plausible one
    imported: datetime | None

    @property
    def ours(self) -> datetime | None:
        """When our verdict would have come had we seen the upload as it happened."""
        if not self.flagged_first or self.uploaded is None or self.verdict is None:
            return None
        return self.uploaded + self.verdict


def outcomes(releases: Sequence[Release], rows: Sequence[asyncpg.Record]) -> list[Outcome]:
    known = {(r.project, r.version): r for r in releases}
    found = []
    for row in rows:
        release = known.get((row["project"], row["version"]))
        flagged = row["flagged_at"]
        first = flagged is not None and flagged < row["reported_at"]
        timed = release is not None and release.uploaded is not None
        found.append(
            Outcome(
                flagged_first=first,
                verdict=flagged - row["first_seen_at"] if first else None,
                published=row["published"],
                uploaded=row["uploaded_at"] if timed else None,
                imported=release.imported if release else None,
            )
        )
    return found


def _gaps(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> list[timedelta]:
    return [late - early for late, early in pairs if late is not None and early is not None]


def figures(releases: Sequence[Release], run: Replay) -> dict[str, Any]:
    seen = outcomes(releases, run.rows)
    first = [o for o in seen if o.flagged_first]
    leads = _gaps((o.published, o.ours) for o in seen)
    hour, day = timedelta(hours=1), timedelta(days=1)
    return {
        "schema": 1,
        "releases_replayed": len(releases),
        "files_replayed": sum(len(r.files) for r in releases),
        "upload_time_known": sum(1 for r in releases if r.uploaded is not None),
        "reported": len(seen),
        "flagged_before_report": len(first),
        "share_flagged_before_report": _share(len(first), seen),
        "time_to_verdict_minutes_upper_bound": spread(
            [o.verdict for o in first if o.verdict is not None], timedelta(minutes=1)
        ),
        "lead_hours": spread(leads, hour),
        "lead_days": spread(leads, day),
        "lead_over_osv_import_days": spread(_gaps((o.imported, o.ours) for o in seen), day),
        "report_delay_hours": spread(_gaps((o.published, o.uploaded) for o in seen), hour),
        "report_delay_days": spread(_gaps((o.published, o.uploaded) for o in seen), day),
        "store": run.store,
        "osv_sync": [{k: v for k, v in s.items() if k in SYNC_KEYS} for s in run.sync["sources"]],
        "status_lead_time": run.status["osv"]["lead_time"],
        "wall_seconds": {k: round(v, 1) for k, v in run.seconds.items()},
    }


def cross_check(result: dict[str, Any], run: Replay) -> None:
    """`status` counts the same releases; its leads use the replay's wall clock, so only the
    counts can agree."""
    synced = sum(s["releases_reported_malicious"] for s in result["osv_sync"])
    assert synced == result["reported"], (synced, result["reported"])
    product = result["status_lead_time"]
    assert product["reported_malicious"] == result["reported"], product
    assert product["flagged_before_report"] == result["flagged_before_report"], product
    ahead = sum(
        1
        for r in run.rows
        if r["flagged_at"] is not None
        and r["flagged_at"] < r["reported_at"]
        and r["published"] is not None
        and r["published"] > r["flagged_at"]
    )
    assert product["flagged_before_publication"] == ahead, product


def render(result: dict[str, Any]) -> str:
    def row(label: str, spread_: dict[str, Any], unit: timedelta) -> str:
        cells = ["-" if spread_[k] is None else render_span(spread_[k] * unit) for k in QUANTILES]
        share = spread_["share_positive"]
        above = "" if share is None else f"{share:6.1%}"
        return f"  {label:34} {spread_['count']:5} {above:>7} " + " ".join(f"{c:>9}" for c in cells)

    hour = timedelta(hours=1)
    return "\n".join(
        [
            f"replayed {result['releases_replayed']} reported releases "
            f"({result['files_replayed']} files), upload time known for "
            f"{result['upload_time_known']}",
            f"known.malicious after the sync: {result['reported']}; flagged by our verdict first: "
            f"{result['flagged_before_report']} ({result['share_flagged_before_report']:.1%})",
            f"  {'':34} {'count':>5} {'> 0':>7} " + " ".join(f"{k:>9}" for k in QUANTILES),
            row(
                "our time to verdict (replay)",
                result["time_to_verdict_minutes_upper_bound"],
                timedelta(minutes=1),
            ),
            row("lead over publication", result["lead_hours"], hour),
            row(
                "lead over the record's OSV import",
                result["lead_over_osv_import_days"],
                timedelta(days=1),
            ),
            row("report delay (published-upload)", result["report_delay_hours"], hour),
            f"status osv.lead_time (wall-clock leads, counts only): {result['status_lead_time']}",
            f"wall time: {result['wall_seconds']}",
        ]
    )


async def main(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    records, advisories = load_records(args.records)
    releases = reported_releases(load_uploads(args.tar), records, advisories)[: args.limit]
    pypi = StandInPyPI(record_requests=False)
    since = pypi.last_serial
    releases = stage(pypi, releases)
    print(f"staged {len(releases)} releases in {time.perf_counter() - began:.0f}s", file=sys.stderr)
    home = Path(tempfile.mkdtemp(prefix="bench-lead-"))
    try:
        run = await replay(pypi, since, records, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    run.seconds["total"] = time.perf_counter() - began
    result = figures(releases, run)
    cross_check(result, run)
    # a partial run is for trying things out: its figures stay out of the results
    folder = RESULTS if args.limit is None else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lead_time.json").write_text(json.dumps(result, indent=1) + "\n")
    print(render(result))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=int, help="replay only the first N releases in upload order"
    )
    parser.add_argument("--tar", type=Path, default=MALWARE_TAR)
    parser.add_argument("--records", type=Path, default=MAL_RECORDS)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
