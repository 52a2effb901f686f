"""Name-check speed on one core: index build time and names per second over ../shared/eval names.

    .venv/bin/python -m bench.names_speed [--rounds N] [--cli]

Pins itself to one CPU where the OS allows, so the figure is single-core. On a shared machine,
run it when nothing else is busy: the best round is reported, with the median beside it.

--cli times `pypi-sentinel check --file F --format json` end to end on 20,000 eval names, run
as a user runs it (a fresh process, this checkout's code, an empty home so the shipped list is
used), beside the same names through match_name in this process, round by round so that both
see the same machine load. It reports the whole run's rate and the per-name rate: the extra time
20,000 names take over one name, which leaves out start-up and the index build.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import build_index, match_name
from bench.common import REPO, read_tsv, shipped_corpus

CLI_NAMES = 20_000


def _eval_names() -> list[str]:
    names = [row["normalized"] for row in read_tsv("benign.tsv")]
    return names + [row["normalized"] for row in read_tsv("malicious_dev.tsv")]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_cli(names_file: Path, home: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `check --file` run; its output is read in full, as a script
    would. CPU time is the steadier figure on a shared machine."""
    command = [sys.executable, "-m", "collector", "check", "--file", str(names_file)]
    command += ["--format", "json", "--home", str(home)]
    began, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=REPO, capture_output=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed, _children_cpu() - cpu


def _time_match(names: list[str]) -> tuple[float, float]:
    index = build_index(shipped_corpus())
    began, cpu = time.perf_counter(), time.process_time()
    for name in names:
        match_name(name, index)
    return time.perf_counter() - began, time.process_time() - cpu


def _rates(
    label: str, count: int, full: list[float], single: list[float], match: list[float]
) -> None:
    whole, fixed, matched = (statistics.median(x) for x in (full, single, match))
    print(
        f"{label:5}  cli {count / whole:7.0f} names/s end to end ({whole:.2f} s), "
        f"{(count - 1) / (whole - fixed):7.0f} names/s per name (1 name: {fixed:.2f} s); "
        f"match_name {count / matched:7.0f} names/s"
    )


def cli_speed(rounds: int) -> None:
    names = _eval_names()[:CLI_NAMES]
    with tempfile.TemporaryDirectory() as tmp:
        many, one = Path(tmp, "names.txt"), Path(tmp, "one.txt")
        many.write_text("\n".join(names) + "\n")
        one.write_text(names[0] + "\n")
        home = Path(tmp, "home")
        _time_cli(one, home)  # a first run may save what later runs load (the name index)
        runs: list[tuple[tuple[float, float], tuple[float, float], tuple[float, float]]] = []
        for _ in range(rounds):
            runs.append((_time_cli(many, home), _time_cli(one, home), _time_match(names)))
    print(f"check --file {len(names)} names --format json, medians of {rounds} rounds:")
    for label, at in (("wall", 0), ("cpu", 1)):
        full, single, match = ([run[i][at] for run in runs] for i in range(3))
        _rates(label, len(names), full, single, match)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli", action="store_true", help="time `check --file` end to end")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # children inherit it
    if args.cli:
        cli_speed(args.rounds)
        return
    start = time.perf_counter()
    corpus = shipped_corpus()
    parsed = time.perf_counter()
    builds = []
    for _ in range(3):
        began = time.perf_counter()
        index = build_index(corpus)
        builds.append(time.perf_counter() - began)
    print(f"corpus parse     {parsed - start:6.3f} s  ({len(corpus.projects)} projects)")
    print(
        f"index build      {min(builds):6.3f} s  best of 3, median {statistics.median(builds):.3f} s"
        f"  ({len(index)} targets, {len(index.deletions)} deletion keys)"
    )
    names = _eval_names()
    rates = []
    for _ in range(args.rounds):
        began = time.perf_counter()
        for name in names:
            match_name(name, index)
        rates.append(len(names) / (time.perf_counter() - began))
    print(
        f"name checks      {max(rates):8.0f} names/s best of {args.rounds}, median "
        f"{statistics.median(rates):.0f}  ({len(names)} eval names, one core, "
        f"{1e6 / max(rates):.1f} us each)"
    )


if __name__ == "__main__":
    main()
