"""The `new` set of bench/realworld_corpus.py: projects from PyPI's Simple index, in a seeded
shuffle, whose first upload is recent; the JSON page of each candidate is read until enough
qualify, and every candidate's outcome is kept in the manifest so a rerun asks nothing twice.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from bench.artifact_corpus import JSON_API
from bench.common import read_tsv, top_names
from bench.realworld_corpus import (
    NORMALIZED,
    fetch_bytes,
    read_manifest,
    run_set,
    utc_iso,
    write_atomic,
    write_manifest,
)
from collector.pypi.json_api import parse_time

SIMPLE_INDEX = "https://pypi.org/simple/"
NEW_WINDOW = timedelta(days=120)
NEW_SEED = 11
_ANCHOR = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>([^<]*)</a>')


def fetch_new_set(cache: Path, count: int, threads: int) -> None:
    set_dir = cache / "new"
    earlier = read_manifest(set_dir)
    started = earlier.get("fetched_at") or utc_iso(datetime.now(UTC))
    since = datetime.fromisoformat(started) - NEW_WINDOW
    candidates = new_candidates(cache)
    seen = {k: tuple(v) for k, v in earlier.get("candidate_outcomes", {}).items()}

    def save(looked_at: int) -> None:  # the slow part: an interrupted run resumes from here
        outcomes = {c: list(seen[c]) for c in candidates[:looked_at] if c in seen}
        write_manifest(set_dir, earlier | {"fetched_at": started, "candidate_outcomes": outcomes})

    chosen, looked_at = qualify(candidates, set_dir, count, since, seen, threads, save)
    drawn = {
        "source": f"{SIMPLE_INDEX} minus ../shared/eval/top.tsv and malicious_dev.tsv",
        "seed": NEW_SEED,
        "drawn": f"the first N of a seeded shuffle whose first upload (over all "
        f"files of all releases) is within {NEW_WINDOW.days} days of fetched_at",
        "file_rule": "every file of the latest release",
        "window_since": utc_iso(since),
        "candidates": len(candidates),
        "looked_at": looked_at,
        "looked": dict(Counter(seen[c][0].split(":")[0] for c in candidates[:looked_at])),
        "candidate_outcomes": {c: list(seen[c]) for c in candidates[:looked_at]},
        "first_uploads": {c: seen[c][1] for c in chosen},
    }
    run_set(cache, "new", chosen, True, threads, drawn)


def new_candidates(cache: Path) -> list[str]:
    """The Simple index's names less the top and known-malicious ones, in a seeded shuffle."""
    known = set(top_names()) | {row["normalized"] for row in read_tsv("malicious_dev.tsv")}
    names = sorted(n for n in index_names(cache / "new") if n not in known)
    return random.Random(NEW_SEED).sample(names, len(names))


def index_names(folder: Path) -> list[str]:
    """Every name in the Simple index, kept as folder/index.txt: reruns draw from one list."""
    path = folder / "index.txt"
    if not path.exists():
        page = fetch_bytes(SIMPLE_INDEX, "text/html")
        if page is None:
            raise SystemExit(f"{SIMPLE_INDEX} answered 404")
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, "\n".join(parse_index(page)).encode())
    return path.read_text().split()


def parse_index(page: bytes) -> list[str]:
    """Project names from the index page; an href is the project's normalized URL segment."""
    if page.lstrip().startswith(b"{"):  # PEP 691 JSON, should this PyPI ever answer with it
        return sorted({canonicalize_name(p["name"]) for p in json.loads(page)["projects"]})
    found = set()
    for href, text in _ANCHOR.findall(page.decode("utf-8", "replace")):
        # relative or absolute, the last path segment is the name (urljoin: 20 s for 930k)
        segment = href.split("#")[0].rstrip("/").rpartition("/")[2]
        found.add(canonicalize_name(segment or text))
    return sorted(n for n in found if NORMALIZED.match(n))


def qualify(
    candidates: Sequence[str],
    set_dir: Path,
    count: int,
    since: datetime,
    seen: dict[str, tuple[str, str | None]],
    threads: int,
    save: Callable[[int], None],
) -> tuple[list[str], int]:
    """The first `count` candidates, in order, first uploaded on or after `since`, and how many
    candidates that took; `seen` holds each one's outcome (errors are asked again)."""
    chosen: list[str] = []
    position = looked_at = 0
    with ThreadPoolExecutor(threads) as pool:
        while len(chosen) < count and position < len(candidates):
            batch = candidates[position : position + 32 * threads]
            for _ in range(2):  # an error is asked once more before it is passed over
                todo = [c for c in batch if seen.get(c, ("error",))[0].startswith("error")]
                seen |= dict(
                    zip(todo, pool.map(lambda c: check_new(c, set_dir, since), todo), strict=True)
                )
            for i, c in enumerate(batch, position + 1):
                if seen[c][0] == "new" and len(chosen) < count:
                    chosen.append(c)
                    looked_at = i
            position += len(batch)
            looked_at = position if len(chosen) < count else looked_at
            save(looked_at)
            print(
                f"  new: {looked_at} candidates looked at, {len(chosen)} first uploaded "
                f"since {since:%Y-%m-%d}",
                file=sys.stderr,
            )
    return chosen, looked_at


def check_new(project: str, set_dir: Path, since: datetime) -> tuple[str, str | None]:
    """(new, first upload) with project.json kept; else (old, first upload), (404, None),
    (no files, None) or (error: ..., None)."""
    try:
        data = fetch_bytes(JSON_API.format(project))
        if data is None:
            return "404", None
        first = first_upload(json.loads(data))
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        return f"error: {exc!r}"[:200], None
    if first is None:
        return "no files", None
    if first < since:
        return "old", utc_iso(first)
    (set_dir / project).mkdir(parents=True, exist_ok=True)
    write_atomic(set_dir / project / "project.json", data)
    return "new", utc_iso(first)


def first_upload(page: dict[str, Any]) -> datetime | None:
    """The earliest upload over every file of every release on a project's JSON page."""
    times = (
        parse_time(f.get("upload_time_iso_8601") or f.get("upload_time"))
        for files in (page.get("releases") or {}).values()
        for f in files
    )
    return min((t for t in times if t is not None), default=None)
