"""The random sample of live PyPI for bench/artifacts.py: the newest release (its sdist and one
wheel) of projects drawn with a fixed seed from ../shared/eval/benign.tsv, which is what a monitor
sees in a typical upload, unlike the top projects of the rest of the corpus.

    .venv/bin/python -m bench.artifact_corpus --fetch-random 600   # fills bench/.cache/random

Plain HTTP downloads from the JSON API's `urls`, each file size-capped and checked against its
sha256; nothing is built, installed or run. bench/.cache/random/manifest.json records what was
fetched and why the rest was skipped; a second run keeps what is cached.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import time
import urllib.error
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion

from bench.artifact_corpus import JSON_API, REPO, CorpusFile, download, fetch_json

RANDOM_CACHE = REPO / "bench" / ".cache" / "random"
MANIFEST = "manifest.json"
RANDOM_SOURCE = "random"  # CorpusFile.source of the random sample
RANDOM_SEED = 7
BENIGN = REPO.parent / "shared" / "eval" / "benign.tsv"  # a random sample of live PyPI names


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    """One file of a release as the JSON API lists it under `urls`."""

    filename: str
    url: str  # absolute
    sha256: str
    size: int
    packagetype: str  # sdist, bdist_wheel, bdist_egg, ...


@dataclass(frozen=True, slots=True)
class Fetched:
    """A sampled project whose newest release is in the cache."""

    project: str
    version: str
    files: tuple[ReleaseFile, ...]
    dropped: tuple[ReleaseFile, ...] = ()  # chosen but over the size cap


@dataclass(frozen=True, slots=True)
class Skipped:
    """A sampled project with nothing in the cache, and why; `error: ...` is retried on resume."""

    project: str
    reason: str  # 404, no release, no files, no sdist or wheel, too large, error: ...


def random_projects(count: int) -> list[str]:
    """The first `count` of benign.tsv's names in a seeded shuffle: a larger N extends a smaller."""
    with BENIGN.open(newline="") as handle:
        names = sorted({row["normalized"] for row in csv.DictReader(handle, delimiter="\t")})
    return random.Random(RANDOM_SEED).sample(names, len(names))[:count]


def parse_release_files(page: dict[str, Any], page_url: str) -> list[ReleaseFile]:
    """The unyanked files of the JSON API's newest release, URLs made absolute (see _absolute)."""
    files = []
    for entry in page.get("urls") or []:
        sha256 = (entry.get("digests") or {}).get("sha256")
        filename = entry.get("filename") or ""
        if entry.get("yanked") or not sha256 or not entry.get("url") or not _plain(filename):
            continue
        url = urljoin(page_url, entry["url"])
        files.append(
            ReleaseFile(
                filename,
                url,
                sha256,
                int(entry.get("size") or 0),
                str(entry.get("packagetype", "")),
            )
        )
    return files


def _plain(filename: str) -> bool:
    # the name becomes a path in the cache: no folders, no dot files
    return bool(filename) and "/" not in filename and "\\" not in filename and filename[0] != "."


