"""The command line: subcommands, status output and exit codes, run as a user would run them."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from collector.cli import SETTINGS_OF, build_parser, main, parse_arguments
from collector.config import OPTIONS
from collector.store.embedded import EmbeddedPostgres
from collector.store.migrate import LATEST_VERSION
from tests.collector.popular_list import days_ago, write_cached_list
from tests.conftest import CLI

COMMANDS = (
    "up",
    "run",
    "check",
    "audit",
    "findings",
    "releases",
    "status",
    "dashboard",
    "demo",
    "subscribe",
    "report",
    "osv",
    "index",
    "approve",
    "deny",
    "pending",
    "approvals",
    "db",
)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("argv", "command", "reason"),
    [
        (["check", "x", "--format", "json"], "check", "the usual case"),
        (["--home", "check", "run", "--once"], "run", "a value that is a command's name"),
        (["--home", "run", "check", "x"], "check", "the first command-like word is a value"),
        (["--home", "check", "status"], "status", "a bare command after it"),
    ],
)
def test_the_named_command_is_parsed_in_full(argv: list[str], command: str, reason: str) -> None:
    args = parse_arguments(argv)
    assert args.command == command, reason
    assert args == build_parser().parse_args(argv), "the same as with every command loaded"


def test_check_starts_without_the_collector_pipeline(tmp_path: Path) -> None:
    """Start-up was most of a `check` run: it must not import the HTTP and database stack."""
    code = (
        "import sys; from collector.cli import main; "
        f"code = main(['check', 'requests', '--home', {str(tmp_path)!r}]); "
        "print(code, sorted(m for m in ('aiohttp', 'asyncpg', 'apscheduler') if m in sys.modules))"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr


def test_help_lists_every_command(cli_env: dict[str, str]) -> None:
    result = _run(["--help"], cli_env)
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    assert set(COMMANDS) <= listed


def test_module_entry_point_works(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "collector", "--help"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "pypi-sentinel" in result.stdout


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


def test_each_command_lists_the_settings_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert set(SETTINGS_OF) == set(COMMANDS) | {"scan"}
    fields = {opt.field for opt in OPTIONS}
    assert all(set(wanted) <= fields for wanted in SETTINGS_OF.values())
    listed = {name: _help(name, capsys) for name in SETTINGS_OF}
    assert all(opt.flag in listed["up"] for opt in OPTIONS)
    assert "--database-url" in listed["findings"]
    for flag in ("--smtp-host", "--slack-webhook-url", "--workers", "--http-port"):
        assert flag not in listed["findings"], flag
    assert "--smtp-host" in listed["subscribe"]
    assert "--inspect-processes" in listed["scan"]
    assert "--inspect-processes" not in listed["check"]
    for flag in ("--index-host", "--index-port", "--pypi-url", "--policy"):
        assert flag in listed["index"], flag


def test_a_setting_a_command_does_not_read_is_a_usage_error_after_it_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["findings", "--smtp-host", "mail.example.org", "--limit", "1"])
    assert exited.value.code == 2
    assert "--smtp-host" in capsys.readouterr().err
    args = build_parser().parse_args(["--smtp-host", "mail.example.org", "findings"])
    assert args.smtp_host == "mail.example.org"  # before the command, as every command took it


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


async def _seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            INSERT INTO projects (normalized, name) VALUES ('reqeusts', 'reqeusts');
            INSERT INTO releases (project, version, first_seen_source) VALUES ('reqeusts', '1.0', 'changelog');
            INSERT INTO findings (release_id, project, version, check_id, severity, score, summary, target)
                SELECT id, 'reqeusts', '1.0', 'typosquat.swapped-chars', 'high', 80, 'imitates requests', 'requests'
                FROM releases;
            INSERT INTO collector_cursor (name, serial) VALUES ('changelog', 4242);
            """
        )
    finally:
        await conn.close()


