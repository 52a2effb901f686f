"""Name-check speed on one core: index build time and names per second over ../shared/eval names.

    .venv/bin/python -m bench.names_speed [--rounds N]

Pins itself to one CPU where the OS allows, so the figure is single-core. On a shared machine,
run it when nothing else is busy: the best round is reported, with the median beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from analysis import build_index, match_name
from bench.common import read_tsv, shipped_corpus


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
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
    names = [row["normalized"] for row in read_tsv("benign.tsv")]
    names += [row["normalized"] for row in read_tsv("malicious_dev.tsv")]
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
