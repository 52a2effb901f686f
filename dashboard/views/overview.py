"""Overview: what was processed and flagged, the charts over time, and how far behind we are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from analysis.known import LeadTimes, render_leads, render_span
from dashboard import charts, context, queries
from dashboard.context import PageContext
from dashboard.widgets import duration, open_release, release_picker, selected_row, table

LATEST_COLUMNS = {
    "first_seen_at": st.column_config.DatetimeColumn("seen (UTC)", format="YYYY-MM-DD HH:mm"),
    "project": "project",
    "version": "version",
    "severity": "severity",
    "score": st.column_config.NumberColumn("score"),
    "targets": "imitates",
    "summary": "summary",
    "triage": "triage",
}


def render(ctx: PageContext) -> None:
    st.title("Overview")
    db = ctx.db
    overview = db.run(queries.fetch_overview(db.pool))
    failing = collection_banner(overview.health)
    metrics(overview)
    left, right = st.columns(2)
    with left:
        st.subheader("Flagged releases per hour (48 h)")
        bars(overview.hourly, "hour", timedelta(hours=48), "48 hours", failing)
    with right:
        st.subheader("Flagged releases per day (30 days)")
        bars(overview.daily, "day", timedelta(days=30), "30 days", failing)
    left, right = st.columns([1, 2])
    with left:
        st.subheader("Most imitated projects (30 days)")
        imitated(overview)
    with right:
        st.subheader("Latest high and critical")
        latest(overview)
    st.subheader("Ahead of public reports")
    lead_over_reports(overview.leads)


def metrics(overview: queries.Overview) -> None:
    flagged_day = sum(overview.flagged_24h.values())
    serious_day = sum(overview.flagged_24h.get(s, 0) for s in ("high", "critical"))
    serious_week = sum(overview.flagged_7d.get(s, 0) for s in ("high", "critical"))
    health = overview.health
    total = overview.releases_total
    cols = st.columns(5)
    cols[0].metric(
        "Releases processed, 24 h",
        f"{overview.analysed_24h:,}",
        help=f"{overview.releases_24h:,} seen in the changelog",
    )
    cols[1].metric(
        "Releases stored", f"≈ {total:,}" if overview.total_is_estimate else f"{total:,}"
    )
    cols[2].metric("Flagged, 24 h", f"{flagged_day:,}")
    cols[3].metric("High + critical, 24 h", f"{serious_day:,}", help=f"{serious_week:,} in 7 days")
    if health.lag_events is None:
        cols[4].metric("Collector lag", "unknown", help="the collector has not run yet")
    else:
        cols[4].metric(
            "Collector lag",
            f"{health.lag_events:,} events",
            help=f"behind PyPI for {duration(health.lag_seconds)}",
        )


def lead_over_reports(leads: LeadTimes) -> None:
    """How often our own verdict flagged a release before a public malware report named it."""
    if not leads.reported:
        st.caption(
            "No stored release has been reported malicious by a public report (OSV's MAL "
            "records) yet; `pypi-sentinel osv sync` and `run` keep the copy current."
        )
        return
    median = leads.quantile(0.5)
    cols = st.columns(3)
    cols[0].metric(
        "Reported malicious",
        f"{leads.reported:,}",
        help="stored releases a public known-malware record names",
    )
    cols[1].metric(
        "Flagged by us first",
        f"{leads.flagged_first / leads.reported:.0%}",
        help=f"{leads.flagged_first:,} reached medium before the report reached us",
    )
    cols[2].metric(
        "Median lead",
        "unknown" if median is None else render_span(median),
        help="report published minus our verdict reaching medium",
    )
    st.caption(render_leads(leads))


def collection_banner(health: queries.Health) -> bool:
    """True when collection is failing: then an empty chart means "not collected", not "safe"."""
    if not health.problems:
        return False
    names = ", ".join(f"**{p.source}**" for p in health.problems)
    st.warning(
        f"Collection is failing (source {names}): uploads may be missing, so what this page "
        f"shows is incomplete. {health.problems[0].advice} The Health page has the errors."
    )
    return True


def bars(
    frame: pd.DataFrame, unit: charts.Unit, span: timedelta, label: str, failing: bool = False
) -> None:
    if frame.empty and failing:
        st.caption(f"Nothing flagged was stored in the last {label}, but collection is failing.")
        return
    if frame.empty:
        st.caption(f"No flagged releases in the last {label}.")
        return
    chart = charts.severity_bars(frame, unit, datetime.now(UTC), span)
    st.altair_chart(chart, width="stretch")


def imitated(overview: queries.Overview) -> None:
    if overview.imitated.empty:
        st.caption("No typosquats in the last 30 days.")
        return
    table(
        overview.imitated,
        {
            "target": "project",
            "releases": st.column_config.NumberColumn("squats"),
            "latest": st.column_config.DatetimeColumn("latest (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )


def latest(overview: queries.Overview) -> None:
    frame = overview.latest
    if frame.empty:
        st.caption("No high or critical release yet.")
        return
    event = table(
        frame,
        LATEST_COLUMNS,
        column_order=list(LATEST_COLUMNS),
        on_select="rerun",
        selection_mode="single-row",
        key="overview_latest",
    )
    row = selected_row(event, frame)
    if row is not None:
        open_release(int(row["release_id"]))
    release_picker(frame, key="overview_open")


if __name__ == "__main__":
    render(context.current())