def test_status_json_reports_cursor_and_counts(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_seed(database_url))
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", database_url)
    assert main(["status", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["schema"] == 1
    assert payload["cursor_serial"] == 4242
    assert payload["database"]["kind"] == "external"
    assert payload["database"]["schema_version"] == LATEST_VERSION
    assert payload["counts"]["projects"] == 1
    assert payload["counts"]["releases"] == 1
    assert payload["counts"]["findings"] == 1
    assert payload["counts"]["changelog_events"] == 0
    assert payload["findings_by_severity"]["high"] == 1


def test_status_text(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", database_url)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "cursor serial" in out
    assert "not started" in out


def test_status_names_the_list_the_collector_uses(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", database_url)
    monkeypatch.setenv("PYPI_SENTINEL_HOME", str(tmp_path / "home"))
    assert main(["status"]) == 0
    captured = capsys.readouterr()
    age = (datetime.now(UTC).date() - date(2026, 4, 1)).days
    assert f"2026-04-01, {age} days old (shipped snapshot)" in captured.out
    assert "popular-projects list is" in captured.err
    write_cached_list(tmp_path / "home", days_ago(3))
    assert main(["status", "--format", "json"]) == 0
    captured = capsys.readouterr()
    listed = json.loads(captured.out)["popular_list"]
    assert (listed["origin"], listed["age_days"], listed["stale"]) == ("cache", 3, False)
    assert "popular-projects list" not in captured.err


def test_status_with_unreachable_database_exits_3(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "PYPI_SENTINEL_DATABASE_URL": "postgresql://sentinel:pw@127.0.0.1:1/sentinel"}
    result = _run(["status", "--format", "json"], env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert "database unavailable" in result.stderr
    assert "127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelt_variable_is_a_warning_naming_the_setting(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", database_url)
    monkeypatch.setenv("PYPI_SENTINEL_LOGLEVEL", "debug")
    assert main(["status", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["schema"] == 1
    warnings = [line for line in captured.err.splitlines() if "popular-projects" not in line]
    assert warnings == [
        "pypi-sentinel: warning: PYPI_SENTINEL_LOGLEVEL is not a pypi-sentinel setting and is "
        "ignored; did you mean PYPI_SENTINEL_LOG_LEVEL?"
    ]


def test_db_upgrade_then_current(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert f"schema is up to date (version {LATEST_VERSION})" in capsys.readouterr().out
    assert main(["db", "current", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "schema": 1,
        "schema_version": LATEST_VERSION,
        "latest_version": LATEST_VERSION,
    }


@pytest.mark.slow
def test_status_with_nothing_configured_uses_embedded_store_that_persists(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    first = _run(["status", "--format", "json"], cli_env)
    assert first.returncode == 0, first.stderr
    payload = json.loads(first.stdout)
    pgdata = Path(cli_env["PYPI_SENTINEL_HOME"]) / "pg"
    assert payload["database"] == {
        "kind": "embedded",
        "url": str(pgdata.resolve()),
        "server_version": payload["database"]["server_version"],
        "schema_version": LATEST_VERSION,
    }
    assert payload["cursor_serial"] is None

    # Another run writes to the same store...
    server = EmbeddedPostgres(pgdata)
    uri = server.start()
    try:
        asyncio.run(_seed(uri))
    finally:
        server.stop()

    # ...and the next run sees it.
    second = _run(["status", "--format", "json"], cli_env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["cursor_serial"] == 4242
    assert not (pgdata / "postmaster.pid").exists()  # every run stopped the server it started


@pytest.mark.parametrize(
    "args",
    [
        ["findings", "--format", "json"],
        ["findings"],
        ["check", "reqeusts", "requests", "--format", "json"],
    ],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(
    database_url: str, cli_env: dict[str, str], args: list[str]
) -> None:
    """`pypi-sentinel findings | head`: no traceback, the status of a process ended by SIGPIPE."""
    asyncio.run(_seed(database_url))
    write_cached_list(Path(cli_env["PYPI_SENTINEL_HOME"]), days_ago(1))  # no warning on stderr
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first byte, as `head` is after its lines
    try:
        result = subprocess.run(
            [CLI, *args],
            env={**cli_env, "PYPI_SENTINEL_DATABASE_URL": database_url},
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(writer)
    assert result.stderr == ""
    assert result.returncode == 141


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["findings", "--limit", "-5"], "a negative LIMIT reached the database"),
        (["findings", "--limit", "many"], "not a number"),
        (["releases", "--limit", "-1"], "a negative limit"),
        (["run", "--since-serial", "-3"], "a serial before the first"),
        (["up", "--since-serial", "-3"], "a serial before the first"),
        (["up", "--port", "70000"], "no such port"),
        (["dashboard", "--port", "0"], "a random port the logged URL would not name"),
        (["dashboard", "--port", "-1"], "no such port"),
        (["demo", "--rate", "0"], "no uploads at all"),
        (["demo", "--rate", "nan"], "not a rate"),
        (["demo", "--duration", "-10"], "a negative duration"),
        (["demo", "--backfill", "-1"], "a negative count"),
        (["demo", "--port", "65536"], "no such port"),
    ],
)
def test_a_bad_number_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str], reason: str
) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(args)
    assert info.value.code == 2, reason
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert args[1] in err


def test_a_busy_dashboard_port_fails_before_announcing_its_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["dashboard", "--port", str(port), "--home", str(tmp_path / "home")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"127.0.0.1:{port} is already in use" in err
    assert "http://" not in err, "no URL that does not answer"
    assert len(err.splitlines()) == 1, err


def test_findings_default_to_low_and_above_newest_first(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_seed(database_url))  # a high finding
    later = datetime(2030, 1, 2, tzinfo=UTC)
    asyncio.run(_add_findings(database_url, ("info", later), ("low", later - timedelta(days=1))))
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", database_url)
    assert main(["findings", "--format", "json"]) == 0
    shown = [f["severity"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert shown == ["low", "high"], "info findings are context, not what a person looks for"
    assert main(["findings", "--format", "json", "--min-severity", "info"]) == 0
    shown = [f["severity"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert shown == ["info", "low", "high"]


async def _add_findings(url: str, *rows: tuple[str, datetime]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for severity, day in rows:
            await conn.execute(
                "INSERT INTO findings (release_id, project, version, check_id, severity, score, "
                "summary, first_seen_at) SELECT id, project, version, 'metadata.' || $1, "
                "$1::severity, 5, 'a finding', $2 FROM releases",
                severity,
                day,
            )
    finally:
        await conn.close()
