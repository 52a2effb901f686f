"""The vetted index as uv sees it: the second real client, with its own resolver, its own Accept
header (it asks for PEP 691 JSON first) and its own reading of the index's pages."""

from __future__ import annotations

from pathlib import Path

from tests.collector.index.conftest import Index, uv_install


def installed(target: Path) -> set[str]:
    return {p.name for p in target.glob("*.dist-info")}


async def test_a_clean_old_enough_release_installs(index: Index, tmp_path: Path) -> None:
    code, out = await uv_install(index, tmp_path / "t", "tidy")
    assert code == 0, out
    assert installed(tmp_path / "t") == {"tidy-1.0.dist-info"}
    assert index.state.counters.get("index_files_total", source="upstream") >= 1


async def test_a_flagged_release_is_not_found(index: Index, tmp_path: Path) -> None:
    code, out = await uv_install(index, tmp_path / "t", "reqeusts")
    assert code != 0
    assert "there are no versions of reqeusts" in out
    assert installed(tmp_path / "t") == set()
    assert index.state.counters.get("index_blocked_total", rule="policy") >= 1


async def test_a_release_too_young_resolves_to_the_one_before(index: Index, tmp_path: Path) -> None:
    code, out = await uv_install(index, tmp_path / "t", "fresh")
    assert code == 0, out
    assert installed(tmp_path / "t") == {"fresh-1.0.dist-info"}
    code, out = await uv_install(index, tmp_path / "u", "fresh==2.0")
    assert code != 0
    assert "there is no version of fresh==2.0" in out
    assert installed(tmp_path / "u") == set()


async def test_installs_through_the_index_from_an_html_only_upstream(
    html_index: Index, tmp_path: Path
) -> None:
    code, out = await uv_install(html_index, tmp_path / "t", "tidy", "fresh")
    assert code == 0, out
    assert installed(tmp_path / "t") == {"tidy-1.0.dist-info", "fresh-1.0.dist-info"}
