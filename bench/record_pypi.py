"""Record a few hundred real PyPI JSON and Simple pages as test data for the replay test.

Fetches a seeded random sample of the benign name list plus some top projects from pypi.org, keeps
the newest releases of each (their per-version JSON, file lists and Simple entries), trims long
descriptions, and leaves every other field exactly as PyPI sent it: nulls, empty strings, yanked
files, odd versions, long classifier lists and license texts are the point of the recording.

Projects that ship dozens of wheels per release are cut to a file budget (whole newest releases
first; a single release over budget keeps its first files by name), so the replay test stays fast.

Usage: python -m bench.record_pypi [--sample 200] [--top 60] [--newest 4] [--files 20] [--seed 14]
       python -m bench.record_pypi --retrim   (apply the budget to the existing recording)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PYPI = "https://pypi.org"
EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
EVAL_FALLBACK = Path("/work/shared/eval")
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "pypi_replay" / "recording.json.gz"
DESCRIPTION_CHARS = 300
FILE_BUDGET = 20
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
_ANCHOR = re.compile(r"<a [^>]*>([^<]+)</a>")


def read_names(path: Path, column: str) -> list[str]:
    """Read one column of a tab-separated name list with a header row."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = lines[0].split("\t").index(column)
    return [line.split("\t")[index] for line in lines[1:] if line.strip()]


def fetch(url: str, accept: str = "application/json") -> tuple[int, str]:
    """GET one page; a missing project is a status, not an exception."""
    request = urllib.request.Request(
        url, headers={"Accept": accept, "User-Agent": "pypi-sentinel-recorder"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def trim_info(info: dict[str, Any]) -> dict[str, Any]:
    """Cut only the long description; everything else stays as sent."""
    description = info.get("description")
    if isinstance(description, str) and len(description) > DESCRIPTION_CHARS:
        info = {**info, "description": description[:DESCRIPTION_CHARS]}
    return info


def newest_versions(page: dict[str, Any], keep: int) -> list[str]:
    """The `keep` versions with the latest first upload, the current one always included."""

    def uploaded(version: str) -> str:
        files = page["releases"][version]
        return max((f.get("upload_time_iso_8601") or "" for f in files), default="")

    ordered = sorted(page["releases"], key=uploaded, reverse=True)
    current = page["info"]["version"]
    chosen = ordered[:keep]
    if current in page["releases"] and current not in chosen:
        chosen = [current, *chosen[: keep - 1]]
    return chosen


def trim_simple_html(html: str, filenames: set[str]) -> str:
    """Keep the page verbatim except anchors of files outside the kept releases."""
    kept = [
        line
        for line in html.splitlines()
        if not (match := _ANCHOR.search(line)) or match.group(1) in filenames
    ]
    return "\n".join(kept) + "\n"


def within_budget(page: dict[str, Any], versions: list[str], budget: int) -> set[str]:
    """Filenames of the newest releases whose files fit the budget (never fewer than `budget`
    files of the newest release)."""
    kept: list[str] = []
    for version in versions:
        names = sorted(f["filename"] for f in page["releases"][version])
        if kept and len(kept) + len(names) > budget:
            break
        kept += names[: max(budget - len(kept), 0)] if not kept else names
    return set(kept)


def trim_to_files(record: dict[str, Any], filenames: set[str]) -> dict[str, Any]:
    """Keep only the given files (and releases left with some, or none recorded) everywhere."""
    page = record["project"]
    versions = [
        v
        for v, files in page["releases"].items()
        if not files or any(f["filename"] in filenames for f in files)
    ]
    page["releases"] = {
        v: [f for f in page["releases"][v] if f["filename"] in filenames] for v in versions
    }
    page["urls"] = [f for f in page["urls"] if f["filename"] in filenames]
    record["releases"] = {v: r for v, r in record["releases"].items() if v in versions}
    for release in record["releases"].values():
        release["urls"] = [f for f in release["urls"] if f["filename"] in filenames]
    if record["simple_json"] is not None:
        simple = record["simple_json"]
        simple["files"] = [f for f in simple["files"] if f["filename"] in filenames]
        simple["versions"] = [v for v in simple.get("versions", []) if v in versions]
    if record["simple_html"] is not None:
        record["simple_html"] = trim_simple_html(record["simple_html"], filenames)
    return record


def record_project(name: str, keep: int, budget: int = FILE_BUDGET) -> dict[str, Any] | None:
    """Everything the stand-in needs to publish one project, or None when PyPI has no such page."""
    status, body = fetch(f"{PYPI}/pypi/{name}/json")
    if status != 200:
        return None
    page = json.loads(body)
    versions = newest_versions(page, keep)
    if not versions:
        return None
    filenames = within_budget(page, versions, budget)
    page["info"] = trim_info(page["info"])
    page["releases"] = {v: page["releases"][v] for v in versions}
    releases = {}
    for version in versions:
        status, body = fetch(f"{PYPI}/pypi/{name}/{version}/json")
        if status == 200:
            release = json.loads(body)
            release["info"] = trim_info(release["info"])
            releases[version] = release
    _, simple_json = fetch(f"{PYPI}/simple/{name}/", SIMPLE_JSON)
    _, simple_html = fetch(f"{PYPI}/simple/{name}/", "text/html")
    simple = json.loads(simple_json) if simple_json else None
    record = {
        "name": name,
        "project": page,
        "releases": releases,
        "simple_json": simple,
        "simple_html": simple_html or None,
    }
    return trim_to_files(record, filenames)


def choose_names(sample: int, top: int, seed: int) -> list[str]:
    """A seeded sample of the benign list plus the head of the popularity ranking."""
    root = EVAL if EVAL.exists() else EVAL_FALLBACK
    benign = read_names(root / "benign.tsv", "name")
    popular = read_names(root / "top.tsv", "name")[:top]
    picked = random.Random(seed).sample(benign, sample)
    return list(dict.fromkeys([*popular, *picked]))


def record(args: argparse.Namespace) -> dict[str, Any]:
    names = choose_names(args.sample, args.top, args.seed)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = pool.map(lambda n: record_project(n, args.newest, args.files), names)
        projects = [p for p in found if p]
    return {
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": PYPI,
        "projects": projects,
    }


def retrim(recording: dict[str, Any], budget: int) -> dict[str, Any]:
    for project in recording["projects"]:
        page = project["project"]
        newest_first = sorted(
            page["releases"],
            key=lambda v: max((f["upload_time_iso_8601"] for f in page["releases"][v]), default=""),
            reverse=True,
        )
        trim_to_files(project, within_budget(page, newest_first, budget))
    return recording


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--newest", type=int, default=4)
    parser.add_argument("--files", type=int, default=FILE_BUDGET, help="file budget per project")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--retrim", action="store_true", help="re-apply the budget, no fetching")
    args = parser.parse_args(argv)
    if args.retrim:
        recording = retrim(json.loads(gzip.decompress(args.out.read_bytes())), args.files)
    else:
        recording = record(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(gzip.compress(json.dumps(recording, sort_keys=True).encode(), 9, mtime=0))
    files = sum(len(fs) for p in recording["projects"] for fs in p["project"]["releases"].values())
    size = args.out.stat().st_size
    print(f"{len(recording['projects'])} projects, {files} files, {size:,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
