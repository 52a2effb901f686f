"""Findings: the filterable, sortable, paged table; choosing a row opens the release."""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from dashboard import context, queries
from dashboard.context import PageContext
from dashboard.forms import CHECK_IDS
from dashboard.text import csv_cell
from dashboard.widgets import VERDICT_LABELS, open_release, release_picker, selected_row, table

PERIODS: dict[str, timedelta | None] = {
    "last hour": timedelta(hours=1),
    "last 24 hours": timedelta(days=1),
    "last 7 days": timedelta(days=7),
    "last 30 days": timedelta(days=30),
    "last 90 days": timedelta(days=90),
    "all time": None,
    "custom": None,
}
VIEWS = {"release": "one row per release", "check": "one row per check"}
SORT_LABELS = {
    "newest": "newest first",
    "oldest": "oldest first",
    "severity": "highest severity first",
    "name": "name A-Z",
}
PAGE_SIZES = (25, 50, 100)
COLUMNS = {
    "first_seen_at": st.column_config.DatetimeColumn("seen (UTC)", format="YYYY-MM-DD HH:mm"),
    "project": "project",
    "version": "version",
    "severity": "severity",
    "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%d"),
    "check_id": "check",
    "targets": "imitates",
    "summary": st.column_config.TextColumn("summary", width="large"),
    "author": "author",
    "status": "status",
    "triage": "triage",
}
PAGE_KEY = "keep_findings_page"
# First values of the filters; kept in Session State so they survive switching pages.
DEFAULTS = {
    "keep_view": "release",
    "keep_period": "last 7 days",
    "keep_sev": "low",
    "keep_check": "any",
    "keep_triage": "any",
    "keep_search": "",
    "keep_sort": "newest",
    "keep_page_size": 50,
}


def render(ctx: PageContext) -> None:
    st.title("Findings")
    flt = filters()
    db = ctx.db
    result = db.run(queries.fetch_findings(db.pool, flt))
    frame = result.rows
    summary_line(result, flt)
    columns = [c for c in COLUMNS if flt.per_release is False or c != "check_id"]
    event = table(
        frame,
        COLUMNS,
        column_order=columns,
        on_select="rerun",
        selection_mode="single-row",
        key="findings_table",
    )
    row = selected_row(event, frame)
    if row is not None:
        open_release(int(row["release_id"]))
    left, right = st.columns([3, 1])
    with left:
        release_picker(frame, key="findings_open")
    with right:
        st.download_button(
            "Export CSV",
            data=export(ctx, flt),
            file_name="pypi-sentinel-findings.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            help=f"every matching row, up to {queries.EXPORT_LIMIT:,}",
        )


def filters() -> queries.FindingsPageFilter:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    row1 = st.columns([1.2, 1.1, 1, 1.6, 1.1, 2])
    view = row1[0].selectbox("Rows", list(VIEWS), format_func=VIEWS.__getitem__, key="keep_view")
    period = row1[1].selectbox("Time range", list(PERIODS), key="keep_period")
    severity = row1[2].selectbox("Min severity", queries.SEVERITIES, key="keep_sev")
    check = row1[3].selectbox("Check", ["any", *CHECK_IDS], key="keep_check")
    triage = row1[4].selectbox(
        "Triage",
        ["any", *VERDICT_LABELS],
        key="keep_triage",
        format_func=lambda v: VERDICT_LABELS.get(v, v),
    )
    search = row1[5].text_input(
        "Search name, target or author",
        key="keep_search",
        placeholder="e.g. reqeusts, requests, evil",
    )
    since, until = period_bounds(period)
    row2 = st.columns([1.5, 1, 1, 3.5])
    sort = row2[0].selectbox(
        "Sort", list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key="keep_sort"
    )
    size = row2[1].selectbox("Rows per page", PAGE_SIZES, key="keep_page_size")
    flt = queries.FindingsPageFilter(
        per_release=view == "release",
        since=since,
        until=until,
        min_severity=severity,
        check_id=None if check == "any" else check,
        triage=None if triage == "any" else triage,
        search=search,
        sort=sort,
        limit=size,
    )
    signature = (
        flt.per_release,
        period,
        since if period == "custom" else None,
        until,
        severity,
        flt.check_id,
        flt.triage,
        search,
        sort,
        size,
    )
    if st.session_state.get("findings_signature") != signature:
        st.session_state["findings_signature"] = signature
        st.session_state[PAGE_KEY] = 1  # a new filter starts at its first page
    page = row2[2].number_input("Page", min_value=1, step=1, key=PAGE_KEY)
    return dataclasses.replace(flt, offset=(int(page) - 1) * size)


def period_bounds(period: str) -> tuple[datetime | None, datetime | None]:
    now = datetime.now(UTC)
    if period != "custom":
        span = PERIODS[period]
        return (now - span if span else None), None
    today = now.date()
    picked = st.date_input("Dates (UTC)", (today - timedelta(days=7), today), key="keep_dates")
    days = [d for d in (picked if isinstance(picked, tuple) else (picked,)) if isinstance(d, date)]
    if not days:
        return None, None
    start = datetime.combine(days[0], time.min, UTC)
    end = datetime.combine(days[-1], time.min, UTC) + timedelta(days=1)
    return start, end


def summary_line(result: queries.FindingPage, flt: queries.FindingsPageFilter) -> None:
    unit = "releases" if flt.per_release else "findings"
    if result.search_overflow:
        st.warning(
            f"The search matches more than {queries.SEARCH_CAP:,} names or authors; only part "
            "of them are looked through. Add a word or narrow the other filters.",
            icon=":material/filter_alt:",
        )
    if result.total == 0:
        st.caption(f"No {unit} match these filters.")
        return
    if result.rows.empty:
        st.caption(f"This page is past the last of the {result.total:,} matching {unit}.")
        return
    pages = math.ceil(min(result.total, queries.COUNT_CAP) / flt.limit)
    shown = f"{flt.offset + 1:,}-{flt.offset + len(result.rows):,}"
    total = f"{queries.COUNT_CAP:,}+" if result.capped else f"{result.total:,}"
    st.caption(
        f"{shown} of {total} {unit} · page {flt.offset // flt.limit + 1} of "
        f"{pages}{'+' if result.capped else ''}"
    )


def export(ctx: PageContext, flt: queries.FindingsPageFilter) -> Callable[[], bytes]:
    """The CSV, built only when the button is pressed."""
    db = ctx.db

    def build() -> bytes:
        frame = db.run(queries.fetch_findings_export(db.pool, flt))
        return render_csv(frame)

    return build


def render_csv(frame: pd.DataFrame) -> bytes:
    safe = frame.map(csv_cell)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


if __name__ == "__main__":
    render(context.current())
