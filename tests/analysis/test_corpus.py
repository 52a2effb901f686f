"""Reading hugovk's top-pypi-packages JSON into a Corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest

from analysis import Corpus, CorpusError, parse_corpus

GOOD = {
    "last_update": "2026-11-01 06:34:06",
    "source": "ClickHouse",
    "rows": [
        {"download_count": 10, "project": "Small_Project"},
        {"download_count": 1000, "project": "opencv-python"},
        {"download_count": 5, "project": "small-project"},
    ],
    "total_rows": 3,
}


def test_parses_sorts_and_normalizes() -> None:
    corpus = parse_corpus(json.dumps(GOOD).encode())
    assert [(p.name, p.downloads) for p in corpus.projects] == [
        ("opencv-python", 1000),
        ("small-project", 10),  # duplicates after PEP 503 keep the larger count
    ]
    assert (corpus.last_update, corpus.source) == ("2026-11-01 06:34:06", "ClickHouse")


def test_keeps_only_aliases_of_listed_projects() -> None:
    corpus = parse_corpus(GOOD, aliases={"cv2": "opencv-python", "yaml": "pyyaml", "x": "x"})
    assert corpus.aliases == {"cv2": "opencv-python"}


def test_drops_an_alias_equal_to_its_project() -> None:
    corpus = parse_corpus(GOOD, aliases={"opencv-python": "opencv-python"})
    assert corpus.aliases == {}


def test_accepts_text_and_a_missing_date() -> None:
    corpus = parse_corpus(json.dumps({"rows": GOOD["rows"]}))
    assert isinstance(corpus, Corpus)
    assert (corpus.last_update, corpus.source) == (None, "")


@pytest.mark.parametrize(
    ("payload", "message", "reason"),
    [
        (b"{not json", "not JSON", "garbage bytes"),
        (b"[1, 2]", "not a JSON object", "a list, not the document"),
        ({"rows": []}, "no 'rows'", "an empty list is no corpus"),
        ({"rows": [1]}, "not an object", "a row must be an object"),
        ({"rows": [{"download_count": 1}]}, "no project name", "a row needs its name"),
        ({"rows": [{"project": " ", "download_count": 1}]}, "no project name", "blank name"),
        ({"rows": [{"project": "a", "download_count": "1"}]}, "no download count", "a string"),
        ({"rows": [{"project": "a", "download_count": True}]}, "no download count", "a bool"),
        ({"rows": [{"project": "a", "download_count": -1}]}, "no download count", "negative"),
    ],
)
def test_rejects_malformed(payload: Any, message: str, reason: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_corpus(payload)
    assert issubclass(CorpusError, ValueError), reason