def wheel_rank(filename: str) -> int:
    """0 for a pure py3 wheel, 1 for a CPython 3.11 manylinux x86_64 one, 2 for any other."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except (InvalidWheelFilename, InvalidVersion):
        return 2
    if any(t.interpreter == "py3" and t.abi == "none" and t.platform == "any" for t in tags):
        return 0
    if any(
        t.interpreter == "cp311"
        and t.platform.startswith("manylinux")
        and t.platform.endswith("_x86_64")
        for t in tags
    ):
        return 1
    return 2


def choose_files(files: Sequence[ReleaseFile]) -> list[ReleaseFile]:
    """What a monitor would read of a release: its sdist and one wheel, the best-ranked (the first
    of that rank)."""
    sdists = [f for f in files if f.packagetype == "sdist"][:1]
    wheels = [f for f in files if f.filename.endswith(".whl")]
    return sdists + ([min(wheels, key=lambda f: wheel_rank(f.filename))] if wheels else [])


def fetch_release(project: str, dest: Path, max_bytes: int) -> Fetched | Skipped:
    """One project's newest release (sdist + one wheel) into dest/<project>/; a file already
    there is kept."""
    page_url = JSON_API.format(project)
    try:
        page = fetch_json(page_url)
        if page is None:
            return Skipped(project, "error: the JSON API answered with something else")
        info = page.get("info")
        version = str(info.get("version") or "") if isinstance(info, dict) else ""
        if not version or page.get("releases") == {}:
            return Skipped(project, "no release")
        files = parse_release_files(page, page_url)
        chosen = choose_files(files)
        fitting = [f for f in chosen if f.size <= max_bytes]
        if not chosen or not fitting:
            return Skipped(
                project, "too large" if chosen else "no sdist or wheel" if files else "no files"
            )
        folder = dest / project
        folder.mkdir(parents=True, exist_ok=True)
        for f in fitting:
            target = folder / f.filename
            problem = None if target.exists() else download(f.url, f.sha256, target, max_bytes)
            if problem is not None:
                return Skipped(project, f"error: {f.filename} {problem}")
        dropped = tuple(f for f in chosen if f not in fitting)
        return Fetched(project, version, tuple(fitting), dropped)
    except urllib.error.HTTPError as exc:
        return Skipped(project, "404" if exc.code == 404 else f"error: HTTP {exc.code}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Skipped(project, f"error: {exc!r}"[:200])


def read_manifest(dest: Path = RANDOM_CACHE) -> tuple[list[Fetched], list[Skipped]]:
    """What the last --fetch-random left in the cache; nothing when it never ran."""
    path = dest / MANIFEST
    if not path.exists():
        return [], []
    raw = json.loads(path.read_text())
    fetched = [
        Fetched(
            row["project"],
            row["version"],
            tuple(ReleaseFile(**f) for f in row["files"]),
            tuple(ReleaseFile(**f) for f in row.get("dropped", ())),
        )
        for row in raw["fetched"]
    ]
    return fetched, [Skipped(**row) for row in raw["skipped"]]


def write_manifest(
    dest: Path, count: int, max_mb: int, outcomes: Sequence[Fetched | Skipped]
) -> None:
    body = {
        "seed": RANDOM_SEED,
        "source": BENIGN.name,
        "requested": count,
        "max_mb": max_mb,
        "fetched": [asdict(o) for o in outcomes if isinstance(o, Fetched)],
        "skipped": [asdict(o) for o in outcomes if isinstance(o, Skipped)],
    }
    partial = dest / (MANIFEST + ".part")
    partial.write_text(json.dumps(body, indent=1))
    partial.rename(dest / MANIFEST)


def _cached(
    dest: Path, done: dict[str, Fetched | Skipped], project: str
) -> Fetched | Skipped | None:
    """A project's earlier outcome when it still holds: its files are all there, or it was
    skipped for a reason that does not pass (a 404, no release, too large)."""
    before = done.get(project)
    if isinstance(before, Fetched):
        return before if all((dest / project / f.filename).exists() for f in before.files) else None
    return before if before is not None and not before.reason.startswith("error") else None


def fetch_random(count: int, dest: Path = RANDOM_CACHE, max_mb: int = 50, threads: int = 8) -> None:
    """Fetch the newest release of `count` sampled projects; resumable (cached ones are kept)."""
    dest.mkdir(parents=True, exist_ok=True)
    fetched, skipped = read_manifest(dest)
    done: dict[str, Fetched | Skipped] = {o.project: o for o in fetched}
    done |= {o.project: o for o in skipped}
    projects = random_projects(count)
    outcomes: dict[str, Fetched | Skipped] = {}
    todo = []
    for p in projects:
        before = _cached(dest, done, p)
        if before is None:
            todo.append(p)
        else:
            outcomes[p] = before
    began = time.perf_counter()
    print(
        f"{len(outcomes)} of {count} sampled projects cached; fetching {len(todo)}", file=sys.stderr
    )
    try:
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(fetch_release, p, dest, max_mb * 1_000_000) for p in todo]
            for i, future in enumerate(as_completed(futures), 1):
                o = future.result()
                outcomes[o.project] = o
                line = (
                    f"{o.version}: {len(o.files)} file(s)" if isinstance(o, Fetched) else o.reason
                )
                print(f"  {i}/{len(todo)} {o.project} {line}", file=sys.stderr)
    finally:  # an interrupted run keeps what it got
        write_manifest(dest, count, max_mb, [outcomes[p] for p in projects if p in outcomes])
    print(render_fetch_summary(dest, [outcomes[p] for p in projects], time.perf_counter() - began))


def render_fetch_summary(dest: Path, outcomes: Sequence[Fetched | Skipped], seconds: float) -> str:
    got = [o for o in outcomes if isinstance(o, Fetched)]
    files = [f for o in got for f in o.files]
    reasons = Counter(o.reason.split(":")[0] for o in outcomes if isinstance(o, Skipped))
    dropped = sum(len(o.dropped) for o in got)
    return (
        f"{len(got)} of {len(outcomes)} sampled projects in {dest}: {len(files)} files "
        f"({sum(f.packagetype == 'sdist' for f in files)} sdists, "
        f"{sum(f.filename.endswith('.whl') for f in files)} wheels), "
        f"{sum(f.size for f in files) / 1e6:.1f} MB; {dropped} files over the cap left out; skipped: "
        f"{', '.join(f'{n} {r}' for r, n in reasons.most_common()) or 'none'}; {seconds:.0f}s"
    )


def load_random(
    dest: Path = RANDOM_CACHE, only: str | None = None, limit: int | None = None
) -> list[CorpusFile]:
    """The fetched random sample as corpus files (source 'random'); `limit` takes a seeded sample
    of its projects, so a package is never split."""
    fetched, _ = read_manifest(dest)
    if limit is not None and limit < len(fetched):
        fetched = random.Random(RANDOM_SEED).sample(fetched, limit)
    files = []
    for row in fetched:
        for f in row.files:
            path = dest / row.project / f.filename
            if path.exists() and (
                only is None or f.filename.endswith(".whl") == (only == "wheels")
            ):
                files.append(
                    CorpusFile(
                        row.project, row.version, f.filename, RANDOM_SOURCE, path.read_bytes()
                    )
                )
    return sorted(files, key=lambda f: (f.project, f.filename))
