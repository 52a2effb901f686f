"""`audit --format sarif`: a SARIF 2.1.0 log GitHub code scanning can read, checked against the
OASIS schema, each result at the line that declares the dependency."""

from __future__ import annotations

import asyncio
import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from collector.cli import main
from tests.collector.commands.store_seed import MALWARE, VULNERABILITY, seed_store
from tests.collector.commands.test_audit import audit, write

SCHEMA = json.loads((Path(__file__).parents[2] / "data" / "sarif-schema-2.1.0.json").read_text())
# GitHub's bands for security-severity, by the level our severity gives.
BANDS = {"error": (7.0, 10.0), "warning": (4.0, 6.9), "note": (0.1, 3.9)}


def valid(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    jsonschema.Draft7Validator(SCHEMA, format_checker=checker).validate(log)
    return log


def placed(result: dict[str, Any]) -> tuple[str, str, int]:
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    return result["ruleId"], physical["artifactLocation"]["uri"], physical["region"]["startLine"]


REQUIREMENTS = """\
leftpadx>=1
reqeusts==2.31.0
evilx==0.1
attrs==23.1.0
six==1.16.0
"""


async def test_every_kind_of_result_with_its_rule_line_and_fingerprint(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = await seed_store(tmp_path, database_url, capsys)
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "requirements.txt", REQUIREMENTS)
    write(tmp_path, "policy.toml", '[policy]\ndeny = ["attrs"]\n')
    args = ["audit", "requirements.txt", "--resolve", "--policy", "policy.toml", *home]
    code = await asyncio.to_thread(main, [*args, "--format", "sarif"])
    log = valid(capsys.readouterr().out)
    assert code == 1, "the policy fails the run: attrs is denied, evilx is malware"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("pypi-sentinel", version("pypi-sentinel"))
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for rule in rules:
        low, high = BANDS[rule["defaultConfiguration"]["level"]]
        assert low <= float(rule["properties"]["security-severity"]) <= high, rule["id"]
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]

    results = run["results"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert {placed(r) for r in results} == {
        ("pypi-sentinel/stored-finding-medium", "requirements.txt", 1),
        ("pypi-sentinel/known-vulnerability", "requirements.txt", 1),
        ("pypi-sentinel/policy-violation", "requirements.txt", 1),  # the vulnerability
        ("pypi-sentinel/typosquat-name", "requirements.txt", 2),
        ("pypi-sentinel/known-malware", "requirements.txt", 3),
        # The monitor's own verdict on evilx 0.1: critical since the sync reported the release.
        ("pypi-sentinel/stored-finding-critical", "requirements.txt", 3),
        ("pypi-sentinel/policy-violation", "requirements.txt", 3),
        ("pypi-sentinel/policy-violation", "requirements.txt", 4),
    }, "six, clean, gives no result"
    by_rule = {r["ruleId"]: r for r in results}
    vulnerable = by_rule["pypi-sentinel/known-vulnerability"]
    assert vulnerable["level"] == "error"
    assert vulnerable["message"]["text"].startswith(
        f"leftpadx 1.5 (resolved from the store) is affected by {VULNERABILITY}"
    )
    assert vulnerable["message"]["text"].endswith("; fixed in 1.6")
    assert by_rule["pypi-sentinel/known-malware"]["message"]["text"].startswith(
        f"evilx 0.1 is known malware: {MALWARE}"
    )
    assert by_rule["pypi-sentinel/stored-finding-medium"]["level"] == "warning"
    assert (
        "metadata.url-dependency"
        in by_rule["pypi-sentinel/stored-finding-medium"]["message"]["text"]
    )
    assert by_rule["pypi-sentinel/typosquat-name"]["level"] == "note"
    assert by_rule["pypi-sentinel/typosquat-name"]["message"]["text"].startswith("reqeusts 2.31.0")

    fingerprints = [r["partialFingerprints"] for r in results]
    assert len({json.dumps(f) for f in fingerprints}) == len(results), "one alert per result"
    await asyncio.to_thread(main, [*args, "--format", "sarif"])
    again = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in again] == fingerprints, "stable across runs"


def test_included_files_and_documents_without_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    write(tmp_path, "sub/more.txt", "attrs\n\nreqeusts\n")
    write(tmp_path, "requirements.txt", "six\n-r sub/more.txt\n")
    write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["six", "colourama"]\n')

    code, out, _ = audit(
        ["requirements.txt", "--no-store", "--format", "sarif", "--fail-on", "high"],
        tmp_path,
        capsys,
    )
    assert code == 0, "--fail-on decides the exit code, not what the log lists"
    (result,) = valid(out)["runs"][0]["results"]
    assert placed(result) == ("pypi-sentinel/typosquat-name", "sub/more.txt", 3)
    assert result["message"]["text"].startswith("reqeusts (no version pinned): name verdict low")

    code, out, _ = audit(["pyproject.toml", "--no-store", "--format", "sarif"], tmp_path, capsys)
    assert code == 1
    (result,) = valid(out)["runs"][0]["results"]
    assert placed(result) == ("pypi-sentinel/typosquat-name", "pyproject.toml", 1)


def test_a_clean_file_gives_a_valid_log_with_no_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.16.0\n")
    code, out, _ = audit([str(path), "--no-store", "--format", "sarif"], tmp_path, capsys)
    assert code == 0
    log = valid(out)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 8
