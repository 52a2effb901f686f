"""When a PyPI source counts as failing, and what to do about it, when our own bugs make the
collector unhealthy, and how far the changelog lags: one rule for /healthz, `status` and the
dashboard, so none of them says "ok" while a source keeps failing or releases cannot be stored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.store.health import SourceHealth
from collector.store.jobs import FailingJob

# Failed polls in a row before a source that has worked counts as failing: one or two are
# PyPI's ordinary bad moments (each poll has already retried), three in a row is an outage.
FAILING_AFTER = 3

# XML-RPC answering "not allowed / not there / gone" is PyPI switching it off, not an outage.
_XMLRPC_REFUSED = re.compile(r"HTTP (400|403|404|405|410|501)\b")


@dataclass(frozen=True, slots=True)
class SourceProblem:
    source: str
    problem: str  # "has never succeeded (4 attempts)", "failed 3 times in a row"
    last_error: str | None
    advice: str

    def __str__(self) -> str:
        error = f": {self.last_error}" if self.last_error else ""
        return f"source {self.source} {self.problem}{error}. {self.advice}"


def check_source(source: SourceHealth) -> SourceProblem | None:
    """A source that failed and never succeeded, or failed FAILING_AFTER times in a row."""
    failures = source.consecutive_failures
    if failures and source.last_success_at is None:
        problem = f"has never succeeded ({failures} failed attempt{'s' if failures > 1 else ''})"
    elif failures >= FAILING_AFTER:
        problem = f"failed {failures} times in a row"
    else:
        return None
    return SourceProblem(source.source, problem, source.last_error, advice(source))


def check_sources(sources: Iterable[SourceHealth]) -> list[SourceProblem]:
    return [p for p in map(check_source, sources) if p is not None]


def advice(source: SourceHealth) -> str:
    error = source.last_error or ""
    if source.source.startswith("changelog") and _XMLRPC_REFUSED.search(error):
        return (
            "PyPI's XML-RPC refuses the changelog calls: run with --xmlrpc off "
            "(PYPI_SENTINEL_XMLRPC=off) to follow uploads through RSS and the Simple index."
        )
    return (
        "Check that --pypi-url (PYPI_SENTINEL_PYPI_URL) is reachable from this host; "
        "the collector keeps retrying and logs each failure."
    )


def internal_problem(count: int, named: Sequence[FailingJob]) -> str | None:
    """Internal errors are bugs, not PyPI's bad day: one is enough to be unhealthy, since the
    release stays unanalysed until the program is fixed. `named`: the first ones known."""
    if not count:
        return None
    first = ", ".join(f"{job.project} {job.version}" for job in named[:3])
    return (
        f"{count} release(s) or file(s) failed with an internal error (a bug in pypi-sentinel), "
        f"e.g. {first}: `pypi-sentinel status` lists them; please report it"
    )


@dataclass(frozen=True, slots=True)
class ChangelogLag:
    """How far the changelog cursor is behind PyPI; None where it cannot be told."""

    pypi_last_serial: int | None  # the newest serial any changelog source saw
    events: int | None  # serials between our cursor and PyPI's
    seconds: float | None  # 0 when caught up; else since the follower was last caught up


def changelog_lag(sources: Sequence[SourceHealth], cursor: int | None, now: float) -> ChangelogLag:
    """The lag `status`, /healthz, the metrics and the dashboard all show: `now` in epoch
    seconds, the follower's `caught_up_at` from the changelog source's detail."""
    serials = [s.upstream_serial for s in sources if s.source.startswith("changelog")]
    known = [s for s in serials if s is not None]
    head = max(known) if known else None
    if head is None or cursor is None:
        return ChangelogLag(head, None, None)
    events = max(0, head - cursor)
    if events == 0:
        return ChangelogLag(head, 0, 0.0)
    changelog = next((s for s in sources if s.source == "changelog"), None)
    caught_up_at = changelog.detail.get("caught_up_at") if changelog else None
    if not isinstance(caught_up_at, int | float):
        return ChangelogLag(head, events, None)
    return ChangelogLag(head, events, max(0.0, now - caught_up_at))
