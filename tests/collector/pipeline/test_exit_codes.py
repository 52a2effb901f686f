"""`run --once`'s exit code and what `status` says after each kind of trouble: PyPI failing one
release (0, listed), PyPI unreachable (3), an alert channel down (3), a bug of ours (0, loudly,
and health says so)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from analysis.model import Assessment, ReleaseSnapshot
from collector.commands.run import once_exit_code, report_once
from collector.output import OutputFormat
from collector.pipeline.runner import OnceResult
from collector.pipeline.workers import DrainResult
from collector.store import PgConnection
from standin import StandInPyPI
from standin.faults import Fault
from tests.collector.pipeline.conftest import CollectorFactory, cli_environment, run_cli

JSON = argparse.Namespace(format=OutputFormat.JSON)


class BuggyFor:
    """Analysis that fails on one project, as a bug in a check would."""

    def __init__(self, project: str) -> None:
        self.project = project

    async def assess(self, snapshot: ReleaseSnapshot, conn: PgConnection) -> Assessment:
        if snapshot.project == self.project:
            raise KeyError("author_email")
        return Assessment.clean()


async def _run_once(
    make_collector: CollectorFactory, start: int, capsys: pytest.CaptureFixture[str], **kw: object
) -> tuple[int, dict[str, object], str]:
    """`run --once --format json` in-process: (exit code, the JSON summary, stderr)."""
    result = await make_collector(**kw).run_once(since_serial=start)
    code = report_once(result, JSON)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


async def test_a_release_pypi_keeps_failing_is_listed_and_the_run_exits_0(
    standin: tuple[StandInPyPI, str],
    make_collector: CollectorFactory,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pypi, base = standin
    start = pypi.last_serial
    pypi.upload("cursed", "1.0")
    pypi.upload("fine", "1.0")
    pypi.faults.add("release_json", Fault.garbage(), times=None, project="cursed")
    code, summary, err = await _run_once(make_collector, start, capsys)
    assert code == 0, err  # PyPI and the database were there: everything storable was stored
    assert summary["failing_by_class"] == {"unreachable": 0, "upstream": 1, "internal": 0}
    (failing,) = summary["failing"]  # type: ignore[misc]
    assert (failing["project"], failing["version"], failing["kind"]) == ("cursed", "1.0", "garbage")
    assert (failing["class"], failing["attempts"]) == ("upstream", 5)
    assert "PyPI keeps failing 1 release(s) and 0 file(s)" in err
    assert "`pypi-sentinel status` lists them" in err

    env = cli_environment(database_url, base, tmp_path / "home")
    code, out, err = await run_cli(env, "status", "--format", "json")
    assert code == 0, err
    status = json.loads(out)
    assert status["healthy"] is True  # PyPI's bad page is no bug of ours
    assert status["errors_by_class"] == {"unreachable": 0, "upstream": 1, "internal": 0}
    (listed,) = status["failing"]
    assert (listed["project"], listed["version"], listed["kind"]) == ("cursed", "1.0", "garbage")
    assert listed["attempts"] == 5
    assert "not JSON" in listed["last_error"]
    code, out, _ = await run_cli(env, "status")
    assert code == 0
    (line,) = [row for row in out.splitlines() if "cursed 1.0" in row]
    assert "upstream/garbage x5" in line
    assert "not JSON" in line


async def test_a_4xx_for_one_release_is_pypi_refusing_it_not_an_outage(
    standin: tuple[StandInPyPI, str],
    make_collector: CollectorFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("locked", "1.0")
    pypi.faults.add("release_json", Fault.status(403), times=None, project="locked")
    code, summary, err = await _run_once(make_collector, start, capsys)
    assert code == 0, err
    (failing,) = summary["failing"]  # type: ignore[misc]
    assert (failing["kind"], failing["class"]) == ("rejected", "upstream")
    assert "HTTP 403" in failing["last_error"]


@pytest.mark.parametrize(
    ("fault", "kind"),
    [(Fault.status(503), "http"), (Fault.disconnect(), "connection")],
    ids=["5xx", "disconnect"],
)
async def test_pypi_unreachable_for_a_release_exits_3_and_says_so(
    standin: tuple[StandInPyPI, str],
    make_collector: CollectorFactory,
    capsys: pytest.CaptureFixture[str],
    fault: Fault,
    kind: str,
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("down", "1.0")
    pypi.upload("cursed", "1.0")
    pypi.faults.add("release_json", fault, times=None, project="down")
    pypi.faults.add("release_json", Fault.garbage(), times=None, project="cursed")
    code, summary, err = await _run_once(make_collector, start, capsys)
    assert code == 3, err
    assert summary["failing_by_class"] == {"unreachable": 1, "upstream": 1, "internal": 0}
    assert {(f["project"], f["kind"]) for f in summary["failing"]} == {  # type: ignore[attr-defined]
        ("down", kind),
        ("cursed", "garbage"),
    }
    assert "PyPI could not be reached for 1 release(s) and 0 file(s) after retries" in err
    assert "PyPI keeps failing 1 release(s)" in err


async def test_an_internal_error_exits_0_loudly_and_makes_health_fail(
    standin: tuple[StandInPyPI, str],
    make_collector: CollectorFactory,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bug is neither PyPI nor the database being away (3 would send people chasing an
    outage), and the run stored everything else (0); but it must not pass unseen: stderr
    shouts, and `status` turns unhealthy and names the release."""
    pypi, base = standin
    start = pypi.last_serial
    pypi.upload("buggy", "1.0")
    pypi.upload("fine", "1.0")
    code, summary, err = await _run_once(make_collector, start, capsys, analyzer=BuggyFor("buggy"))
    assert code == 0, err
    assert summary["failing_by_class"] == {"unreachable": 0, "upstream": 0, "internal": 1}
    assert "INTERNAL ERROR: a bug in pypi-sentinel kept 1 release(s) and 0 file(s)" in err
    assert "buggy 1.0: KeyError: 'author_email'" in err

    env = cli_environment(database_url, base, tmp_path / "home")
    code, out, err = await run_cli(env, "status", "--format", "json")
    assert code == 0, err  # no outage: scripts probing for 3 are not misled
    status = json.loads(out)
    assert status["healthy"] is False
    assert status["errors_by_class"]["internal"] == 1
    (problem,) = status["problems"]
    assert "internal error" in problem
    assert "buggy 1.0" in problem
    (listed,) = status["failing"]
    assert (listed["project"], listed["class"], listed["kind"]) == ("buggy", "internal", "internal")
    code, out, _ = await run_cli(env, "status")
    rows = dict(line.split(None, 1) for line in out.splitlines() if line.startswith("health"))
    assert rows["health"].strip() == "FAILING"


@pytest.mark.parametrize(
    ("undelivered", "code"),
    [(0, 0), (2, 3)],
    ids=["delivered", "channel-down"],
)
def test_alerts_waiting_for_an_unreachable_channel_exit_3(undelivered: int, code: int) -> None:
    """Alerts still in the outbox after the run's retries: a service we depend on could not be
    reached, as with PyPI; they wait there and the next run sends them."""
    result = OnceResult(cursor=10, events=1, drained=DrainResult(1, 0), undelivered=undelivered)
    assert once_exit_code(result) == code
