"""When a source counts as failing and what we advise: one table, a reason per case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collector.health import FAILING_AFTER, check_source
from collector.store.health import SourceHealth

EARLIER = datetime(2026, 12, 1, tzinfo=UTC)


def source(
    name: str = "changelog",
    *,
    succeeded: bool = True,
    failures: int = 0,
    error: str | None = "UpstreamError: changelog_since_serial: HTTP 502",
) -> SourceHealth:
    return SourceHealth(
        source=name,
        last_attempt_at=EARLIER,
        last_success_at=EARLIER if succeeded else None,
        last_error_at=EARLIER if failures else None,
        last_error=error if failures else None,
        consecutive_failures=failures,
        upstream_serial=None,
        detail={},
    )


@pytest.mark.parametrize(
    ("health", "problem"),
    [
        (source(), None),  # working
        (source(failures=FAILING_AFTER - 1), None),  # a bad moment after working: not yet
        (source(failures=FAILING_AFTER), f"failed {FAILING_AFTER} times in a row"),
        (source(succeeded=False, failures=1), "has never succeeded (1 failed attempt)"),
        (source(succeeded=False, failures=4), "has never succeeded (4 failed attempts)"),
        (source(succeeded=False), None),  # attempted, nothing failed (a row seeded by hand)
    ],
)
def test_when_a_source_is_failing(health: SourceHealth, problem: str | None) -> None:
    found = check_source(health)
    assert (found.problem if found else None) == problem


@pytest.mark.parametrize(
    ("name", "error", "xmlrpc_off"),
    [
        ("changelog", "UpstreamError: changelog_last_serial: HTTP 405", True),  # switched off
        ("changelog-head", "UpstreamError: changelog_last_serial: HTTP 404", True),  # removed
        ("changelog", "UpstreamError: changelog_since_serial(5): HTTP 4050", False),  # not a 405
        ("changelog", "UpstreamError: changelog_since_serial(5): HTTP 503", False),  # an outage
        ("rss-updates", "UpstreamError: GET https://pypi.org/rss: HTTP 405", False),  # not XML-RPC
    ],
)
def test_advice_names_the_flag_only_when_xmlrpc_refuses(
    name: str, error: str, xmlrpc_off: bool
) -> None:
    found = check_source(source(name, succeeded=False, failures=1, error=error))
    assert found is not None
    assert ("--xmlrpc off" in found.advice) is xmlrpc_off
    assert str(found).startswith(f"source {name} has never succeeded (1 failed attempt): {error}.")
