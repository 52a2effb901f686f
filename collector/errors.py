"""Errors raised by the collector, translated from third-party exceptions at one boundary each.

    SentinelError                 root; carries the CLI exit code
    ├── ConfigError               a setting has a bad value (exit 2)
    ├── UsageError                a command was asked for something it cannot do (exit 2)
    ├── SchemaError               migrations do not match the database (exit 2)
    └── UnavailableError          something we depend on cannot be reached (exit 3)
        ├── DatabaseUnavailable   Postgres refused, timed out or could not be started
        └── UpstreamError         a request to PyPI (or another upstream) failed; `kind` says how:
                                  timeout, connection, http (5xx), rate_limited, fault,
                                  garbage, rejected (4xx)

Expected outcomes (a 404, a quarantined release, a page still stale after retries) are values,
not exceptions; these classes are for what stops a command.
"""

from __future__ import annotations


class SentinelError(Exception):
    """pypi-sentinel failed."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())


class ConfigError(SentinelError):
    """A setting has a bad value."""

    exit_code = 2


class UsageError(SentinelError):
    """The command cannot do what was asked."""

    exit_code = 2


class SchemaError(SentinelError):
    """The database schema does not match this program's migrations."""

    exit_code = 2


class UnavailableError(SentinelError):
    """A service we depend on is unavailable."""

    exit_code = 3


class DatabaseUnavailable(UnavailableError):
    """The database is unavailable."""


class UpstreamError(UnavailableError):
    """PyPI is unavailable."""

    def __init__(self, kind: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after  # seconds the upstream asked us to wait, if it said
