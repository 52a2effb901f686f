"""Distribution-file analysis (read_archive + check_code through analysis.inspect.inspect_file):
speed, memory, false positives on real benign packages, recall on malicious-shaped samples.

    .venv/bin/python -m bench.artifact_corpus --fetch-sdists 300   # once: real sdists from PyPI
    .venv/bin/python -m bench.artifact_corpus --fetch-random 600   # once: a random sample of PyPI
    .venv/bin/python -m bench.artifacts [--corpus top|random|all] [--limit N]
                                        [--only wheels|sdists] [--processes N] [--no-installed]
                                        [--no-metadata] [--show N] [--json]

Two corpora (bench/artifact_corpus.py). `top` (the default): the wheels of the local index in
/opt/pypi*/files, pip's cache, /usr/share/python-wheels, the sdists of top projects fetched into
bench/.cache/sdists, and wheels zipped in memory from this venv's installed distributions; a
package is one project's files (all its versions here). `random`: the newest release (its sdist
and one wheel) of projects sampled at random from live PyPI into bench/.cache/random, which is
what a monitor sees in a typical upload; a package is that release. `all` runs both.
The files are read into memory first and each file's release metadata taken from its own
METADATA/PKG-INFO (what the JSON API would serve), outside the timing. Then every file goes
through inspect_file once, one process pinned to one core; each call is timed alone.

Figures: files/s and MB/s (compressed); packages/s per core for a typical package: the median
release of the random sample when it ran (summed inspect_file seconds of its files), with p90/p99
ms, the size per package, and the throughput over the whole sample (its packages over all their
seconds, which the heavy tail of big releases dominates); and over the median-size band of the
top projects;
p50/p95/max ms per file and the slowest files, peak memory (ru_maxrss over the resident corpus;
tracemalloc peak on the largest files), the false-positive rate (benign packages with any finding
at medium or above; every offender is listed with its evidence; the random sample's rate on its
own, a second benign set), per-check hits on the benign corpus, and recall on bench/samples.py.
Targets: >= 200 typical packages/s per core (a day's uploads on one core with room to spare);
FP <= 0.5 % of packages at medium+ (a reviewer can read every flag of a day).
`--processes N` repeats the timing with a pool of N forked workers to show scaling. Results are
written to bench/results/artifacts.json; `--json` prints them on stdout instead of the text.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psutil

from analysis.archive import read_archive
from analysis.artifact import ArtifactRef
from analysis.inspect import inspect_file
from analysis.model import Finding, ReleaseMetadata, Severity
from bench.artifact_corpus import CorpusFile, load_files, release_metadata
from bench.artifacts_report import render_report
from bench.common import REPO
from bench.random_corpus import RANDOM_SOURCE, load_random, read_manifest
from bench.samples import Sample, build_samples

RESULTS = REPO / "bench" / "results" / "artifacts.json"
FLAG = Severity.MEDIUM  # a benign package with a finding at this or above is a false positive
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """One file through inspect_file: its time and what came out."""

    file: CorpusFile
    seconds: float
    findings: tuple[Finding, ...]
    members: int
    unpacked: int
    complete: bool
    error: str | None
    crashed: bool = False


# ---------------------------------------------------------------- running


def inspect(file: CorpusFile, metadata: ReleaseMetadata | None) -> Outcome:
    ref = ArtifactRef(file.project, file.version, file.filename)
    began = time.perf_counter()
    try:
        result = inspect_file(ref, file.data, metadata)
    except Exception as exc:  # noqa: BLE001 - a crash is a result to report, not a reason to stop
        seconds = time.perf_counter() - began
        return Outcome(file, seconds, (), 0, 0, False, f"crashed: {exc!r}"[:300], crashed=True)
    seconds = time.perf_counter() - began
    return Outcome(
        file,
        seconds,
        result.findings,
        result.members,
        result.unpacked,
        result.complete,
        result.error,
    )


def run_all(
    files: Sequence[CorpusFile],
    metas: dict[tuple[str, str], ReleaseMetadata],
    progress: Callable[[int, float], None],
) -> tuple[list[Outcome], float]:
    outcomes = []
    began = time.perf_counter()
    for i, file in enumerate(files):
        outcomes.append(inspect(file, metas.get((file.project, file.version))))
        progress(i + 1, time.perf_counter() - began)
    return outcomes, time.perf_counter() - began


def progress_line(total: int) -> Callable[[int, float], None]:
    if not sys.stderr.isatty():
        return lambda done, elapsed: None

    def show(done: int, elapsed: float) -> None:
        if done % 20 == 0 or done == total:
            end = "\n" if done == total else ""
            print(
                f"\r  {done}/{total} files, {done / elapsed:,.0f} files/s", end=end, file=sys.stderr
            )

    return show


_POOL_FILES: Sequence[CorpusFile] = ()
_POOL_METAS: dict[tuple[str, str], ReleaseMetadata] = {}


def _pool_inspect(index: int) -> float:
    file = _POOL_FILES[index]
    return inspect(file, _POOL_METAS.get((file.project, file.version))).seconds


def run_pool(
    files: Sequence[CorpusFile], metas: dict[tuple[str, str], ReleaseMetadata], processes: int
) -> float:
    """Wall time for all files over `processes` forked workers (the corpus is shared by fork);
    largest files first so one giant does not finish alone at the end."""
    global _POOL_FILES, _POOL_METAS
    _POOL_FILES, _POOL_METAS = files, metas
    order = sorted(range(len(files)), key=lambda i: -len(files[i].data))
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for _ in pool.imap_unordered(_pool_inspect, order, chunksize=1):
            pass
    return time.perf_counter() - began


def _alone(path: str, ref: ArtifactRef, metadata: ReleaseMetadata | None) -> tuple[int, int]:
    """In a fresh process: resident bytes with the file read, and the peak after inspecting it."""
    with open(path, "rb") as handle:
        data = handle.read()
    _reset_high_water()  # reading the file may have peaked above what it keeps resident
    before = psutil.Process().memory_info().rss
    inspect_file(ref, data, metadata)
    return before, _high_water()


def _reset_high_water() -> None:
    """Start VmHWM afresh from the current RSS (Linux: writing 5 to clear_refs)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _high_water() -> int:
    """This process's peak RSS. ru_maxrss survives exec on Linux, so a spawned child would report
    its parent's (the resident corpus); VmHWM belongs to the address space and starts afresh."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_alone(file: CorpusFile, metadata: ReleaseMetadata | None) -> int:
    """Peak RSS growth of inspecting one file in a fresh (spawned) interpreter: what tracemalloc
    misses (zlib's and the allocator's own memory) and what the resident corpus hides."""
    with tempfile.NamedTemporaryFile(suffix="-" + file.filename) as tmp:
        tmp.write(file.data)
        tmp.flush()
        ref = ArtifactRef(file.project, file.version, file.filename)
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            before, peak = pool.apply(_alone, (tmp.name, ref, metadata))
    return max(peak - before, 0)


def reading_seconds(files: Sequence[CorpusFile]) -> float:
    """read_archive alone over every file: how much of the analysis is reading the archive."""
    began = time.perf_counter()
    for file in files:
        read_archive(file.filename, file.data)
    return time.perf_counter() - began


def peak_traced(file: CorpusFile, metadata: ReleaseMetadata | None) -> int:
    """tracemalloc's peak while inspecting one file (Python allocations, zlib's buffers included
    only as far as they are Python objects)."""
    gc.collect()
    tracemalloc.start()
    try:
        inspect(file, metadata)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------- figures


def quantile(ordered: Sequence[float], q: float) -> float:
    """The value at fraction q of an ascending sequence (nearest rank below)."""
    return ordered[int(q * (len(ordered) - 1))]


def by_package(
    outcomes: Sequence[Outcome],
) -> tuple[dict[str, list[Outcome]], dict[str, float], dict[str, int]]:
    """Each package's outcomes, its summed seconds and its compressed bytes."""
    per_package: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        per_package[o.file.project].append(o)
    seconds = {p: sum(o.seconds for o in group) for p, group in per_package.items()}
    sizes = {p: sum(len(o.file.data) for o in group) for p, group in per_package.items()}
    return per_package, seconds, sizes


