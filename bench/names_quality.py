"""Name-check quality on ../shared/eval: benign and malicious flag rates, single-edit recall.

    .venv/bin/python -m bench.names_quality [--show-flagged N] [--compare OLD_LIST.json]

Flagged means a match at severity low or above (NameMatch.flagged). The recall set is generated
here: for each of the top 5,000 names of top.tsv, one variant per typing slip (omitted, repeated,
inserted and substituted character with a QWERTY neighbour, adjacent swap), seeded, dropping
variants that are themselves projects in top.tsv. top.tsv has ranks only, so its index borrows
the shipped corpus's download curve (rank r gets the r-th download count).

The figure that counts for users is `check` recall: the same variants of today's top 5,000 run
through assess_name (what `check` runs) against the shipped list, a hit being a verdict of low or
above that names the target. Misses are split by whether the target is in the list at all (the
list is too old) or is there and the engine let the variant through; `--compare` puts another
top-pypi-packages JSON (an older list, say) beside it.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from analysis import (
    AnalysisContext,
    Corpus,
    NameIndex,
    assess_name,
    build_index,
    match_name,
    parse_corpus,
)
from analysis.model import Severity
from analysis.names.typos import KEYBOARD_NEIGHBOURS
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


@dataclass
class CheckRecall:
    """`check` on single-edit variants of today's top names: hits and why the rest were missed."""

    hits: int = 0
    total: int = 0
    unlisted: Counter[str] = field(default_factory=Counter)  # target missing from the list
    engine: Counter[str] = field(default_factory=Counter)  # target listed, variant let through
    examples: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.hits / self.total


def check_recall(corpus: Corpus, targets: list[str], real: set[str]) -> CheckRecall:
    index = build_index(corpus)
    rank = {p.name: number for number, p in enumerate(corpus.projects, 1)}
    context = AnalysisContext(now=datetime.now(UTC), index=index)
    result, rng = CheckRecall(), random.Random(SEED)
    for target in targets:
        for op, variant in variants(target, rng):
            if variant in real or variant == target or len(variant) < 2:
                continue
            result.total += 1
            verdict = assess_name(variant, context)
            flagged = verdict.severity >= Severity.LOW  # what `check` exits 1 on by default
            if flagged and any(f.target == target for f in verdict.findings):
                result.hits += 1
            elif target in rank:
                result.engine[_why_missed(target, rank[target])] += 1
                result.examples.append((variant, target, op))
            else:
                result.unlisted[op] += 1
    return result


def _why_missed(target: str, rank: int) -> str:
    """The engine's own reasons to let a slip through: a short name, or a target it ranks low."""
    if len(target) < 4:
        return "name under 4 letters"
    return "ranked below 5,000 in the list" if rank > 5000 else "other"


def print_check_recall(label: str, corpus: Corpus, targets: list[str], real: set[str]) -> None:
    found = check_recall(corpus, targets, real)
    missing = sum(1 for name in targets if name not in {p.name for p in corpus.projects})
    print(
        f"check recall       {found.rate:6.2%}  ({found.hits} of {found.total} variants of "
        f"today's top {len(targets):,}; {label}, {corpus.last_update or 'undated'}, "
        f"{missing} of the targets not in it)"
    )
    print(
        f"    missed, target not in the list: {sum(found.unlisted.values())}", dict(found.unlisted)
    )
    print(f"    missed, target listed:          {sum(found.engine.values())}", dict(found.engine))
    for row in found.examples[:: max(1, len(found.examples) // 8)][:8]:
        print("       ", *row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-flagged", type=int, default=0)
    parser.add_argument("--compare", type=Path, action="append", default=[], metavar="LIST")
    args = parser.parse_args()
    shipped = shipped_corpus()
    top = top_names()
    print("== check against today's top 5,000 (top.tsv ranks, 2026-11)")
    print_check_recall("shipped list", shipped, top[:5000], set(top))
    for path in args.compare:
        print_check_recall(str(path), parse_corpus(path.read_bytes()), top[:5000], set(top))
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
