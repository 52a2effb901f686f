"""The benign half of bench/realworld.py: the product's full verdict (name, metadata and every file)
on each release of a set that bench/realworld_corpus.py fetched, computed offline from its cache.

    .venv/bin/python -m bench.realworld_benign --set random|new|top [--cache DIR] [--processes N]

A release goes through what the collector does with it: the JSON and Simple pages through the
collector's own parsers and build_snapshot, assess_release with the imitated projects' metadata
and the look-alike dependencies' age and releases from the cached target and dependency pages (as
`check --metadata` does: no store, so no ages of other dependencies), then
every file through inspect_file in a pool of forked readers, and combine() over all the findings,
which is the verdict the collector stores. "Now" is when the release's page was fetched, so a
rerun gives the same figures. A reader that raises is listed as a crash: on real data it is a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import resource
import signal
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from analysis import AnalysisContext, NameIndex, assess_release, build_index, match_name
from analysis.artifact import ArtifactRef
from analysis.inspect import INSPECTION_FAILED, TOO_LARGE, inspect_file, not_inspected
from analysis.metadata import imitating_dependencies
from analysis.model import (
    Assessment,
    Finding,
    ProjectFacts,
    ReleaseMetadata,
    ReleaseSnapshot,
    Severity,
)
from analysis.scoring import combine
from bench.common import REPO, shipped_corpus
from bench.random_corpus import ReleaseFile
from bench.realworld_corpus import (
    DEPENDENCIES,
    FILE_CAP,
    REALWORLD_CACHE,
    SETS,
    TARGETS,
    Release,
    load_set,
)
from collector.pipeline.fetcher import Fetched
from collector.pipeline.inspector import READER_DEADLINE, READER_MEMORY
from collector.pipeline.snapshot import build_snapshot
from collector.pypi.json_api import (
    ProjectPage,
    decode_json,
    parse_project_page,
    parse_release_page,
    project_facts,
)
from collector.pypi.simple import parse_simple_project
from collector.store.jobs import Job
from collector.store.releases import History

FLAG = Severity.MEDIUM  # a benign release at or above this is a false alarm
LEVELS = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
RESULTS = REPO / "bench" / "results"


# ---------------------------------------------------------------- name and metadata


def snapshot_of(folder: Path, release: Release) -> ReleaseSnapshot:
    """The ReleaseSnapshot the collector builds from the same two pages (no provenance: the
    publisher check compares with a stored prior release, which a first look never has)."""
    page = parse_release_page(decode_json((folder / "project.json").read_bytes()), None)
    simple_path = folder / "simple.json"
    simple = (
        parse_simple_project(decode_json(simple_path.read_bytes()), None)
        if simple_path.exists()
        else None
    )
    job = Job(0, release.project, release.version, 0, "check", 1)
    return build_snapshot(job, Fetched(page, simple, publishers=()), History(None, 0, None))


class ProjectPages:
    """Cached JSON pages of other projects (imitated ones, look-alike dependencies), parsed
    once; None where PyPI had none or the page was not fetched."""

    def __init__(self, folder: Path, missing: Iterable[str] = ()) -> None:
        self.folder = folder
        self.missing = frozenset(missing)  # names PyPI answered 404 for
        self.pages: dict[str, ProjectPage | None] = {}

    def facts(self, name: str) -> ProjectFacts | None:
        """What EngineAnalyzer learns about a dependency: a 404 is a project with nothing."""
        if name in self.missing:
            return ProjectFacts(None, 0)
        page = self.get(name)
        return project_facts(page) if page else None

    def get(self, name: str) -> ProjectPage | None:
        if name not in self.pages:
            path = self.folder / f"{name}.json"
            self.pages[name] = (
                parse_project_page(decode_json(path.read_bytes()), None) if path.exists() else None
            )
        return self.pages[name]


def assess_metadata(
    snapshot: ReleaseSnapshot,
    index: NameIndex,
    targets: ProjectPages,
    dependencies: ProjectPages,
    now: datetime,
) -> Assessment:
    """assess_release with the context EngineAnalyzer.assess builds when there is no store."""
    names = sorted(
        {m.target for m in match_name(snapshot.project, index, ownership=snapshot.ownership)}
    )
    pages = {n: p for n in names if (p := targets.get(n)) is not None}
    lookalikes = imitating_dependencies(snapshot.metadata.requires_dist, index)
    context = AnalysisContext(
        now=now,
        index=index,
        targets={n: p.metadata for n, p in pages.items()},
        target_ownership={n: p.ownership for n, p in pages.items() if p.ownership},
        dependency_first_seen={},
        dependency_facts={n: f for n in lookalikes if (f := dependencies.facts(n)) is not None},
    )
    return assess_release(snapshot, context)


# ---------------------------------------------------------------- files


@dataclass(frozen=True, slots=True)
class FileJob:
    release: int  # index into the set's releases
    ref: ArtifactRef
    path: Path
    metadata: ReleaseMetadata


@dataclass(frozen=True, slots=True)
class FileResult:
    release: int
    filename: str
    findings: tuple[Finding, ...]
    seconds: float
    crash: str | None = None  # inspect_file raised: the exception and where
    failure: str | None = None  # the reader ran out of time or memory


class _Deadline(Exception):
    pass


_JOBS: Sequence[FileJob] = ()  # handed to the forked readers by fork itself


def _start_reader() -> None:
    # The collector's readers are spawned with READER_MEMORY of address space; a forked one
    # starts with ours, so it gets that much on top: a bomb fails here, not the machine.
    with contextlib.suppress(ValueError, OSError):
        limit = psutil.Process().memory_info().vms + READER_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(*_: object) -> None:
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _read_one(i: int) -> FileResult:
    job = _JOBS[i]
    data = job.path.read_bytes()
    began = time.perf_counter()
    try:
        with _deadline(READER_DEADLINE):
            findings = inspect_file(job.ref, data, job.metadata).findings
    except (_Deadline, MemoryError) as exc:
        # the collector kills such a reader and, after retries, records this finding
        why = (
            f"took longer than {READER_DEADLINE:.0f}s"
            if isinstance(exc, _Deadline)
            else "ran out of memory"
        )
        failed = not_inspected(job.ref, INSPECTION_FAILED, f"reading failed: {why}.", error=why)
        seconds = time.perf_counter() - began
        return FileResult(job.release, job.ref.filename, (failed,), seconds, failure=why)
    except Exception as exc:  # noqa: BLE001 - a crash on real data is a bug to list, not to stop on
        frames = traceback.extract_tb(exc.__traceback__)[-4:]  # the innermost, where it broke
        where = " < ".join(
            f"{f.filename.rpartition('/')[2]}:{f.lineno} {f.name}" for f in frames[::-1]
        )
        crash = f"{exc!r} at {where}"[:600]
        return FileResult(job.release, job.ref.filename, (), time.perf_counter() - began, crash)
    return FileResult(job.release, job.ref.filename, findings, time.perf_counter() - began)


def read_files(jobs: Sequence[FileJob], processes: int) -> list[FileResult]:
    """Every file through inspect_file in forked readers, largest first so no giant finishes
    alone at the end; progress on stderr."""
    global _JOBS
    _JOBS = jobs
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].path.stat().st_size)
    results = []
    began = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_start_reader) as pool:
        for done, result in enumerate(pool.imap_unordered(_read_one, order, chunksize=1), 1):
            results.append(result)
            if done % 200 == 0 or done == len(jobs):
                rate = done / (time.perf_counter() - began)
                print(f"  {done}/{len(jobs)} files, {rate:.0f}/s", file=sys.stderr)
    _JOBS = ()
    return results


def too_large(release: Release, f: ReleaseFile) -> Finding:
    """The finding the collector records for a file over its max_file_size (pipeline/artifacts)."""
    ref = ArtifactRef(release.project, release.version, f.filename, f.url)
    summary = f"not inspected: too large ({f.size:,} bytes, cap {FILE_CAP:,} bytes)."
    return not_inspected(ref, TOO_LARGE, summary, size=f.size, limit=FILE_CAP)


# ---------------------------------------------------------------- the section


@dataclass(frozen=True, slots=True)
class Verdicts:
    """One release's metadata-only and full verdicts, and its file figures."""

    release: Release
    metadata: Assessment
    full: Assessment
    file_seconds: float
    problems: tuple[FileResult, ...]  # files whose reader crashed or failed


