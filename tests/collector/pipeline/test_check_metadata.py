"""`check --metadata`: the release's JSON fetched from (a stand-in) PyPI and every check applied."""

from __future__ import annotations

import json
from pathlib import Path

from collector.standin import StandInPyPI
from tests.collector.pipeline.conftest import cli_environment, run_cli


async def test_metadata_raises_a_bare_name_match_to_high(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("requests", "2.32.3", owner="psf", metadata={"summary": "Python HTTP for Humans."})
    pypi.upload("reqeusts", "0.0.1", owner="mallory", metadata={
        "summary": "Python HTTP for Humans.", "description": "", "author_email": "x@mailinator.com",
        "home_page": "", "project_urls": None})  # fmt: skip
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


async def test_metadata_for_a_name_not_on_pypi_is_a_usage_error(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    _, base = standin
    code, _, err = await run_cli(
        cli_environment(None, base, tmp_path), "check", "no-such-project-here", "--metadata"
    )
    assert code == 2
    assert "not on PyPI" in err
