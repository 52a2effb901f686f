"""Detection on real data, in one command and one table: real malware (recall), and the full
verdict on random, brand-new and top PyPI releases (false alarms).

    .venv/bin/python -m bench.realworld              # fetch what is missing, then measure
    .venv/bin/python -m bench.realworld --offline    # measure what the cache holds

(a) the 2,500 real malicious releases of ../shared/eval/malware-dev.tar, read in memory
    (bench/realworld_malware.py): shares at each severity, where the code that convicts them
    runs, which checks carry the verdicts, and every miss with its strongest finding;
(b) random real releases, (c) projects first uploaded in the last 120 days, (d) the most
    downloaded projects: the full verdict (name + metadata + every file) the collector would
    store (bench/realworld_benign.py), the share at medium and at high, and each flagged release
    with its reasons. The benign sets are fetched by bench/realworld_corpus.py into
    bench/.cache/realworld; nothing fetched is built, installed or run.

The table goes to stdout; bench/results/realworld.json holds every figure and every listed
release.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import realworld_corpus
from bench.realworld_benign import RESULTS, benign_section
from bench.realworld_benign import render as render_benign
from bench.realworld_corpus import REALWORLD_CACHE, SETS
from bench.realworld_malware import MALWARE_TAR, malware_section
from bench.realworld_malware import render as render_malware

SCHEMA = 1
# The targets are met on the held-out halves; these sets are the dev side.
GOALS = {
    "malware": ">= 95 % medium, >= 90 % high",
    "random": "<= 0.5 % medium, <= 0.1 % high",
    "new": "<= 1 % medium",
    "top": "0 at medium",
}
LABELS = {
    "random": "random PyPI releases",
    "new": "brand-new projects (first upload <= 120 days)",
    "top": "top projects",
}


def measure(cache: Path, sets: list[str], processes: int, tar: Path) -> dict[str, Any]:
    began = time.perf_counter()
    figures: dict[str, Any] = {"schema": SCHEMA, "malware": malware_section(tar, processes)}
    for name in sets:
        print(f"== {name}", file=sys.stderr)
        figures[name] = benign_section(name, cache, processes)
    figures["seconds"] = round(time.perf_counter() - began, 1)
    return figures


def render_table(figures: dict[str, Any]) -> str:
    """One markdown table: each set's share at each severity, full verdict (and metadata alone
    for the benign sets, which tells name and metadata noise from file noise)."""
    head = "| set | releases | >= low | >= medium | >= high | >= critical | goal (held-out) |"
    rows = [head, "|---|---:|---:|---:|---:|---:|---|"]
    rows.append(_row("real malware (dev half)", figures["malware"], "at_least", GOALS["malware"]))
    for name in SETS:
        if name in figures:
            section = figures[name]
            rows.append(_row(f"{LABELS[name]}, full verdict", section, "at_least", GOALS[name]))
            rows.append(
                _row(f"{LABELS[name]}, name + metadata only", section, "metadata_at_least", "")
            )
    return "\n".join(rows)


def _row(label: str, section: dict[str, Any], key: str, goal: str) -> str:
    shares = section[key]
    cells = [
        f"{shares[level]['share']:.2%} ({shares[level]['count']})"
        for level in ("low", "medium", "high", "critical")
    ]
    return f"| {label} | {section['releases']} | " + " | ".join(cells) + f" | {goal} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=REALWORLD_CACHE)
    parser.add_argument("--tar", type=Path, default=MALWARE_TAR)
    parser.add_argument("--sets", default=",".join(SETS), help="benign sets: random,new,top")
    parser.add_argument("--offline", action="store_true", help="measure the cache as it is")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}; choose from {', '.join(SETS)}")
    cache = args.cache.resolve()
    if not args.offline:
        for name in sets:  # resumable: what the cache holds is kept
            realworld_corpus.main(["--set", name, "--cache", str(cache)])
    figures = measure(cache, sets, args.processes, args.tar)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "realworld.json").write_text(json.dumps(figures, indent=1))
    print(render_table(figures))
    print()
    print(render_malware(figures["malware"]))
    for name in sets:
        print()
        print(render_benign(figures[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
