"""The saved name index: built once, loaded after, never trusted beyond its list, code and owner."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from analysis import Corpus, NameIndex, build_index, parse_corpus
from analysis.names import typosquat
from collector.name_index import INDEX_CODE, PREFIX, index_key, load_or_build_index

ROWS = [{"download_count": 100, "project": "requests"}, {"download_count": 50, "project": "numpy"}]
CORPUS = parse_corpus({"rows": ROWS, "last_update": "2026-11-01 06:00:00"})
OTHER = parse_corpus({"rows": [*ROWS, {"download_count": 10, "project": "flask"}]})


def built(index: NameIndex, corpus: Corpus) -> bool:
    """Field by field the index build_index gives (NameIndex compares by identity)."""
    fresh = build_index(corpus)
    return all(
        getattr(index, f.name) == getattr(fresh, f.name) for f in dataclasses.fields(NameIndex)
    )


def saved(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{PREFIX}*.pickle"))


def test_builds_once_then_loads_the_same_index(tmp_path: Path) -> None:
    first = load_or_build_index(tmp_path, CORPUS)
    assert [path.name for path in saved(tmp_path)] == [f"{PREFIX}{index_key(CORPUS)}.pickle"]
    again = load_or_build_index(tmp_path, CORPUS)
    assert again is not first, "loaded, not built"
    assert built(again, CORPUS)


def test_another_list_gets_its_own_index_and_drops_the_old(tmp_path: Path) -> None:
    load_or_build_index(tmp_path, CORPUS)
    other = load_or_build_index(tmp_path, OTHER)
    assert index_key(OTHER) != index_key(CORPUS)
    assert built(other, OTHER), "not the saved index of the other list"
    assert [path.name for path in saved(tmp_path)] == [f"{PREFIX}{index_key(OTHER)}.pickle"]


@pytest.mark.parametrize(
    ("damage", "warning", "reason"),
    [
        (lambda path: path.write_bytes(b"garbage"), "unreadable", "a torn or foreign file"),
        (lambda path: path.chmod(0o666), "not ours alone", "anyone may write it: never loaded"),
    ],
)
def test_a_suspect_file_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object, warning: str, reason: str
) -> None:
    load_or_build_index(tmp_path, CORPUS)
    (path,) = saved(tmp_path)
    damage(path)  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="collector.name_index"):
        assert built(load_or_build_index(tmp_path, CORPUS), CORPUS), reason
    assert warning in caplog.text


def test_a_cache_that_cannot_be_written_still_gives_the_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="collector.name_index"):
        assert built(load_or_build_index(blocked, CORPUS), CORPUS)
    assert "could not save the name index" in caplog.text


def test_the_key_covers_the_code_the_index_is_built_by() -> None:
    """A rule or index change must make a new index: the key digests the packages that define
    what is pickled and what builds it (a subpackage left out would keep a stale index)."""
    modules = [typosquat.__name__, NameIndex.__module__, build_index.__module__]
    assert {m.rpartition(".")[0] for m in modules} <= set(INDEX_CODE)