def benign_section(set_name: str, cache: Path, processes: int = 2) -> dict[str, Any]:
    """The full verdict on every fetched release of `set_name` in `cache`, summarised: shares at
    each severity (full and metadata-only), the flagged releases with their evidence, per-check
    counts at medium+, crashes and seconds per release for the files (JSON-serialisable)."""
    manifest, releases = load_set(cache, set_name)
    began = time.perf_counter()
    index = build_index(shipped_corpus())
    missing = [n for n, state in manifest.get("dependencies", {}).items() if state == "404"]
    targets = ProjectPages(cache / TARGETS)
    dependencies = ProjectPages(cache / DEPENDENCIES, missing)
    set_dir = cache / set_name
    snapshots = [snapshot_of(set_dir / r.project, r) for r in releases]
    metadata = [
        assess_metadata(s, index, targets, dependencies, datetime.fromisoformat(r.fetched_at))
        for s, r in zip(snapshots, releases, strict=True)
    ]
    jobs = [
        FileJob(
            i,
            ArtifactRef(r.project, r.version, f.filename, f.url),
            set_dir / r.project / f.filename,
            s.metadata,
        )
        for i, (r, s) in enumerate(zip(releases, snapshots, strict=True))
        for f in r.files
    ]
    files = read_files(jobs, processes)
    verdicts = combine_all(releases, metadata, files)
    return summarise(set_name, manifest, verdicts, len(jobs), time.perf_counter() - began)


