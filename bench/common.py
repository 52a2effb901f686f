"""Shared loading for the name benchmarks: the shipped corpus and the evaluation sets in ../shared/eval."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from analysis import Corpus, parse_corpus
from analysis.corpus import PopularProject

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"


def shipped_corpus() -> Corpus:
    data = resources.files("analysis").joinpath("data/top-pypi-packages.min.json").read_bytes()
    return parse_corpus(data)


def read_tsv(name: str) -> list[dict[str, str]]:
    path = EVAL / name
    if not path.exists():
        raise SystemExit(f"{path} not found: the evaluation sets live in ../shared/eval/")
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def top_names() -> list[str]:
    rows = sorted(read_tsv("top.tsv"), key=lambda row: int(row["rank"]))
    return [row["normalized"] for row in rows]


def top_corpus(shipped: Corpus) -> Corpus:
    """top.tsv has ranks only: give rank r the shipped corpus's download count at rank r."""
    counts = [p.downloads for p in shipped.projects]
    names = top_names()
    projects = tuple(
        PopularProject(name, counts[min(i, len(counts) - 1)]) for i, name in enumerate(names)
    )
    aliases = {a: p for a, p in shipped.aliases.items() if p in set(names)}
    return Corpus(projects=projects, aliases=aliases, source="eval top.tsv")
