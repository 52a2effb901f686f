"""From upload to alert, as a user runs it: subscribe, run --once, the alert arrives, findings list it."""

from __future__ import annotations

import json
from pathlib import Path

from standin import StandInPyPI
from tests.collector.pipeline.conftest import cli_environment, run_cli
from tests.servers import Sink


def _squat(pypi: StandInPyPI) -> int:
    pypi.upload(
        "requests",
        "2.32.3",
        owner="psf",
        metadata={"summary": "Python HTTP for Humans.", "author": "Kenneth Reitz"},
    )
    start = pypi.last_serial
    pypi.upload(
        "reqeusts",
        "0.0.1",
        owner="mallory",  # a shared owner would mean "not a squat"
        metadata={
            "summary": "Python HTTP for Humans.",
            "description": "",
            "author": "Kenneth Reitz",
            "author_email": "x@mailinator.com",
            "home_page": "",
            "project_urls": None,
        },
    )
    return start


async def test_subscribe_run_alert_and_findings(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path, sink: Sink
) -> None:
    pypi, base = standin
    env = cli_environment(database_url, base, tmp_path / "home")
    code, out, err = await run_cli(
        env, "subscribe", "add", "team", "--slack", f"{sink.base}/team", "--watch", "requests"
    )
    assert code == 0, err
    assert "…" in out
    assert "/team" not in out
    code, _, err = await run_cli(
        env, "subscribe", "add", "flask-only", "--webhook", f"{sink.base}/flask", "--watch", "flask"
    )
    assert code == 0, err
    start = _squat(pypi)
    code, out, err = await run_cli(
        env, "run", "--once", "--since-serial", str(start), "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["alerts_undelivered"] == 0
    (message,) = sink.at("/team")
    assert "reqeusts 0.0.1 imitates requests" in message.json()["text"]
    assert sink.at("/flask") == []  # it watches flask, not requests

    code, out, err = await run_cli(env, "findings", "--format", "json", "--min-severity", "high")
    assert code == 0, err
    findings = json.loads(out)["findings"]
    assert findings
    for finding in findings:
        assert set(finding) >= {
            "check",
            "evidence",
            "first_seen",
            "name",
            "score",
            "severity",
            "status",
            "summary",
            "version",
        }
        assert (finding["name"], finding["version"], finding["status"]) == (
            "reqeusts",
            "0.0.1",
            "new",
        )
    assert any(f["check"] == "release.assessment" for f in findings)

    code, _, err = await run_cli(env, "run", "--once")
    assert code == 0, err
    assert len(sink.at("/team")) == 1  # delivered once, not again

    code, out, _ = await run_cli(env, "subscribe", "list", "--format", "json")
    team = next(s for s in json.loads(out)["subscriptions"] if s["name"] == "team")
    assert (team["pending"], team["dead"], team["last_error"]) == (0, 0, None)
    assert team["last_sent_at"] is not None


async def test_one_env_var_is_the_whole_alert_setup(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path, sink: Sink
) -> None:
    pypi, base = standin
    env = cli_environment(
        database_url, base, tmp_path / "home", PYPI_SENTINEL_SLACK_WEBHOOK_URL=f"{sink.base}/env"
    )
    start = _squat(pypi)
    code, _, err = await run_cli(env, "run", "--once", "--since-serial", str(start))
    assert code == 0, err
    (message,) = sink.at("/env")
    assert "reqeusts 0.0.1" in message.json()["text"]
    env.pop("PYPI_SENTINEL_SLACK_WEBHOOK_URL")  # unset: the default subscription switches off
    code, out, _ = await run_cli(env, "run", "--once")
    assert code == 0
    code, out, _ = await run_cli(env, "subscribe", "list", "--format", "json")
    (sub,) = json.loads(out)["subscriptions"]
    assert (sub["name"], sub["enabled"], sub["min_severity"]) == ("env-slack", False, "medium")
