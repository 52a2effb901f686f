"""Settings: flag > environment > default, and one clear line naming a bad setting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from collector.cli import main
from collector.config import OPTIONS, Settings, default_home, unknown_variables
from collector.errors import ConfigError

SECRET_URL = "postgresql://sentinel:hunter2-secret@db.example:5432/sentinel"


def test_defaults_with_nothing_configured() -> None:
    settings = Settings.load({})
    assert settings.database_url is None  # embedded server
    assert settings.pypi_url == "https://pypi.org"
    assert settings.log_level == "INFO"
    assert settings.home == default_home()
    assert settings.pg_dir == default_home() / "pg"


@pytest.mark.parametrize(
    ("environ", "flags", "expected"),
    [
        ({}, {}, "https://pypi.org"),  # default
        ({"PYPI_SENTINEL_PYPI_URL": "http://127.0.0.1:9"}, {}, "http://127.0.0.1:9"),  # env
        (
            {"PYPI_SENTINEL_PYPI_URL": "http://127.0.0.1:9"},
            {"pypi_url": "https://test.pypi.org/"},
            "https://test.pypi.org",  # flag beats env; trailing slash dropped
        ),
        ({}, {"pypi_url": None}, "https://pypi.org"),  # an absent flag does not hide the default
    ],
)
def test_precedence(environ: dict[str, str], flags: dict[str, str | None], expected: str) -> None:
    assert Settings.load(environ, flags).pypi_url == expected


def test_home_from_environment_and_flag(tmp_path: Path) -> None:
    env = {"PYPI_SENTINEL_HOME": str(tmp_path / "env")}
    assert Settings.load(env).home == tmp_path / "env"
    assert Settings.load(env, {"home": str(tmp_path / "flag")}).home == tmp_path / "flag"


def test_empty_database_url_means_embedded() -> None:
    assert Settings.load({"PYPI_SENTINEL_DATABASE_URL": ""}).database_url is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"PYPI_SENTINEL_PYPI_URL": "ftp://pypi.org"},
            "PYPI_SENTINEL_PYPI_URL: expected an http(s) URL",
        ),
        ({"PYPI_SENTINEL_PYPI_URL": "pypi.org"}, "PYPI_SENTINEL_PYPI_URL: expected an http(s) URL"),
        ({"PYPI_SENTINEL_LOG_LEVEL": "loud"}, "PYPI_SENTINEL_LOG_LEVEL: expected one of DEBUG"),
        ({"PYPI_SENTINEL_HOME": "  "}, "PYPI_SENTINEL_HOME: expected a folder path"),
        (
            {"PYPI_SENTINEL_DATABASE_URL": "mysql://u:pw@h/db"},
            "PYPI_SENTINEL_DATABASE_URL: expected a postgresql:// URL",
        ),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.load(environ)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_bad_flag_names_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"^--log-level: expected one of"):
        Settings.load({}, {"log_level": "chatty"})


def test_secrets_stay_out_of_repr_and_errors() -> None:
    settings = Settings.load({"PYPI_SENTINEL_DATABASE_URL": SECRET_URL})
    assert settings.database_url == SECRET_URL
    assert "hunter2" not in repr(settings)
    with pytest.raises(ConfigError) as info:
        Settings.load({"PYPI_SENTINEL_DATABASE_URL": "mysql://u:hunter2@h/db"})
    assert "hunter2" not in str(info.value)


def test_every_option_has_env_and_flag_names() -> None:
    fields = set(Settings.__dataclass_fields__)
    for opt in OPTIONS:
        assert opt.field in fields
        assert opt.env == "PYPI_SENTINEL_" + opt.field.upper()
        assert opt.flag == "--" + opt.field.replace("_", "-")


def test_cli_bad_value_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYPI_SENTINEL_PYPI_URL", "gopher://x")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "PYPI_SENTINEL_PYPI_URL" in err


def test_cli_flag_overrides_bad_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYPI_SENTINEL_LOG_LEVEL", "loud")
    # the flag wins, so the bad env value is never parsed; `check` then wants a name
    assert main(["--log-level", "debug", "check"]) == 2
    assert "give at least one NAME" in capsys.readouterr().err


def test_secret_database_url_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 1 on localhost refuses connections: the error must not echo the password.
    monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", "postgresql://u:hunter2@127.0.0.1:1/db")
    assert main(["status"]) == 3
    out = capsys.readouterr()
    assert "hunter2" not in out.err + out.out
    assert "127.0.0.1" in out.err


def test_every_default_survives_a_round_trip_through_the_environment() -> None:
    # The dashboard gets its settings as environment variables: each default must parse back.
    from collector.commands.dashboard import settings_environment

    settings = Settings.load({})
    environ = settings_environment(settings, {})
    assert Settings.load(environ) == settings


@pytest.mark.parametrize(
    ("environ", "lines"),
    [
        ({"PYPI_SENTINEL_DATABASE_URL": "x", "PATH": "/bin"}, []),
        ({"PYPI_SENTINEL_TEST_DATABASE_URL": "x"}, []),
        (
            {"PYPI_SENTINEL_DATABSE_URL": "x"},
            [
                "PYPI_SENTINEL_DATABSE_URL is not a pypi-sentinel setting and is ignored; "
                "did you mean PYPI_SENTINEL_DATABASE_URL?"
            ],
        ),
        (
            {"PYPI_SENTINEL_COLOUR": "x", "PYPI_SENTINEL_SLACK_WEBHOOK": "y"},
            [
                "PYPI_SENTINEL_COLOUR is not a pypi-sentinel setting and is ignored",
                "PYPI_SENTINEL_SLACK_WEBHOOK is not a pypi-sentinel setting and is ignored; "
                "did you mean PYPI_SENTINEL_SLACK_WEBHOOK_URL?",
            ],
        ),
    ],
)
def test_unknown_variables_are_named_with_the_closest_setting(
    environ: dict[str, str], lines: list[str]
) -> None:
    assert unknown_variables(environ) == lines


def test_each_default_is_written_once() -> None:
    """An option's default is its Settings field's; only an option whose field has none (the
    data folder, found on the machine) computes its own. Two sources could disagree again."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    for opt in OPTIONS:
        declared = fields[opt.field]
        has_own = (
            declared.default is not dataclasses.MISSING
            or declared.default_factory is not dataclasses.MISSING
        )
        assert has_own != (opt.default is not None), opt.field
    assert Settings.load({}).inspect_processes == Settings(home=Path("/h")).inspect_processes
