"""Settings: one frozen object built once from flags > environment (PYPI_SENTINEL_*) > defaults.

Every option is declared once in OPTIONS; the argparse flags, the environment lookup, the README
table and the error messages all come from that declaration. Nothing else reads os.environ.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
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


def parse_secret(raw: str) -> str | None:
    return raw if raw.strip() else None  # set but empty means unset


def parse_switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "on", "true", "yes"):
        return True
    if value in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"expected on or off, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its field, flag, environment variable, parser and default."""

    field: str
    parse: Callable[[str], Any]
    default: Callable[[], Any]
    help: str
    secret: bool = False
    default_text: str | None = None  # how the README shows a default computed at run time

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.field.upper()

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


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
        lambda: None,
        "Postgres URL; unset starts an embedded server in HOME/pg",
        secret=True,
        default_text="unset: embedded Postgres",
    ),
    Option("pypi_url", parse_http_url, lambda: "https://pypi.org", "PyPI base URL"),
    Option(
        "top_packages_url",
        parse_http_url,
        lambda: "https://hugovk.dev/top-pypi-packages/top-pypi-packages.min.json",
        "popular-projects list (hugovk's top-pypi-packages JSON), refreshed at most daily",
    ),
    Option("log_level", parse_log_level, lambda: "INFO", "log level on stderr"),
    Option(
        "xmlrpc",
        parse_switch,
        lambda: True,
        "follow the XML-RPC changelog; off = RSS + Simple index diff only",
        default_text="`on`",
    ),
    Option("changelog_interval", parse_seconds, lambda: 5.0, "seconds between changelog polls"),
    Option("rss_interval", parse_seconds, lambda: 15.0, "seconds between RSS polls"),
    Option(
        "reconcile_interval",
        parse_seconds,
        lambda: 21600.0,
        "seconds between Simple-index reconciliations (at most 600 with XML-RPC off)",
    ),
    Option("workers", parse_count, lambda: 16, "concurrent release fetches"),
    Option(
        "dashboard_password",
        parse_secret,
        lambda: None,
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
    log_level: str = "INFO"
    xmlrpc: bool = True
    changelog_interval: float = 5.0
    rss_interval: float = 15.0
    reconcile_interval: float = 21600.0
    workers: int = 16
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


def _resolve(opt: Option, environ: Mapping[str, str], flags: Mapping[str, str | None]) -> Any:
    flag_value = flags.get(opt.field)
    if flag_value is not None:
        source, raw = opt.flag, flag_value
    elif opt.env in environ:
        source, raw = opt.env, environ[opt.env]
    else:
        return opt.default()
    try:
        return opt.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """Add one flag per option; absent flags stay absent so the environment can fill them."""
    group = parser.add_argument_group("settings (flag > environment > default)")
    for opt in OPTIONS:
        group.add_argument(
            opt.flag,
            dest=opt.field,
            default=argparse.SUPPRESS,
            metavar=opt.field.upper(),
            help=f"{opt.help} [env {opt.env}]",
        )


def render_settings_table() -> str:
    """The README's configuration table, generated so it cannot drift from OPTIONS."""
    lines = ["| flag | environment | default | meaning |", "|---|---|---|---|"]
    for opt in OPTIONS:
        default = opt.default_text or f"`{opt.default()}`"
        secret = " (secret: never printed)" if opt.secret else ""
        lines.append(f"| `{opt.flag}` | `{opt.env}` | {default} | {opt.help}{secret} |")
    return "\n".join(lines)


def flags_from_namespace(args: argparse.Namespace) -> dict[str, str | None]:
    return {opt.field: getattr(args, opt.field, None) for opt in OPTIONS}
