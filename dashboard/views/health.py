"""Health: the changelog cursor against PyPI's last serial, lag, the work queue, errors, the last
polls of every source, alert deliveries that failed, and what the vetted index kept out."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from collector.store.index_blocks import BlockedRelease
from collector.store.jobs import error_class
from dashboard import context, queries
from dashboard.context import PageContext
from dashboard.widgets import duration, notice, table, when

TIME = "YYYY-MM-DD HH:mm:ss"
SOURCE_COLUMNS = {
    "source": "source",
    "last_attempt_at": st.column_config.DatetimeColumn("last poll (UTC)", format=TIME),
    "last_success_at": st.column_config.DatetimeColumn("last success (UTC)", format=TIME),
    "consecutive_failures": st.column_config.NumberColumn("failures in a row"),
    "upstream_serial": st.column_config.NumberColumn("PyPI serial", format="%d"),
    "last_error_at": st.column_config.DatetimeColumn("last error (UTC)", format=TIME),
    "last_error": st.column_config.TextColumn("error", width="large"),
}
JOB_COLUMNS = {
    "project": "project",
    "version": "version",
    "filename": "file",
    "error_class": "whose fault",
    "reason": "reason",
    "attempts": "attempts",
    "error_kind": "kind",
    "last_error": st.column_config.TextColumn("error", width="large"),
    "run_after": st.column_config.DatetimeColumn("next try (UTC)", format=TIME),
}
DELIVERY_COLUMNS = {
    "subscription": "subscription",
    "channel": "channel",
    "state": "state",
    "attempts": "attempts",
    "project": "project",
    "version": "version",
    "check_id": "check",
    "last_error": st.column_config.TextColumn("error (URLs cut)", width="large"),
    "created_at": st.column_config.DatetimeColumn("planned (UTC)", format=TIME),
}
BLOCK_WINDOW = timedelta(hours=24)
BLOCK_COLUMNS = {
    "project": "project",
    "version": "version",
    "rule": "rule",
    "kind": "how",
    "count": st.column_config.NumberColumn("times"),
    "last_at": st.column_config.DatetimeColumn("last (UTC)", format=TIME),
}


def render(ctx: PageContext) -> None:
    st.title("Health")
    db = ctx.db
    health = db.run(queries.fetch_health(db.pool))
    now = datetime.now(UTC)
    failing_sources(health)
    internal_errors(health)
    serials(health)
    queue(health, now)
    st.subheader("Sources")
    if health.sources.empty:
        st.caption("No source has been polled yet: is the collector running?")
    else:
        table(health.sources, SOURCE_COLUMNS, column_order=list(SOURCE_COLUMNS))
    st.subheader("Failing jobs")
    if health.failing_jobs.empty:
        st.caption("No job is failing.")
    else:
        jobs = health.failing_jobs.assign(
            error_class=health.failing_jobs["error_kind"].map(error_class)
        )
        table(jobs, JOB_COLUMNS, column_order=list(JOB_COLUMNS))
    deliveries(health)
    index_blocks(db.run(queries.fetch_index_blocks(db.pool, now - BLOCK_WINDOW)))


def failing_sources(health: queries.Health) -> None:
    """Each failing source on top, with its last error and what to do: the table alone reads
    as "the collector runs" while nothing arrives."""
    for problem in health.problems:
        notice(
            "warning",
            f"Source **{problem.source}** {problem.problem}. {problem.advice} Last error:",
            problem.last_error or "none recorded",
        )


def internal_errors(health: queries.Health) -> None:
    """Internal errors are our bugs, not PyPI's bad day: a red box naming the releases, apart
    from the upstream errors in the queue figures."""
    if problem := health.internal_problem:
        notice("error", "**Internal errors.**", problem)


def serials(health: queries.Health) -> None:
    cols = st.columns(4)
    cols[0].metric(
        "Cursor serial",
        _number(health.cursor_serial),
        help=f"moved {when(health.cursor_updated_at)}",
    )
    cols[1].metric("PyPI last serial", _number(health.pypi_last_serial))
    cols[2].metric(
        "Lag", "unknown" if health.lag_events is None else f"{health.lag_events:,} events"
    )
    cols[3].metric("Behind for", duration(health.lag_seconds) if health.lag_events else "-")


def queue(health: queries.Health, now: datetime) -> None:
    st.subheader("Work queue")
    q = health.queue
    cols = st.columns(5)
    cols[0].metric("Pending", f"{q['pending']:,}")
    cols[1].metric("Running", f"{q['running']:,}")
    cols[2].metric("Retrying", f"{q['retrying']:,}")
    cols[3].metric("Done, last hour", f"{q['done_last_hour']:,}")
    oldest = q["oldest_open"]
    cols[4].metric("Oldest open job", duration((now - oldest).total_seconds()) if oldest else "-")
    if health.errors_by_kind:
        classes = health.errors_by_class
        st.caption(
            f"Failing: {classes['internal']} internal (bugs), {classes['upstream']} PyPI failing "
            f"the release, {classes['unreachable']} PyPI unreachable. Errors by kind: "
            + ", ".join(f"{k} {n}" for k, n in health.errors_by_kind.items())
        )


def deliveries(health: queries.Health) -> None:
    st.subheader("Alert deliveries")
    outbox = health.outbox
    cols = st.columns(3)
    cols[0].metric("Waiting", f"{outbox.get('pending', 0) + outbox.get('sending', 0):,}")
    cols[1].metric("Failed for good", f"{outbox.get('dead', 0):,}")
    retrying = (health.failed_deliveries["state"] != "dead").sum()
    cols[2].metric("Deliveries retrying", f"{retrying:,}")
    if health.failed_deliveries.empty:
        st.caption("No failed deliveries.")
    else:
        table(health.failed_deliveries, DELIVERY_COLUMNS, column_order=list(DELIVERY_COLUMNS))


def index_blocks(blocks: list[BlockedRelease]) -> None:
    """What the vetted index kept out lately: files refused (pip saw a 403 and the reason) and
    releases left off the pages it built, by the rule that decided."""
    st.subheader("Vetted index, last 24 hours")
    if not blocks:
        st.caption(
            "The index kept nothing out in the last 24 hours (or it is not running: "
            "`pypi-sentinel index`, or `up` with --index-port)."
        )
        return
    refused = sum(b.count for b in blocks if b.kind == "download")
    held = {(b.project, b.version) for b in blocks if b.kind == "listing"}
    cols = st.columns(3)
    cols[0].metric("Downloads refused", f"{refused:,}")
    cols[1].metric("Releases held back", f"{len(held):,}")
    cols[2].metric("Projects", f"{len({b.project for b in blocks}):,}")
    by_rule: dict[str, int] = {}
    for b in blocks:
        by_rule[b.rule] = by_rule.get(b.rule, 0) + b.count
    st.caption("By rule: " + ", ".join(f"{r} {n:,}" for r, n in sorted(by_rule.items())))
    rows = pd.DataFrame([asdict(b) for b in blocks])
    table(rows, BLOCK_COLUMNS, column_order=list(BLOCK_COLUMNS))


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


if __name__ == "__main__":
    render(context.current())
