"""Three benign sets of real PyPI releases (random, new, top) fetched into a resumable cache, so
bench/realworld.py can give each the product's full verdict offline.

    .venv/bin/python -m bench.realworld_corpus --set random|new|top|all [--count N] [--cache DIR]
    .venv/bin/python -m bench.realworld_corpus --set random|new|top|all --lookups-only

Per project, <cache>/<set>/<project>/ holds project.json (the JSON API page as served),
simple.json (the Simple API page, PEP 691 JSON) and the latest release's files; <set>/manifest.json
says how the sample was drawn, when each page was fetched (the verdict's "now") and what was
skipped or left out, and why (bench/realworld_new.py draws the `new` set). The projects the
collector would look up on the way are fetched too: <cache>/targets/ holds the JSON pages of the
popular projects a name imitates, <cache>/dependencies/ those of dependencies whose names imitate
one. --lookups-only redoes just those for a set already fetched (after the name rules change). `random` and `new` keep every file of the release, `top` its sdist
and one wheel. Plain HTTP with urllib, every file checked against its sha256; nothing downloaded
is ever built, installed, imported or run: the verdict reads the files as bytes.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis import NameIndex, build_index, match_name
from analysis.metadata import imitating_dependencies
from bench.artifact_corpus import JSON_API, SDIST_SUFFIXES, SIMPLE, SIMPLE_JSON, download
from bench.common import REPO, shipped_corpus, top_names
from bench.random_corpus import (
    RANDOM_SEED,
    ReleaseFile,
    Skipped,
    choose_files,
    parse_release_files,
    random_projects,
    wheel_rank,
)

REALWORLD_CACHE = REPO / "bench" / ".cache" / "realworld"
SETS = ("random", "new", "top")
DEFAULT_COUNTS = {"random": 2000, "new": 1000, "top": 300}
FILE_CAP = 50 * 1000**2  # the collector's max_file_size: a bigger file is archive.too-large
RELEASE_CAP = 300 * 1000**2  # a bench limit only: the product would read the rest too
MANIFEST = "manifest.json"
TARGETS = "targets"
DEPENDENCIES = "dependencies"
SCHEMA = 1
NORMALIZED = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")  # safe as a folder name
_FILE_LISTS = ("files", "too_large", "left_out")


@dataclass(frozen=True, slots=True)
class Release:
    """A project whose latest release is in the cache."""

    project: str
    version: str
    fetched_at: str  # UTC ISO time project.json was fetched: the verdict's "now"
    files: tuple[ReleaseFile, ...]  # in the folder
    too_large: tuple[ReleaseFile, ...] = ()  # over FILE_CAP: the product's archive.too-large
    left_out: tuple[ReleaseFile, ...] = ()  # past RELEASE_CAP: the bench's limit, not a finding
    not_chosen: int = 0  # top: the release's other files (one wheel is read, not all)
    simple: bool = True  # False when the Simple API answered 404 (the product goes on without)
    first_upload: str | None = None  # new: the project's first upload, why it qualified
    targets: tuple[str, ...] = ()  # popular projects the name imitates
    dependencies: tuple[str, ...] = ()  # its dependencies whose names imitate a popular project


# ---------------------------------------------------------------- HTTP and files


def fetch_bytes(url: str, accept: str = "application/json") -> bytes | None:
    """A page's body as served, None on 404; other HTTP errors raise."""
    headers = {"Accept": accept, "User-Agent": "pypi-sentinel-bench"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
            return r.read()  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def write_atomic(path: Path, data: bytes) -> None:
    # a killed fetch leaves a .part, never a file that looks whole
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.rename(path)


def utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def cached_page(folder: Path, url: str) -> tuple[bytes, str] | None:
    """project.json and when it was fetched (the file's mtime), fetched now if not cached."""
    path = folder / "project.json"
    if not path.exists():
        data = fetch_bytes(url)
        if data is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return path.read_bytes(), utc_iso(mtime)


# ---------------------------------------------------------------- one release


def select_files(
    files: Sequence[ReleaseFile], every_file: bool
) -> tuple[list[ReleaseFile], list[ReleaseFile], list[ReleaseFile], int]:
    """(to fetch, over the file cap, past the release cap, not chosen): the sdist first, then
    wheels best-ranked first, so the release cap drops the least typical files."""
    chosen = list(files) if every_file else choose_files(files)
    order = sorted(chosen, key=lambda f: (f.packagetype != "sdist", wheel_rank(f.filename)))
    fetch, too_large, left_out, total = [], [], [], 0
    for f in order:
        if f.size > FILE_CAP:
            too_large.append(f)
        elif total + f.size > RELEASE_CAP:
            left_out.append(f)
        else:
            fetch.append(f)
            total += f.size
    return fetch, too_large, left_out, len(files) - len(chosen)


def fetch_simple(folder: Path, project: str) -> bool:
    """simple.json as served; False when PyPI answers 404 there."""
    path = folder / "simple.json"
    if path.exists():
        return True
    data = fetch_bytes(SIMPLE.format(project), SIMPLE_JSON)
    if data is None:
        return False
    json.loads(data)  # this PyPI serves project pages as JSON: anything else is an error
    write_atomic(path, data)
    return True


def download_files(folder: Path, files: Iterable[ReleaseFile]) -> list[ReleaseFile]:
    """Fetch what is missing; the files that turned out over the cap (a size PyPI did not
    list) are returned, any other problem raises."""
    over = []
    for f in files:
        target = folder / f.filename
        problem = None if target.exists() else download(f.url, f.sha256, target, FILE_CAP)
        if problem is not None and problem.startswith("over"):
            over.append(f)
        elif problem is not None:
            raise ValueError(f"{f.filename}: {problem}")
    return over


def fetch_release(project: str, folder: Path, every_file: bool) -> Release | Skipped:
    """One project's latest release into `folder`; what is already there is kept."""
    url = JSON_API.format(project)
    if not NORMALIZED.match(project):
        return Skipped(project, "not a normalized name")
    try:
        cached = cached_page(folder, url)
        if cached is None:
            return Skipped(project, "404")
        data, fetched_at = cached
        page = json.loads(data)
        version = str((page.get("info") or {}).get("version") or "")
        files = parse_release_files(page, url)
        if not version or not page.get("releases"):
            return Skipped(project, "no release")
        fetch, too_large, left_out, not_chosen = select_files(files, every_file)
        if not fetch and not too_large:
            return Skipped(project, "no files" if not files else "no sdist or wheel")
        simple = fetch_simple(folder, project)
        over = download_files(folder, fetch)
        got = tuple(f for f in fetch if f not in over)
        return Release(
            project,
            version,
            fetched_at,
            got,
            (*too_large, *over),
            tuple(left_out),
            not_chosen,
            simple,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return Skipped(project, f"error: {exc!r}"[:200])


# ---------------------------------------------------------------- manifests


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def write_manifest(folder: Path, body: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / MANIFEST, json.dumps(body, indent=1).encode())


def release_from_json(row: dict[str, Any]) -> Release:
    lists = {k: tuple(ReleaseFile(**f) for f in row.get(k, ())) for k in _FILE_LISTS}
    names = {k: tuple(row.get(k, ())) for k in ("targets", "dependencies")}
    return Release(**(row | lists | names))


def load_set(cache: Path, set_name: str) -> tuple[dict[str, Any], list[Release]]:
    """A fetched set's manifest and its releases, in sample order."""
    manifest = read_manifest(cache / set_name)
    if not manifest:
        raise SystemExit(
            f"no {set_name} set in {cache}: run bench.realworld_corpus --set {set_name}"
        )
    return manifest, [release_from_json(row) for row in manifest["releases"]]


def earlier_outcomes(set_dir: Path) -> dict[str, Release | Skipped]:
    """What the last run settled: releases whose files are all still there, and skips for a
    reason that does not pass (errors are tried again)."""
    manifest = read_manifest(set_dir)
    done: dict[str, Release | Skipped] = {}
    for row in manifest.get("releases", ()):
        release = release_from_json(row)
        if all((set_dir / release.project / f.filename).exists() for f in release.files):
            done[release.project] = release
    for row in manifest.get("skipped", ()):
        if not row["reason"].startswith("error"):
            done[row["project"]] = Skipped(**row)
    return done


# ---------------------------------------------------------------- a set


def fetch_all(
    projects: Sequence[str], set_dir: Path, every_file: bool, threads: int
) -> dict[str, Release | Skipped]:
    """Every project's latest release, `threads` at a time; earlier outcomes are kept."""
    done = earlier_outcomes(set_dir)
    outcomes = {p: done[p] for p in projects if p in done}
    todo = [p for p in projects if p not in done]
    print(
        f"{set_dir.name}: {len(outcomes)} of {len(projects)} settled before; fetching {len(todo)}",
        file=sys.stderr,
    )
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(fetch_release, p, set_dir / p, every_file) for p in todo]
        for i, future in enumerate(as_completed(futures), 1):
            o = future.result()
            outcomes[o.project] = o
            print(f"  {set_dir.name} {i}/{len(todo)} {o.project} {describe(o)}", file=sys.stderr)
    return outcomes


def describe(o: Release | Skipped) -> str:
    if isinstance(o, Skipped):
        return o.reason
    mb = sum(f.size for f in o.files) / 1e6
    return f"{o.version}: {len(o.files)} file(s), {mb:.1f} MB"


@functools.cache
def name_index() -> NameIndex:
    return build_index(shipped_corpus())


def with_targets(
    cache: Path, rows: Sequence[Release | Skipped], threads: int
) -> tuple[list[Release | Skipped], dict[str, str]]:
    """Each release with the popular projects its name imitates, their JSON pages fetched: the
    copied-metadata checks compare a release with its target's metadata."""
    named = [
        replace(o, targets=tuple(sorted({m.target for m in match_name(o.project, name_index())})))
        if isinstance(o, Release)
        else o
        for o in rows
    ]
    wanted = sorted({t for o in named if isinstance(o, Release) for t in o.targets})
    return named, fetch_pages(cache / TARGETS, wanted, threads)


def with_dependencies(
    cache: Path, set_dir: Path, rows: Sequence[Release | Skipped], threads: int
) -> tuple[list[Release | Skipped], dict[str, str]]:
    """Each release with its look-alike dependencies, their JSON pages fetched: how old and
    active such a dependency is tells a namesake from a fresh squat (EngineAnalyzer looks the
    same pages up)."""
    named = [
        replace(o, dependencies=lookalike_dependencies(set_dir / o.project))
        if isinstance(o, Release)
        else o
        for o in rows
    ]
    wanted = sorted({d for o in named if isinstance(o, Release) for d in o.dependencies})
    return named, fetch_pages(cache / DEPENDENCIES, wanted, threads)


def lookalike_dependencies(folder: Path) -> tuple[str, ...]:
    info = json.loads((folder / "project.json").read_bytes()).get("info") or {}
    return tuple(sorted(imitating_dependencies(info.get("requires_dist") or (), name_index())))


def fetch_pages(folder: Path, names: Sequence[str], threads: int) -> dict[str, str]:
    """Each project's JSON page into folder/<name>.json; name -> ok, 404 or error: ..."""
    folder.mkdir(parents=True, exist_ok=True)

    def one(name: str) -> str:
        path = folder / f"{name}.json"
        if path.exists():
            return "ok"
        try:
            data = fetch_bytes(JSON_API.format(name))
        except (OSError, ValueError) as exc:
            return f"error: {exc!r}"[:200]
        if data is None:
            return "404"
        write_atomic(path, data)
        return "ok"

    with ThreadPoolExecutor(threads) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))