def speed(outcomes: Sequence[Outcome], elapsed: float) -> dict[str, Any]:
    """Figures over every file of the run; the typical package's band over the top projects
    (every file when only the random sample ran)."""
    times = sorted(o.seconds for o in outcomes)
    compressed = sum(len(o.file.data) for o in outcomes)
    per_package, seconds, _ = by_package(outcomes)
    package_seconds = list(seconds.values())
    tops = [o for o in outcomes if o.file.source != RANDOM_SOURCE]
    randoms = [o for o in outcomes if o.file.source == RANDOM_SOURCE]
    band = band_figures(tops or randoms) | {"sample": "top" if tops else "random"}
    sample = random_figures(randoms) if randoms else None
    slowest = sorted(outcomes, key=lambda o: -o.seconds)[:10]
    return {
        "files": len(outcomes),
        "packages": len(per_package),
        "compressed_mb": compressed / 1e6,
        "unpacked_mb": sum(o.unpacked for o in outcomes) / 1e6,
        "members": sum(o.members for o in outcomes),
        "seconds": elapsed,
        "files_per_second": len(outcomes) / elapsed,
        "mb_per_second": compressed / 1e6 / elapsed,
        "packages_per_second_overall": len(per_package) / elapsed,
        "median_package_ms": statistics.median(package_seconds) * 1e3,
        "packages_per_second_median": 1 / statistics.median(package_seconds),
        "typical_package": band,
        "random_sample": sample,
        "typical": headline(band, sample),
        "file_ms": {
            "p50": statistics.median(times) * 1e3,
            "p95": quantile(times, 0.95) * 1e3,
            "max": times[-1] * 1e3,
        },
        "slowest": [
            {
                "filename": o.file.filename,
                "ms": o.seconds * 1e3,
                "mb": len(o.file.data) / 1e6,
                "members": o.members,
                "unpacked_mb": o.unpacked / 1e6,
                "complete": o.complete,
            }
            for o in slowest
        ],
        "incomplete": [
            {"filename": o.file.filename, "error": o.error or ""}
            for o in outcomes
            if not o.complete
        ],
        "crashed": [{"filename": o.file.filename, "error": o.error} for o in outcomes if o.crashed],
    }


