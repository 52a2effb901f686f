"""The README stays true: its commands are what CI runs, its tables match the code."""

from __future__ import annotations

import re
from pathlib import Path

from collector.cli import build_parser
from collector.config import render_settings_table

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _command_after(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", README)
    assert match, f"README lacks the {marker} block"
    return match[1]


def test_settings_table_is_generated_from_the_options() -> None:
    table = README.split("<!-- settings:start -->\n", 1)[1].split("\n<!-- settings:end -->", 1)[0]
    assert table == render_settings_table(), (
        "regenerate with collector.config.render_settings_table()"
    )


def test_ci_runs_the_readme_test_command() -> None:
    command = _command_after("test-command")
    ci = (REPO / ".ci" / "run").read_text()
    assert command in ci.splitlines()
    assert "pytest" in command


def test_main_command_installs_and_starts_the_main_job() -> None:
    command = _command_after("main-command")
    assert "pip install ." in command
    assert command.endswith("pypi-sentinel up")


def test_every_command_is_documented() -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name in subparsers.choices:  # type: ignore[union-attr]
        assert re.search(rf"`{name}[` ]", table), f"README's command table lacks {name}"
