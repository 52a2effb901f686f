"""Settings: one frozen object built once from flags > environment (PYPI_SENTINEL_*) > defaults.

Every option is declared once in OPTIONS; the argparse flags, the environment lookup, the README
table and the error messages all come from that declaration. Nothing else reads os.environ.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from collector.errors import ConfigError

ENV_PREFIX = "PYPI_SENTINEL_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def default_home() -> Path:
    """The per-user data folder.

    Root gets /var/lib/pypi-sentinel: the embedded Postgres runs as an unprivileged user and
    needs to traverse every parent of its data dir, which would mean opening up /root.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/pypi-sentinel")
    return platformdirs.user_data_path("pypi-sentinel", appauthor=False)


def parse_path(raw: str) -> Path:
    if not raw.strip():
        raise ValueError("expected a folder path, got an empty value")
    return Path(raw).expanduser().absolute()


def parse_database_url(raw: str) -> str | None:
    if not raw.strip():
        return None  # set but empty means "use the embedded server", like unset
    parts = urlsplit(raw)
    if parts.scheme not in ("postgres", "postgresql"):
        # never echo the value: it may carry a password
        raise ValueError("expected a postgresql:// URL (value not shown: it may hold a password)")
    return raw


def parse_http_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL such as https://pypi.org, got {raw!r}")
    return raw.strip().rstrip("/")


def parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


def parse_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if not 0 < value < 7 * 24 * 3600:
        raise ValueError(f"expected more than 0 and less than a week of seconds, got {raw!r}")
    return value


def parse_count(raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 512:
        raise ValueError(f"expected a whole number from 1 to 512, got {raw!r}")
    return int(raw)


_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(raw: str) -> int:
    """Bytes, with an optional unit: 50MB, 50 MiB, 52428800."""
    text = raw.strip().lower().replace(" ", "")
    number = text.rstrip("kmgib")
    unit = text[len(number) :]
    try:
        value = float(number) * _SIZE_UNITS[unit]
    except (KeyError, ValueError):
        raise ValueError(f"expected a size such as 50MB or 52428800, got {raw!r}") from None
    if not 1024 <= value <= 10 * 1000**3:
        raise ValueError(f"expected a size from 1KiB to 10GB, got {raw!r}")
    return int(value)


def parse_secret(raw: str) -> str | None:
    return raw if raw.strip() else None  # set but empty means unset


def parse_switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "on", "true", "yes"):
        return True
    if value in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"expected on or off, got {raw!r}")


def parse_optional_path(raw: str) -> Path | None:
    return Path(raw.strip()).expanduser() if raw.strip() else None


def parse_optional_url(raw: str) -> str | None:
    """A secret URL (webhooks): never echoed in errors."""
    if not raw.strip():
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s) URL (value not shown: it is a credential)")
    return raw.strip()


def parse_email(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in value):
        raise ValueError(f"expected an email address, got {raw!r}")
    return value


def parse_text(raw: str) -> str | None:
    return raw.strip() or None


def parse_source(raw: str) -> str:
    """A URL (http or https) or a local path."""
    value = raw.strip()
    if not value:
        raise ValueError("expected a URL or a path, got nothing")
    if "://" in value:
        return parse_http_url(value)
    return value


def parse_port(raw: str) -> int:
    if not raw.strip().isdigit() or not 0 <= int(raw) <= 65535:
        raise ValueError(f"expected a port from 0 (off) to 65535, got {raw!r}")
    return int(raw)