def run_set(
    cache: Path,
    set_name: str,
    projects: Sequence[str],
    every_file: bool,
    threads: int,
    drawn: dict[str, Any],
) -> None:
    """Fetch one set and write its manifest: how it was drawn, when, what came and what not."""
    set_dir = cache / set_name
    began = time.perf_counter()
    first_run = read_manifest(set_dir).get("fetched_at") or utc_iso(datetime.now(UTC))
    outcomes = fetch_all(projects, set_dir, every_file, threads)
    firsts = drawn.pop("first_uploads", {})
    rows = [_first(outcomes[p], firsts.get(p)) for p in projects]
    rows, targets = with_targets(cache, rows, threads)
    rows, dependencies = with_dependencies(cache, set_dir, rows, threads)
    seconds = time.perf_counter() - began
    write_manifest(
        set_dir,
        {
            "schema": SCHEMA,
            "set": set_name,
            **drawn,
            "requested": len(projects),
            "fetched_at": first_run,
            "updated_at": utc_iso(datetime.now(UTC)),
            "last_run_seconds": seconds,
            "file_cap": FILE_CAP,
            "release_cap": RELEASE_CAP,
            "releases": [asdict(o) for o in rows if isinstance(o, Release)],
            "skipped": [asdict(o) for o in rows if isinstance(o, Skipped)],
            "targets": targets,
            "dependencies": dependencies,
        },
    )
    print(render_summary(set_dir, rows, targets | dependencies, seconds))


