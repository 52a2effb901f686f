"""`pypi-sentinel check`: verdicts, JSON shape and exit codes, run through main()."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collector.cli import main
from collector.commands.check import names_from_lines
from tests.collector.popular_list import days_ago, write_cached_list


def run(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(["check", *args, "--home", str(tmp_path / "home")])
    out, err = capsys.readouterr()
    return code, out, err


def test_flags_a_typosquat_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["reqeusts", "requests"], tmp_path, capsys)
    assert code == 1
    head = next(line for line in out.splitlines() if line.startswith("reqeusts: low"))
    assert "swaps 'ue' in requests" in head, "the strongest reason stands next to the verdict"
    assert "requests: ok" in out


def test_clean_names_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["requests", "numpy"], tmp_path, capsys)[0] == 0


def test_fail_on_raises_the_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["reqeusts", "--fail-on", "medium"], tmp_path, capsys)[0] == 0


def test_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["reqeusts", "requests", "--format", "json"], tmp_path, capsys)
    document = json.loads(out)
    assert code == 1
    assert document["schema"] == 1
    assert document["corpus"]["origin"] == "snapshot"
    squat, clean = document["results"]
    assert {"flagged", "matches", "name", "reasons", "score", "severity"} <= set(squat)
    assert (squat["name"], squat["flagged"], squat["severity"]) == ("reqeusts", True, "low")
    assert (
        squat["matches"][0]
        | {"target": "requests", "rule": "typosquat.swapped-chars", "distance": 1}
        == squat["matches"][0]
    )
    assert (clean["flagged"], clean["matches"], clean["reasons"]) == (False, [], [])


def test_names_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# to install\nnumpyy>=1.0\n\n-r other.txt\nrequests  # fine\n")
    code, out, _ = run(["--file", str(names), "--format", "json"], tmp_path, capsys)
    assert [r["name"] for r in json.loads(out)["results"]] == ["numpyy", "requests"]
    assert code == 1


@pytest.mark.parametrize(
    ("args", "message", "reason"),
    [
        ([], "give at least one NAME", "nothing to check"),
        (["not a name!"], "not a valid project name", "spaces and punctuation"),
        (["--file", "/nonexistent/names.txt"], "--file /nonexistent/names.txt", "missing file"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str, reason: str
) -> None:
    code, _, err = run(args, tmp_path, capsys)
    assert code == 2, reason
    assert message in err


def test_bad_fail_on_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "x", "--fail-on", "severe"])
    assert info.value.code == 2
    assert "unknown severity" in capsys.readouterr().err


def test_names_from_lines() -> None:
    assert names_from_lines(["Django>=4 ; python_version>'3'", "  # c", "-e .", "six."]) == [
        "Django",
        "six",
    ]


def test_shipped_list_date_age_and_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["requests"], tmp_path, capsys)
    age = (datetime.now(UTC).date() - date(2026, 4, 1)).days
    assert code == 0
    assert out.splitlines()[-1] == f"popular list: 2026-04-01, {age} days old (shipped snapshot)"
    warning = f"pypi-sentinel: warning: the popular-projects list is {age} days old (2026-04-01, "
    assert [line for line in err.splitlines() if line.startswith(warning)], err
    assert "`pypi-sentinel run` refreshes it daily" in err


def test_json_names_the_list_date_and_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, err = run(["requests", "--format", "json"], tmp_path, capsys)
    age = (datetime.now(UTC).date() - date(2026, 4, 1)).days
    assert json.loads(out)["popular_list"] == {
        "origin": "snapshot",
        "source": "shipped snapshot",
        "date": "2026-04-01",
        "age_days": age,
        "stale": True,
        "stale_after_days": 60,
    }
    assert "popular-projects list is" in err, "the warning goes to stderr, not into the JSON"


def test_a_recent_cached_list_gives_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_cached_list(tmp_path / "home", days_ago(10))
    _, out, err = run(["requests", "--format", "json"], tmp_path, capsys)
    listed = json.loads(out)["popular_list"]
    assert (listed["origin"], listed["date"], listed["age_days"]) == (
        "cache",
        str(days_ago(10)),
        10,
    )
    assert listed["stale"] is False
    assert "popular-projects list" not in err


def test_an_old_cached_list_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_cached_list(tmp_path / "home", days_ago(61))
    _, out, err = run(["requests"], tmp_path, capsys)
    assert out.splitlines()[-1].endswith("61 days old (refreshed cache)")
    assert "popular-projects list is 61 days old" in err
