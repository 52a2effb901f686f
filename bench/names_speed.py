"""Name-check speed on one core: index build time and names per second over ../shared/eval names.

.venv/bin/python -m bench.names_speed
"""

from __future__ import annotations

import time

from analysis import build_index, match_name
from bench.common import read_tsv, shipped_corpus

ROUNDS = 3


def main() -> None:
    start = time.perf_counter()
    corpus = shipped_corpus()
    parsed = time.perf_counter()
    index = build_index(corpus)
    built = time.perf_counter()
    print(f"corpus parse     {parsed - start:6.3f} s  ({len(corpus.projects)} projects)")
    print(
        f"index build      {built - parsed:6.3f} s  ({len(index)} targets, {len(index.deletions)} deletion keys)"
    )
    names = [row["normalized"] for row in read_tsv("benign.tsv")]
    names += [row["normalized"] for row in read_tsv("malicious_dev.tsv")]
    best = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for name in names:
            match_name(name, index)
        best = max(best, len(names) / (time.perf_counter() - start))
    print(
        f"name checks      {best:8.0f} names/s  (best of {ROUNDS} over {len(names)} eval names, one core)"
    )


if __name__ == "__main__":
    main()