def parse_smtp_security(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("starttls", "tls", "none"):
        raise ValueError(f"expected starttls, tls or none, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its field, flag, environment variable, parser and default."""

    field: str
    parse: Callable[[str], Any]
    default: Callable[[], Any] | None  # None (DEFAULT): the Settings field's own default
    help: str
    secret: bool = False
    default_text: str | None = None  # how the README shows a default computed at run time

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.field.upper()

    def initial(self) -> Any:
        """The value when neither a flag nor the environment sets one."""
        if self.default is not None:
            return self.default()
        declared = _SETTINGS_FIELDS[self.field]
        if declared.default_factory is not dataclasses.MISSING:
            return declared.default_factory()
        return declared.default

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


# The default is the Settings field's: written once, there. Only a default computed from the
# machine (the data folder) is a function here.
DEFAULT = None


def cpu_count() -> int:
    return max(1, os.cpu_count() or 1)


OPTIONS: tuple[Option, ...] = (
    Option(
        "home",
        parse_path,
        default_home,
        "data folder (embedded Postgres, caches)",
        default_text="per-user data folder (Linux: `~/.local/share/pypi-sentinel`; as root: `/var/lib/pypi-sentinel`)",
    ),
    Option(
        "database_url",
        parse_database_url,
        DEFAULT,
        "Postgres URL; unset starts an embedded server in HOME/pg",
        secret=True,
        default_text="unset: embedded Postgres",
    ),
    Option("pypi_url", parse_http_url, DEFAULT, "PyPI base URL"),
    Option(
        "top_packages_url",
        parse_http_url,
        DEFAULT,
        "popular-projects list (hugovk's top-pypi-packages JSON), refreshed at most daily",
    ),
    Option(
        "osv_source",
        parse_source,
        DEFAULT,
        "OSV's PyPI advisories dump (URL or local zip): known vulnerabilities and malware",
    ),
    Option(
        "policy",
        parse_optional_path,
        DEFAULT,
        "policy file (a TOML [policy] table): what audit lets through",
        default_text="unset: --fail-on decides",
    ),
    Option("log_level", parse_log_level, DEFAULT, "log level on stderr"),
    Option(
        "xmlrpc",
        parse_switch,
        DEFAULT,
        "follow the XML-RPC changelog; off = RSS + Simple index diff only",
        default_text="`on`",
    ),
    Option("changelog_interval", parse_seconds, DEFAULT, "seconds between changelog polls"),
    Option("rss_interval", parse_seconds, DEFAULT, "seconds between RSS polls"),
    Option(
        "reconcile_interval",
        parse_seconds,
        DEFAULT,
        "seconds between Simple-index reconciliations (at most 600 with XML-RPC off)",
    ),
    Option("workers", parse_count, DEFAULT, "concurrent release fetches"),
    Option(
        "database_patience",
        parse_seconds,
        DEFAULT,
        "seconds `run --once` waits for a lost database before it exits 3",
    ),
    Option(
        "inspect",
        parse_switch,
        DEFAULT,
        "download and read every distribution file for install- and import-time code",
        default_text="`on`",
    ),
    Option("inspect_workers", parse_count, DEFAULT, "concurrent file downloads for inspection"),
    Option(
        "inspect_processes",
        parse_count,
        DEFAULT,
        "processes reading archives (CPU-bound; isolated from the collector)",
        default_text="the number of CPUs",
    ),
    Option(
        "max_file_size",
        parse_size,
        DEFAULT,
        "files larger than this are not downloaded (a finding says so)",
        default_text="`50MB`",
    ),
    Option(
        "slack_webhook_url",
        parse_optional_url,
        DEFAULT,
        "Slack incoming webhook: creates a default subscription (medium and up)",
        secret=True,
        default_text="unset",
    ),
    Option(
        "alert_email",
        parse_email,
        DEFAULT,
        "address for a default email subscription (medium and up; needs the SMTP settings)",
        default_text="unset",
    ),
    Option("smtp_host", parse_text, DEFAULT, "SMTP server for email alerts"),
    Option("smtp_port", parse_port, DEFAULT, "SMTP port"),
    Option("smtp_security", parse_smtp_security, DEFAULT, "starttls, tls (implicit) or none"),
    Option("smtp_username", parse_text, DEFAULT, "SMTP login", default_text="unset"),
    Option(
        "smtp_password",
        parse_secret,
        DEFAULT,
        "SMTP password",
        secret=True,
        default_text="unset",
    ),
    Option("smtp_from", parse_email, DEFAULT, "sender address of alerts"),
    Option(
        "pypi_api_token",
        parse_secret,
        DEFAULT,
        "PyPI API token of an onboarded observer: `report` submits instead of printing the form",
        secret=True,
        default_text="unset",
    ),
    Option("http_host", parse_text, DEFAULT, "address of the feed/health/metrics server"),
    Option("http_port", parse_port, DEFAULT, "port of the feed/health/metrics server (0: off)"),
    Option("index_host", parse_text, DEFAULT, "address of the vetted package index"),
    Option("index_port", parse_port, DEFAULT, "port of the vetted package index"),
    Option(
        "index_cache_size",
        parse_size,
        DEFAULT,
        "disk the vetted index may fill with verified files (least recently used go first)",
        default_text="`2GB`",
    ),
    Option(
        "dashboard_url",
        parse_http_url,
        DEFAULT,
        "dashboard links in alerts",
    ),
    Option(
        "max_lag",
        parse_seconds,
        DEFAULT,
        "/healthz fails when the changelog lags this long",
    ),
    Option(
        "dashboard_password",
        parse_secret,
        DEFAULT,
        "password that unlocks triage, reports and subscriptions in the dashboard",
        secret=True,
        default_text="unset: the dashboard is read-only",
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, resolved once in main() and passed down."""

    home: Path
    database_url: str | None = field(default=None, repr=False)
    pypi_url: str = "https://pypi.org"
    top_packages_url: str = "https://hugovk.dev/top-pypi-packages/top-pypi-packages.min.json"
    osv_source: str = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
    policy: Path | None = None
    log_level: str = "INFO"
    xmlrpc: bool = True
    changelog_interval: float = 5.0
    rss_interval: float = 15.0
    reconcile_interval: float = 21600.0
    workers: int = 32
    database_patience: float = 60.0
    inspect: bool = True
    inspect_workers: int = 4
    inspect_processes: int = field(default_factory=cpu_count)
    max_file_size: int = 50 * 1000**2
    slack_webhook_url: str | None = field(default=None, repr=False)
    alert_email: str | None = None
    smtp_host: str | None = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = "pypi-sentinel@localhost"
    pypi_api_token: str | None = field(default=None, repr=False)
    http_host: str | None = "127.0.0.1"
    http_port: int = 8787
    index_host: str | None = "127.0.0.1"
    index_port: int = 8788
    index_cache_size: int = 2 * 1000**3
    dashboard_url: str = "http://127.0.0.1:8501"
    max_lag: float = 600.0
    dashboard_password: str | None = field(default=None, repr=False)

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def cache_dir(self) -> Path:
        """Downloaded data we can rebuild: the top-packages list."""
        return self.home / "cache"

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    @classmethod
    def load(
        cls, environ: Mapping[str, str], flags: Mapping[str, str | None] | None = None
    ) -> Settings:
        """Resolve each option from its flag, then its environment variable, then its default."""
        flags = flags or {}
        values = {opt.field: _resolve(opt, environ, flags) for opt in OPTIONS}
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_SETTINGS_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _resolve(opt: Option, environ: Mapping[str, str], flags: Mapping[str, str | None]) -> Any:
    flag_value = flags.get(opt.field)
    if flag_value is not None:
        source, raw = opt.flag, flag_value
    elif opt.env in environ:
        source, raw = opt.env, environ[opt.env]
    else:
        return opt.initial()
    try:
        return opt.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


# The settings each kind of work reads, for the flags a command's --help lists. The environment
# sets any of them for every command; a flag before the command name too.
GENERAL = ("home", "database_url", "log_level")
NAMES = ("pypi_url", "top_packages_url")
KNOWN = ("osv_source",)
POLICY = ("policy",)
FOLLOW = (
    "xmlrpc",
    "changelog_interval",
    "rss_interval",
    "reconcile_interval",
    "workers",
    "database_patience",
    "max_lag",
)
INSPECT = ("inspect", "inspect_workers", "inspect_processes", "max_file_size")
ALERTS = (
    "slack_webhook_url",
    "alert_email",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password",
    "smtp_from",
    "dashboard_url",
)
REPORTS = ("pypi_api_token", "dashboard_url")
SERVER = ("http_host", "http_port", "max_lag", "dashboard_url")
INDEX = ("pypi_url", "policy", "index_host", "index_port", "index_cache_size")
DASHBOARD = (
    "dashboard_password",
    "dashboard_url",
    "pypi_url",
    "pypi_api_token",
    "max_lag",
    "xmlrpc",
)


def add_setting_flags(parser: argparse.ArgumentParser, fields: Iterable[str] | None = None) -> None:
    """Add one flag per option (of `fields`, all by default); absent flags stay absent so the
    environment can fill them."""
    wanted = None if fields is None else set(fields)
    group = parser.add_argument_group("settings (flag > environment > default)")
    for opt in OPTIONS:
        if wanted is not None and opt.field not in wanted:
            continue
        group.add_argument(
            opt.flag,
            dest=opt.field,
            default=argparse.SUPPRESS,
            metavar=opt.field.upper(),
            help=f"{opt.help} [env {opt.env}]",
        )


# Read by the test suite, not by the program: no warning for it.
OTHER_VARIABLES = frozenset({ENV_PREFIX + "TEST_DATABASE_URL"})


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """One line per PYPI_SENTINEL_* variable no setting reads (a typo keeps its default in
    silence otherwise), naming the closest real one."""
    known = sorted({opt.env for opt in OPTIONS} | OTHER_VARIABLES)
    suffixes = [k.removeprefix(ENV_PREFIX) for k in known]  # the shared prefix says nothing
    lines = []
    for name in sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known):
        close = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), suffixes, 1, 0.75)
        hint = f"; did you mean {ENV_PREFIX}{close[0]}?" if close else ""
        lines.append(f"{name} is not a pypi-sentinel setting and is ignored{hint}")
    return lines


def render_settings_table() -> str:
    """The README's configuration table, generated so it cannot drift from OPTIONS."""
    lines = ["| flag | environment | default | meaning |", "|---|---|---|---|"]
    for opt in OPTIONS:
        default = opt.default_text or f"`{opt.initial()}`"
        secret = " (secret: never printed)" if opt.secret else ""
        lines.append(f"| `{opt.flag}` | `{opt.env}` | {default} | {opt.help}{secret} |")
    return "\n".join(lines)


def flags_from_namespace(args: argparse.Namespace) -> dict[str, str | None]:
    return {opt.field: getattr(args, opt.field, None) for opt in OPTIONS}
