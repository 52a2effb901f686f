"""`releases` and `status` after a real run against the stand-in: the JSON shapes scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

from standin import StandInPyPI
from tests.collector.pipeline.conftest import cli_environment, run_cli


async def test_releases_lists_every_release_with_files_and_status(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    env = cli_environment(database_url, base, tmp_path / "home")
    start = pypi.last_serial
    pypi.upload("alpha", "1.0")
    pypi.upload("alpha", "1.1")
    pypi.upload("beta", "0.1")
    code, out, err = await run_cli(
        env, "run", "--once", "--since-serial", str(start), "--format", "json"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["schema"] == 1
    assert summary["cursor_serial"] == pypi.last_serial
    assert summary["jobs_processed"] == 3
    pypi.remove_release("alpha", "1.0")
    pypi.quarantine_project("beta")
    code, _, err = await run_cli(env, "run", "--once")
    assert code == 0, err

    code, out, err = await run_cli(env, "releases", "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["schema"] == 1
    by_key = {(r["name"], r["version"]): r for r in payload["releases"]}
    assert set(by_key) == {("alpha", "1.0"), ("alpha", "1.1"), ("beta", "0.1")}
    assert by_key[("alpha", "1.0")]["status"] == "removed"  # a monitor never forgets
    assert by_key[("beta", "0.1")]["status"] == "quarantined"
    assert by_key[("alpha", "1.1")]["status"] == "active"
    for release in payload["releases"]:
        assert isinstance(release["serial"], int)
        assert release["files"], release
        for item in release["files"]:
            assert item["filename"]
            assert len(item["digests"]["sha256"]) == 64
            assert item["url"].startswith(base)

    code, out, _ = await run_cli(
        env, "releases", "--format", "json", "--name", "Alpha", "--status", "removed"
    )
    assert [(r["name"], r["version"]) for r in json.loads(out)["releases"]] == [("alpha", "1.0")]
    code, out, _ = await run_cli(env, "releases")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == [
        "NAME",
        "VERSION",
        "STATUS",
        "FIRST",
        "SEEN",
        "(UTC)",
        "VIA",
        "FILES",
        "RISK",
    ]
    assert len(rows) == 3
    for column in ("VERSION", "STATUS", "VIA", "FILES", "RISK"):
        at = header.index(column)
        assert all(row[at - 2 : at] == "  " and row[at] != " " for row in rows), (column, out)
    assert {tuple(row.split()[:3]) for row in rows} == {
        ("alpha", "1.0", "removed"),
        ("alpha", "1.1", "active"),
        ("beta", "0.1", "quarantined"),
    }


async def test_status_shows_pypi_serial_lag_queue_and_sources(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    env = cli_environment(database_url, base, tmp_path / "home")
    start = pypi.last_serial
    pypi.upload("gamma", "1.0")
    code, _, err = await run_cli(env, "run", "--once", "--since-serial", str(start))
    assert code == 0, err
    caught_up = pypi.last_serial
    pypi.upload("delta", "1.0")  # PyPI moves on after our run
    code, out, err = await run_cli(env, "status", "--format", "json")
    assert code == 0, err
    status = json.loads(out)
    assert status["cursor_serial"] == caught_up
    assert status["pypi_last_serial"] == caught_up  # what PyPI said when we last asked
    assert status["lag"] == {"events": 0, "seconds": 0.0}
    assert status["queue"]["pending"] == 0
    assert "changelog" in status["sources"]
    assert status["sources"]["changelog"]["last_success"] is not None
    assert status["counts"]["releases"] >= 1
