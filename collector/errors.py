"""Errors raised by the collector, translated from third-party exceptions at one boundary each.

Every exception that crosses a module, where it is defined, and who catches it:

    SentinelError                 root; carries the CLI exit code (2 unless a subclass says
    │                             otherwise: an error nobody classified is not "findings")
    ├── ConfigError               a setting has a bad value (exit 2)
    ├── UsageError                a command was asked for something it cannot do (exit 2)
    ├── SchemaError               migrations do not match the database (exit 2)
    ├── CursorMoved               collector/store/changelog.py: another process moved the
    │                             changelog cursor; the follower reloads it and fetches again
    ├── RefusedReport             collector/reports/service.py: PyPI refused a report (exit 2)
    └── UnavailableError          something we depend on cannot be reached (exit 3)
        ├── DatabaseUnavailable   Postgres refused, timed out or could not be started
        └── UpstreamError         a request to PyPI (or another upstream) failed; `kind`
                                  (UpstreamKind) says how

    GarbageError (ValueError)     collector/pypi/changelog.py: an XML-RPC payload of the wrong
                                  shape; the changelog client turns it into UpstreamError
    InspectionFailed              collector/pipeline/inspector.py: a reader process died or ran
                                  out of time on one file; the artifact worker records it
    DeliveryError                 collector/alerts/notifiers.py: a channel refused an alert
                                  (`permanent`, `retry_after`); the sender retries or gives up
    DuplicateName                 dashboard/queries: a subscription name already taken; the
                                  Subscriptions page says so in one line

The analysis core's own errors are drawn in analysis/errors.py. Expected outcomes (a 404, a
quarantined release, a page still stale after retries) are values, not exceptions; these
classes are for what stops a command or a piece of work.
"""

from __future__ import annotations

from typing import Literal

# How a request upstream failed: timed out, could not connect, PyPI failing (5xx), asked us to
# slow down (429), an XML-RPC fault, an answer of the wrong shape, refused (4xx), not there, or
# an alert channel (Slack, a webhook, SMTP) refusing a message.
UpstreamKind = Literal[
    "connection",
    "delivery",
    "fault",
    "garbage",
    "http",
    "not_found",
    "rate_limited",
    "rejected",
    "timeout",
]


class SentinelError(Exception):
    """pypi-sentinel failed."""

    exit_code = 2  # 1 means findings at or above --fail-on: never an error's code

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

    def __init__(
        self, kind: UpstreamKind, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after  # seconds the upstream asked us to wait, if it said
