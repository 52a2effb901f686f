"""The name index: what is precomputed, and the python/py affix forms."""

from __future__ import annotations

import pytest

from analysis import Corpus, NameIndex, build_index, parse_corpus
from analysis.names.index import python_forms


def test_aliases_are_targets_standing_for_their_project(index: NameIndex) -> None:
    target = index.targets[index.by_name["cv2"]]
    assert (target.project, target.via_alias) == ("opencv-python", True)
    assert target.downloads == index.downloads["opencv-python"]


def test_popular_alias_is_also_a_project(index: NameIndex) -> None:
    assert index.targets[index.by_name["jwt"]].project == "jwt"  # by name: the project itself
    assert index.targets[index.aliases["jwt"]].project == "pyjwt"  # as an import name: pyjwt


def test_floor_size_and_provenance(index: NameIndex, corpus: Corpus) -> None:
    assert index.floor == min(p.downloads for p in corpus.projects)
    assert len(index) == len(index.targets)
    assert (index.corpus_source, index.corpus_date) == ("test", "2026-11-01 00:00:00")


def test_one_letter_projects_are_not_targets() -> None:
    corpus = parse_corpus(
        {"rows": [{"project": "x", "download_count": 9}, {"project": "xy", "download_count": 1}]}
    )
    index = build_index(corpus)
    assert [t.name for t in index.targets] == ["xy"]
    assert "" not in index.deletions


def test_double_letters_give_one_deletion_key(index: NameIndex) -> None:
    i = index.by_name["pillow"]
    assert index.deletions["pilow"].count(i) == 1


@pytest.mark.parametrize(
    ("name", "expected", "reason"),
    [
        (
            "python-dateutil",
            {"dateutil", "dateutil-py", "dateutil-python", "py-dateutil", "pydateutil"},
            "drop, swap and move the python word",
        ),
        (
            "requests",
            {"py-requests", "pyrequests", "python-requests", "requests-py", "requests-python"},
            "add python or py around a plain name",
        ),
        (
            "pymongo",
            {"mongo", "mongo-py", "mongo-python", "py-mongo", "python-mongo"},
            "py glued to the front comes off",
        ),
        (
            "pytest",
            {"py-test", "python-test", "test-py", "test-python"},
            "a four-letter stem is not offered bare",
        ),
        ("python", set(), "python alone has no stem"),
        ("py-ab", set(), "too short a stem"),
        ("pythonic", set(), "'thon' is not a stem"),
    ],
)
def test_python_forms(name: str, expected: set[str], reason: str) -> None:
    assert python_forms(name) == expected, reason