def band_figures(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The median-size project and the median-size band (45th-55th percentile of package size):
    one package's single timing is noisy, ten percent of the corpus is not."""
    per_package, package_seconds, package_bytes = by_package(outcomes)
    by_size = sorted(package_bytes, key=lambda p: package_bytes[p])
    typical = by_size[len(by_size) // 2]
    band = by_size[int(0.45 * len(by_size)) : int(0.55 * len(by_size)) + 1]
    band_seconds = sum(package_seconds[p] for p in band)
    return {
        "project": typical,
        "files": len(per_package[typical]),
        "compressed_kb": package_bytes[typical] / 1e3,
        "ms": package_seconds[typical] * 1e3,
        "packages_per_second": 1 / package_seconds[typical],
        "band_packages": len(band),
        "band_kb": [package_bytes[band[0]] / 1e3, package_bytes[band[-1]] / 1e3],
        "band_packages_per_second": len(band) / band_seconds,
        "band_median_ms": statistics.median(package_seconds[p] for p in band) * 1e3,
    }


def random_figures(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The random sample, where a package is one release as uploaded: packages over the summed
    inspect_file seconds of all their files, and the spread of time and size per package."""
    per_package, seconds, sizes = by_package(outcomes)
    ms = sorted(v * 1e3 for v in seconds.values())
    kb = sorted(v / 1e3 for v in sizes.values())
    total = sum(seconds.values())
    return {
        "packages": len(per_package),
        "files": len(outcomes),
        "wheels": sum(o.file.kind == "wheel" for o in outcomes),
        "sdists": sum(o.file.kind == "sdist" for o in outcomes),
        "seconds": total,
        "packages_per_second": len(per_package) / total,
        "package_ms": {
            "median": statistics.median(ms),
            "p90": quantile(ms, 0.9),
            "p99": quantile(ms, 0.99),
            "max": ms[-1],
        },
        "package_kb": {
            "median": statistics.median(kb),
            "p90": quantile(kb, 0.9),
            "p99": quantile(kb, 0.99),
            "max": kb[-1],
        },
        "slowest": [
            {
                "project": p,
                "ms": seconds[p] * 1e3,
                "kb": sizes[p] / 1e3,
                "files": [o.file.filename for o in per_package[p]],
            }
            for p in sorted(seconds, key=lambda p: -seconds[p])[:5]
        ],
    }


def headline(band: dict[str, Any], sample: dict[str, Any] | None) -> dict[str, Any]:
    """The typical package against the goal: the median release of the random sample when it
    ran (the band of top projects otherwise), with the throughput over the whole sample beside
    it, which a heavy tail of big releases pulls far below the typical one."""
    if sample is not None:
        median = sample["package_ms"]["median"]
        return {
            "sample": "random",
            "packages": sample["packages"],
            "median_ms": median,
            "packages_per_second": 1e3 / median,
            "throughput_packages_per_second": sample["packages_per_second"],
        }
    return {
        "sample": band["sample"],
        "packages": band["band_packages"],
        "packages_per_second": band["band_packages_per_second"],
        "median_ms": band["band_median_ms"],
    }


def false_positives(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    packages = {o.file.project for o in outcomes}
    offenders = [
        {
            "project": o.file.project,
            "filename": o.file.filename,
            "check": f.check_id,
            "severity": f.severity.label,
            "path": f.evidence.get("path", ""),
            "line": f.evidence.get("line"),
            "snippet": str(f.evidence.get("snippet", ""))[:200],
            "summary": f.summary,
        }
        for o in outcomes
        for f in o.findings
        if f.severity >= FLAG
    ]
    flagged = sorted({row["project"] for row in offenders})
    hits: Counter[tuple[str, str]] = Counter()
    hit_packages: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in outcomes:
        for f in o.findings:
            hits[(f.check_id, f.severity.label)] += 1
            hit_packages[(f.check_id, f.severity.label)].add(o.file.project)
    return {
        "packages": len(packages),
        "flagged_packages": flagged,
        "rate": len(flagged) / len(packages) if packages else 0.0,
        "offenders": offenders,
        "checks": [
            {
                "check": check,
                "severity": sev,
                "findings": n,
                "packages": len(hit_packages[(check, sev)]),
            }
            for (check, sev), n in hits.most_common()
        ],
    }


def recall(samples: Sequence[Sample]) -> dict[str, Any]:
    """A sample is caught when one of its expected checks fires at its severity or above; a
    control passes when nothing reaches medium."""
    rows = []
    for s in samples:
        findings = inspect_file(s.ref, s.data, s.metadata).findings
        top = max((f.severity for f in findings), default=Severity.INFO)
        apt = [f for f in findings if f.check_id in s.expects]
        reached = max((f.severity for f in apt), default=Severity.INFO)
        ok = top < FLAG if s.control else bool(apt) and reached >= s.severity
        rows.append(
            {
                "sample": s.key,
                "filename": s.filename,
                "shape": s.shape,
                "control": s.control,
                "ok": ok,
                "detected": top >= (FLAG if s.control else s.severity),
                "expects": list(s.expects),
                "min_severity": s.severity.label,
                "reached": reached.label if apt else None,
                "top_severity": top.label,
                "found": sorted({f"{f.check_id}:{f.severity.label}" for f in findings}),
            }
        )
    malicious = [r for r in rows if not r["control"]]
    controls = [r for r in rows if r["control"]]
    return {
        "samples": len(malicious),
        "caught": sum(bool(r["ok"]) for r in malicious),
        "detected_any": sum(bool(r["detected"]) for r in malicious),
        "controls": len(controls),
        "controls_clean": sum(bool(r["ok"]) for r in controls),
        "rows": rows,
    }


def load_corpus(
    corpus: str, only: str | None, installed: bool, limit: int | None
) -> list[CorpusFile]:
    """The files of `corpus`; in `all`, a file of the random sample is not loaded twice."""
    randoms = load_random(only=only, limit=limit) if corpus in ("random", "all") else []
    if corpus == "random":
        return randoms
    tops = load_files(only, installed=installed, limit=limit)
    seen = {f.filename for f in randoms}
    return randoms + [f for f in tops if f.filename not in seen]


def random_summary() -> dict[str, Any]:
    """How the random sample came to be: sampled, fetched, and why the rest was skipped."""
    fetched, skipped = read_manifest()
    return {
        "sampled": len(fetched) + len(skipped),
        "fetched": len(fetched),
        "skipped": dict(Counter(s.reason.split(":")[0] for s in skipped).most_common()),
        "files_over_cap": sum(len(f.dropped) for f in fetched),
    }


def corpus_summary(files: Sequence[CorpusFile], load_seconds: float) -> dict[str, Any]:
    sources: dict[str, dict[str, float]] = {}
    for f in files:
        row = sources.setdefault(f.source, {"files": 0, "mb": 0.0})
        row["files"] += 1
        row["mb"] += len(f.data) / 1e6
    return {
        "files": len(files),
        "wheels": sum(f.kind == "wheel" for f in files),
        "sdists": sum(f.kind == "sdist" for f in files),
        "packages": len({f.project for f in files}),
        "compressed_mb": sum(len(f.data) for f in files) / 1e6,
        "load_seconds": load_seconds,
        "sources": sources,
    }


def measure(
    files: Sequence[CorpusFile], metas: dict[tuple[str, str], ReleaseMetadata]
) -> dict[str, Any]:
    """The single-process timing on one core, then memory and false positives."""
    for file in sorted(files, key=lambda f: len(f.data))[:5]:  # warm caches outside the timing
        inspect(file, metas.get((file.project, file.version)))
    rss_loaded = psutil.Process().memory_info().rss
    everyone = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if everyone:
        os.sched_setaffinity(0, {min(everyone)})
    try:
        outcomes, elapsed = run_all(files, metas, progress_line(len(files)))
        randoms = [o for o in outcomes if o.file.source == RANDOM_SOURCE]
        reading = reading_seconds(files)
    finally:
        if everyone:
            os.sched_setaffinity(0, everyone)
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    biggest = max(files, key=lambda f: len(f.data))
    widest = max(outcomes, key=lambda o: o.unpacked).file
    traced = [
        {
            "filename": f.filename,
            "mb": len(f.data) / 1e6,
            "why": why,
            "peak_mb": peak_traced(f, metas.get((f.project, f.version))) / 1e6,
            "rss_alone_mb": peak_alone(f, metas.get((f.project, f.version))) / 1e6,
        }
        for f, why in ((biggest, "largest file"), (widest, "most unpacked"))
    ]
    return {
        "speed": speed(outcomes, elapsed) | {"reading_seconds": reading},
        "memory": {
            "rss_loaded_mb": rss_loaded / 1e6,
            "ru_maxrss_mb": ru_maxrss / 1e6,
            "traced": traced,
        },
        "false_positives": false_positives(outcomes),
        "false_positives_random": false_positives(randoms) if randoms else None,
    }


def scaling(
    files: Sequence[CorpusFile], metas: dict[tuple[str, str], ReleaseMetadata], processes: int
) -> list[dict[str, float]]:
    megabytes = sum(len(f.data) for f in files) / 1e6
    rows = []
    for n in sorted({1, processes}):
        wall = run_pool(files, metas, n)
        rows.append(
            {
                "processes": n,
                "seconds": wall,
                "files_per_second": len(files) / wall,
                "mb_per_second": megabytes / wall,
            }
        )
    for row in rows:
        row["speedup"] = rows[0]["seconds"] / row["seconds"]
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        choices=["top", "random", "all"],
        default="top",
        help="top projects (default), the random sample of PyPI, or both",
    )
    parser.add_argument(
        "--limit",
        type=int,
        help="a seeded sample: at most N files of the top corpus, N packages of the random",
    )
    parser.add_argument("--only", choices=["wheels", "sdists"])
    parser.add_argument("--processes", type=int, default=0, help="also time a pool of N workers")
    parser.add_argument(
        "--no-installed", action="store_true", help="skip wheels rebuilt from site-packages"
    )
    parser.add_argument("--no-metadata", action="store_true", help="pass no release metadata")
    parser.add_argument("--samples-only", action="store_true", help="recall only, no corpus")
    parser.add_argument("--show", type=int, default=60, help="offenders to print")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result: dict[str, Any] = {"schema": SCHEMA}
    if not args.samples_only:
        began = time.perf_counter()
        files = load_corpus(args.corpus, args.only, not args.no_installed, args.limit)
        if not files:
            print(
                f"no files in the {args.corpus} corpus (see bench.artifact_corpus --help)",
                file=sys.stderr,
            )
            return 2
        metas = {} if args.no_metadata else release_metadata(files)
        result["corpus"] = corpus_summary(files, time.perf_counter() - began) | {
            "mode": args.corpus,
            "random": random_summary() if args.corpus != "top" else None,
        }
        result |= measure(files, metas)
        if args.processes:
            result["scaling"] = scaling(files, metas, args.processes)
    result["recall"] = recall(build_samples())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        render_report(result, args.show, RESULTS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
