"""`audit --resolve`: unpinned requirements checked at the newest stored release that fits."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from collector.cli import main
from tests.collector.commands.store_seed import VULNERABILITY, seed_store
from tests.collector.commands.test_audit import audit, valid_audit, write

REQUIREMENTS = """\
leftpadx>=1
leftpadx<1.5
gonex
unknownx>=1
leftpadx==2.0
leftpadx>=4.0b1
"""


async def _audit(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(main, ["audit", *args])
    return code, capsys.readouterr().out


def _rows(out: str) -> list[dict[str, Any]]:
    return list(valid_audit(out)["dependencies"])


async def test_unpinned_requirements_are_checked_at_the_stored_version_pip_would_pick(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = await seed_store(tmp_path, database_url, capsys)
    path = write(tmp_path, "requirements.txt", REQUIREMENTS)
    args = [str(path), "--format", "json", "--fail-on", "high", *home]

    code, out = await _audit([*args, "--resolve"], capsys)
    assert code == 1, "the resolved 1.5 is vulnerable: high"
    assert json.loads(out)["resolved_from_store"] is True
    newest, older, quarantined, unknown, pinned, pre = _rows(out)
    fields = ("version", "pinned", "resolved", "resolved_from")
    assert [tuple(r[f] for f in fields) for r in (newest, older, quarantined, unknown, pinned)] == [
        ("1.5", False, True, "store"),  # 2.0 is yanked, 3.0 removed, 4.0b1 a pre-release
        ("1.0", False, True, "store"),
        (None, False, False, None),  # a quarantined project is not served
        (None, False, False, None),  # the store never saw it
        ("2.0", True, False, None),  # a pin stays a pin, yanked or not
    ]
    assert [(v["id"], v["fixed_in"]) for v in newest["vulnerabilities"]] == [(VULNERABILITY, "1.6")]
    assert (newest["unchecked_vulnerabilities"], newest["worst"]) == (0, "high")
    assert newest["licence"]["spdx"] == "MIT", "the licence of the resolved release"
    assert (older["vulnerabilities"], older["licence"]) == ([], None)
    assert unknown["unchecked_vulnerabilities"] == 0
    assert pre["version"] == "4.0b1", "the specifier asks for a pre-release"

    code, out = await _audit(args, capsys)
    assert code == 0, "without --resolve nothing pinned is vulnerable"
    assert json.loads(out)["resolved_from_store"] is False
    newest = _rows(out)[0]
    assert (newest["version"], newest["resolved"], newest["resolved_from"]) == (None, False, None)
    assert (newest["vulnerabilities"], newest["unchecked_vulnerabilities"]) == ([], 1)


async def test_text_says_what_was_resolved_and_what_was_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = await seed_store(tmp_path, database_url, capsys)
    path = write(tmp_path, "requirements.txt", "leftpadx>=1\ngonex\n")
    _, out = await _audit([str(path), "--resolve", *home], capsys)
    lines = out.splitlines()
    resolved = next(i for i, line in enumerate(lines) if line.startswith("leftpadx"))
    assert lines[resolved].startswith("leftpadx 1.5 (resolved from the store) (line 1) [MIT]")
    assert (
        f"  - vulnerable: {VULNERABILITY}: leftpadx: made up for the audit tests; fixed in 1.6"
        in (lines)
    )
    gone = next(i for i, line in enumerate(lines) if line.startswith("gonex"))
    assert lines[gone].startswith("gonex (line 2)")
    assert lines[gone + 1] == "  - not resolved: the store knows no release that satisfies it"

    _, out = await _audit([str(path), *home], capsys)
    assert "not resolved" not in out, "said only when resolving was asked for"
    assert "leftpadx (line 1)" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--no-store"], "--resolve reads the store's releases; drop --no-store"),
        ([], "--resolve needs the store"),
    ],
    ids=["no-store", "no-database-yet"],
)
def test_resolve_without_a_store_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    path = write(tmp_path, "requirements.txt", "requests>=2\n")
    code, out, err = audit([str(path), "--resolve", *args], tmp_path, capsys)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert says in line
    assert out == ""
    assert not (tmp_path / "home" / "pg").exists(), "no database is created to resolve"


async def test_the_sbom_marks_a_resolved_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = await seed_store(tmp_path, database_url, capsys)
    path = write(tmp_path, "requirements.txt", "leftpadx>=1\nleftpadx==1.0\n")
    _, out = await _audit([str(path), "--resolve", "--format", "cyclonedx-json", *home], capsys)
    components = {c["bom-ref"]: c for c in json.loads(out)["components"]}
    resolved = components["pkg:pypi/leftpadx@1.5#0"]
    assert resolved["properties"] == [{"name": "pypi-sentinel:resolved_from", "value": "store"}]
    assert "properties" not in components["pkg:pypi/leftpadx@1.0#1"], "a pin is no guess"
