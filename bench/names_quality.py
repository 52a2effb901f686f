"""Name-check quality on ../shared/eval: benign and malicious flag rates, single-edit recall.

    .venv/bin/python -m bench.names_quality [--show-flagged N]

Flagged means a match at severity low or above (NameMatch.flagged). The recall set is generated
here: for each of the top 5,000 names of top.tsv, one variant per typing slip (omitted, repeated,
inserted and substituted character with a QWERTY neighbour, adjacent swap), seeded, dropping
variants that are themselves projects in top.tsv. top.tsv has ranks only, so its index borrows
the shipped corpus's download curve (rank r gets the r-th download count).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Iterable

from analysis import NameIndex, build_index, match_name
from analysis.typos import KEYBOARD_NEIGHBOURS
from bench.common import read_tsv, shipped_corpus, top_corpus, top_names

SEED = 20261121


def flag_rate(names: list[str], index: NameIndex) -> tuple[float, list[tuple[str, str, str]]]:
    flagged = []
    for name in names:
        matches = [m for m in match_name(name, index) if m.flagged]
        if matches:
            flagged.append((name, matches[0].target, matches[0].rule))
    return len(flagged) / len(names), flagged


def variants(name: str, rng: random.Random) -> Iterable[tuple[str, str]]:
    letters = [i for i, ch in enumerate(name) if ch.isalnum()]
    if not letters:
        return
    i = rng.choice(letters)
    yield "omit", name[:i] + name[i + 1 :]
    yield "repeat", name[: i + 1] + name[i:]
    near = sorted(KEYBOARD_NEIGHBOURS.get(name[i], ()))
    if near:
        yield "insert", name[: i + 1] + rng.choice(near) + name[i + 1 :]
        yield "substitute", name[:i] + rng.choice(near) + name[i + 1 :]
    pairs = [
        j for j in range(len(name) - 1) if name[j] != name[j + 1] and "-" not in name[j : j + 2]
    ]
    if pairs:
        j = rng.choice(pairs)
        yield "swap", name[:j] + name[j + 1] + name[j] + name[j + 2 :]


def recall(index: NameIndex, targets: list[str], real: set[str]) -> tuple[float, int, Counter[str]]:
    rng = random.Random(SEED)
    hits = total = 0
    misses: Counter[str] = Counter()
    for target in targets:
        for op, variant in variants(target, rng):
            if variant in real or variant == target or len(variant) < 2:
                continue
            total += 1
            if any(m.flagged and m.target == target for m in match_name(variant, index)):
                hits += 1
            else:
                misses[op] += 1
    return hits / total, total, misses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-flagged", type=int, default=0)
    args = parser.parse_args()
    shipped = shipped_corpus()
    top = top_names()
    indexes = {
        "shipped corpus": build_index(shipped),
        "top.tsv corpus": build_index(top_corpus(shipped)),
    }
    benign = [row["normalized"] for row in read_tsv("benign.tsv")]
    malicious = [row["normalized"] for row in read_tsv("malicious_dev.tsv")]
    for label, index in indexes.items():
        print(f"== {label} ({len(index)} targets)")
        rate, flagged = flag_rate(benign, index)
        print(f"benign flagged     {rate:6.2%}  ({len(flagged)} of {len(benign)})")
        for row in flagged[: args.show_flagged]:
            print("   ", *row)
        rate, flagged = flag_rate(malicious, index)
        print(f"malicious flagged  {rate:6.2%}  ({len(flagged)} of {len(malicious)})")
    rec, total, misses = recall(indexes["top.tsv corpus"], top[:5000], set(top))
    print(
        f"single-edit recall {rec:6.2%}  ({total} variants of top.tsv's top 5,000; index from top.tsv)"
    )
    print("    misses by slip:", dict(misses))
    own = [p.name for p in shipped.projects]
    rec, total, misses = recall(indexes["shipped corpus"], own[:5000], set(own) | set(top))
    print(
        f"single-edit recall {rec:6.2%}  ({total} variants of the shipped corpus's top 5,000; shipped index)"
    )
    print("    misses by slip:", dict(misses))


if __name__ == "__main__":
    main()