def combine_all(
    releases: Sequence[Release], metadata: Sequence[Assessment], files: Sequence[FileResult]
) -> list[Verdicts]:
    """Each release's verdict as the collector stores it: combine() over the name and metadata
    findings and those of every file (a file over the cap adds archive.too-large)."""
    by_release: dict[int, list[FileResult]] = {}
    for result in files:
        by_release.setdefault(result.release, []).append(result)
    verdicts = []
    for i, (release, meta) in enumerate(zip(releases, metadata, strict=True)):
        read = by_release.get(i, [])
        found = [f for r in read for f in r.findings] + [
            too_large(release, f) for f in release.too_large
        ]
        full = combine([*meta.findings, *found])
        problems = tuple(r for r in read if r.crash or r.failure)
        verdicts.append(Verdicts(release, meta, full, sum(r.seconds for r in read), problems))
    return verdicts


def summarise(
    set_name: str,
    manifest: Mapping[str, Any],
    verdicts: Sequence[Verdicts],
    files: int,
    seconds: float,
) -> dict[str, Any]:
    seconds_each = sorted(v.file_seconds for v in verdicts)
    drawn = ("source", "seed", "drawn", "file_rule", "fetched_at", "requested", "looked_at")
    return {
        "set": set_name,
        "drawn": {k: manifest[k] for k in drawn if k in manifest},
        "releases": len(verdicts),
        "files": files,
        "files_too_large": sum(len(v.release.too_large) for v in verdicts),
        "files_left_out": sum(len(v.release.left_out) for v in verdicts),
        "crashes": [problem_row(v, p, p.crash) for v in verdicts for p in v.problems if p.crash],
        "reader_failures": [
            problem_row(v, p, p.failure) for v in verdicts for p in v.problems if p.failure
        ],
        "at_least": shares([v.full.severity for v in verdicts]),
        "metadata_at_least": shares([v.metadata.severity for v in verdicts]),
        "checks_at_medium": checks_at(v.full for v in verdicts),
        "metadata_checks_at_medium": checks_at(v.metadata for v in verdicts),
        "file_seconds_per_release": {
            "median": statistics.median(seconds_each) if seconds_each else 0.0,
            "p90": quantile(seconds_each, 0.9),
            "max": seconds_each[-1] if seconds_each else 0.0,
            "total": sum(seconds_each),
        },
        "wall_seconds": seconds,
        "flagged": [flagged_row(v) for v in verdicts if v.full.severity >= FLAG],
    }


def shares(severities: Sequence[Severity]) -> dict[str, dict[str, float]]:
    """Count and share of releases at each severity or above."""
    counts = {level: sum(s >= level for s in severities) for level in LEVELS}
    total = len(severities) or 1
    return {level.label: {"count": n, "share": n / total} for level, n in counts.items()}