def refresh_lookups(cache: Path, set_name: str, threads: int) -> None:
    """Redo the target and dependency lookups of a fetched set; its releases stay as they are."""
    set_dir = cache / set_name
    manifest, releases = load_set(cache, set_name)
    rows, targets = with_targets(cache, releases, threads)
    rows, dependencies = with_dependencies(cache, set_dir, rows, threads)
    releases_now = [asdict(o) for o in rows if isinstance(o, Release)]
    write_manifest(
        set_dir,
        manifest | {"releases": releases_now, "targets": targets, "dependencies": dependencies},
    )
    states = Counter(s.split(":")[0] for s in (targets | dependencies).values())
    print(f"{set_name}: {len(targets)} targets, {len(dependencies)} dependencies: {dict(states)}")


def _first(o: Release | Skipped, first_upload: str | None) -> Release | Skipped:
    return replace(o, first_upload=first_upload) if isinstance(o, Release) else o


def render_summary(
    set_dir: Path, rows: Sequence[Release | Skipped], lookups: dict[str, str], seconds: float
) -> str:
    got = [o for o in rows if isinstance(o, Release)]
    files = [f for o in got for f in o.files]
    kinds = Counter(_kind(f.filename) for f in files)
    reasons = Counter(o.reason.split(":")[0] for o in rows if isinstance(o, Skipped))
    target_states = Counter(s.split(":")[0] for s in lookups.values())
    return (
        f"{set_dir.name}: {len(got)} of {len(rows)} releases in {set_dir}: {len(files)} files "
        f"({', '.join(f'{n} {k}' for k, n in kinds.most_common())}), "
        f"{sum(f.size for f in files) / 1e6:,.1f} MB; "
        f"{sum(len(o.too_large) for o in got)} files over {FILE_CAP // 1000**2} MB, "
        f"{sum(len(o.left_out) for o in got)} left out past {RELEASE_CAP // 1000**2} MB a "
        f"release, {sum(o.not_chosen for o in got)} not chosen; skipped: "
        f"{', '.join(f'{n} {r}' for r, n in reasons.most_common()) or 'none'}; lookups: "
        f"{', '.join(f'{n} {s}' for s, n in target_states.most_common()) or 'none'}; "
        f"{seconds:.0f}s"
    )


