"""`check --metadata`: the release's JSON fetched from (a stand-in) PyPI and every check applied."""

from __future__ import annotations

import json
from pathlib import Path

from standin import StandInPyPI
from tests.collector.pipeline.conftest import cli_environment, run_cli


async def test_metadata_raises_a_bare_name_match_to_high(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("requests", "2.32.3", owner="psf", metadata={"summary": "Python HTTP for Humans."})
    pypi.upload(
        "reqeusts",
        "0.0.1",
        owner="mallory",
        metadata={
            "summary": "Python HTTP for Humans.",
            "description": "",
            "author_email": "x@mailinator.com",
            "home_page": "",
            "project_urls": None,
        },
    )
    code, out, _ = await run_cli(
        cli_environment(None, base, tmp_path), "check", "reqeusts", "--format", "json"
    )
    offline = json.loads(out)["results"][0]
    assert (code, offline["severity"], offline["metadata"]) == (
        1,
        "low",
        False,
    )  # a name alone: low
    code, out, err = await run_cli(
        cli_environment(None, base, tmp_path), "check", "reqeusts", "--metadata", "--format", "json"
    )
    assert code == 1, err
    (result,) = json.loads(out)["results"]
    assert result["version"] == "0.0.1"
    assert result["severity"] in ("high", "critical")  # with suspicious metadata: high
    assert result["matches"][0]["target"] == "requests"


async def test_a_name_pypi_does_not_know_is_reported_and_the_others_still_checked(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("requests", "2.32.3", owner="psf", metadata={"summary": "Python HTTP for Humans."})
    pypi.upload("tidy-helpers", "1.0")
    env = cli_environment(None, base, tmp_path)
    names = ["no-such-project-here", "tidy-helpers", "tidy-helpers==9.9"]
    code, out, err = await run_cli(
        env, "check", *names, "--metadata", "--fail-on", "medium", "--format", "json"
    )
    assert code == 2, "some names were not checked on PyPI, and no verdict fails the run"
    assert "Traceback" not in err
    unknown, known, missing_version = json.loads(out)["results"]
    assert "not on PyPI" in unknown["error"]
    assert unknown["metadata"] is False
    assert (known["error"], known["version"], known["metadata"]) == (None, "1.0", True)
    assert "9.9 is not on PyPI" in missing_version["error"]
    code, out, _ = await run_cli(env, "check", "no-such-project-here", "reqeusts", "--metadata")
    assert code == 1, "a flagged name matters more than an unknown one"
    assert "! no-such-project-here is not on PyPI" in out
    assert "reqeusts: low" in out, "its name verdict stands even though PyPI has no release"