def checks_at(assessments: Iterable[Assessment]) -> dict[str, int]:
    """Per check, the releases where it fires at medium or above."""
    counts: Counter[str] = Counter()
    for a in assessments:
        counts.update({f.check_id for f in a.findings if f.severity >= FLAG})
    return dict(counts.most_common())


def quantile(values: Sequence[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def raised_by(verdict: Assessment) -> str:
    """The checks that put a release at medium or above: those at medium+ themselves, else
    the low ones that combine() added up."""
    strong = sorted({f.check_id for f in verdict.findings if f.severity >= FLAG})
    if strong:
        return " + ".join(strong)
    return "combined: " + " + ".join(
        sorted({f.check_id for f in verdict.findings if f.severity >= Severity.LOW})
    )


def flagged_row(v: Verdicts) -> dict[str, Any]:
    return {
        "project": v.release.project,
        "version": v.release.version,
        "severity": v.full.severity.label,
        "score": v.full.score,
        "metadata_severity": v.metadata.severity.label,
        "raised_by": raised_by(v.full),
        "reasons": list(v.full.reasons),
        "findings": [finding_row(f) for f in v.full.findings if f.severity >= Severity.LOW],
    }


def finding_row(f: Finding) -> dict[str, Any]:
    ev = f.evidence
    where = ":".join(str(ev[k]) for k in ("filename", "path", "line") if ev.get(k) is not None)
    return {
        "check": f.check_id,
        "severity": f.severity.label,
        "reach": ev.get("reach"),
        "summary": f.summary,
        "where": where or None,
    }


def problem_row(v: Verdicts, result: FileResult, error: str | None) -> dict[str, Any]:
    return {
        "project": v.release.project,
        "version": v.release.version,
        "filename": result.filename,
        "error": error,
    }


# ---------------------------------------------------------------- command line


def render(section: Mapping[str, Any]) -> str:
    """A table of shares, full verdict beside metadata alone, then each flagged release."""
    return "\n".join([*render_table(section), *render_flagged(section)])


def render_table(section: Mapping[str, Any]) -> list[str]:
    seconds = section["file_seconds_per_release"]
    lines = [
        f"{section['set']}: {section['releases']} releases, {section['files']} files read "
        f"({section['files_too_large']} over the cap, {section['files_left_out']} left out), "
        f"{len(section['crashes'])} crashes, {len(section['reader_failures'])} reader failures; "
        f"files {seconds['median'] * 1e3:.0f} ms a release (median), p90 {seconds['p90'] * 1e3:.0f} ms",
        f"{'at least':10} {'full':>14} {'metadata only':>16}",
    ]
    for level in LEVELS:
        full, meta = section["at_least"][level.label], section["metadata_at_least"][level.label]
        lines.append(
            f"{level.label:10} {full['count']:5} {full['share']:7.2%} "
            f"{meta['count']:7} {meta['share']:7.2%}"
        )
    for key in ("checks_at_medium", "metadata_checks_at_medium"):
        lines.append(f"{key}: " + ", ".join(f"{c} {n}" for c, n in section[key].items()))
    return lines


def render_flagged(section: Mapping[str, Any]) -> list[str]:
    lines = []
    for row in section["flagged"]:
        lines.append(
            f"\n{row['project']} {row['version']}: {row['severity']} ({row['score']}), "
            f"metadata alone {row['metadata_severity']}; by {row['raised_by']}"
        )
        lines += [
            f"  - [{f['check']} {f['severity']}{' at ' + f['reach'] if f['reach'] else ''}] "
            f"{f['summary']}"
            for f in row["findings"]
        ]
    for kind in ("crashes", "reader_failures"):
        lines += [f"{kind}: {c['project']} {c['filename']}: {c['error']}" for c in section[kind]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, required=True)
    parser.add_argument("--cache", type=Path, default=REALWORLD_CACHE)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the section as JSON")
    args = parser.parse_args(argv)
    section = benign_section(args.set, args.cache.resolve(), args.processes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"realworld-benign-{args.set}.json").write_text(json.dumps(section, indent=1))
    print(json.dumps(section, indent=1) if args.json else render(section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