def _kind(filename: str) -> str:
    if filename.endswith(".whl"):
        return "wheels"
    return "sdists" if filename.endswith(SDIST_SUFFIXES) else "other"


# ---------------------------------------------------------------- the three sets


def fetch_random_set(cache: Path, count: int, threads: int) -> None:
    drawn = {
        "source": "../shared/eval/benign.tsv",
        "seed": RANDOM_SEED,
        "drawn": "the first N names of a seeded shuffle (random_corpus.random_projects)",
        "file_rule": "every file of the latest release",
    }
    run_set(cache, "random", random_projects(count), True, threads, drawn)


def fetch_top_set(cache: Path, count: int, threads: int) -> None:
    drawn = {
        "source": "../shared/eval/top.tsv",
        "seed": None,
        "drawn": "the first N names by download rank",
        "file_rule": "the latest release's sdist and one wheel (pure py3, else CPython 3.11 "
        "manylinux x86_64, else the first): top projects ship dozens of wheels, "
        "many over the 50 MB cap",
    }
    run_set(cache, "top", top_names()[:count], False, threads, drawn)


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=[*SETS, "all"], required=True)
    parser.add_argument(
        "--count",
        type=int,
        help="releases per set (random 2000, new 1000, top 300); only with one set",
    )
    parser.add_argument("--cache", type=Path, default=REALWORLD_CACHE)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument(
        "--lookups-only",
        action="store_true",
        help="only redo the target and dependency pages of sets already fetched",
    )
    args = parser.parse_args(argv)
    sets = SETS if args.set == "all" else (args.set,)
    if args.count is not None and len(sets) > 1:
        parser.error("--count goes with one --set")
    if args.lookups_only:
        for name in sets:
            refresh_lookups(args.cache.resolve(), name, args.threads)
        return 0
    from bench.realworld_new import fetch_new_set  # that module builds on this one

    fetchers = {"random": fetch_random_set, "new": fetch_new_set, "top": fetch_top_set}
    for name in sets:
        fetchers[name](args.cache.resolve(), args.count or DEFAULT_COUNTS[name], args.threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
