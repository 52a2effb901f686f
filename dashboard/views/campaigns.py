"""Campaigns: flagged releases grouped by what they share (author, e-mail domain, PyPI account,
description) or by when they came (an upload burst)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import context, queries
from dashboard.context import PageContext
from dashboard.queries import CampaignKind
from dashboard.widgets import open_release, release_picker, selected_row, table

KINDS: dict[CampaignKind, str] = {
    "author": "same author",
    "email_domain": "same e-mail domain",
    "account": "same PyPI account",
    "description": "same summary and description",
    "burst": "upload burst (15 minutes)",
}
WINDOWS = {
    "last 24 hours": timedelta(days=1),
    "last 7 days": timedelta(days=7),
    "last 30 days": timedelta(days=30),
    "last 90 days": timedelta(days=90),
}
DEFAULTS = {
    "keep_campaign_kind": "author",
    "keep_campaign_window": "last 30 days",
    "keep_campaign_sev": "medium",
}
GROUP_COLUMNS = {
    "label": st.column_config.TextColumn("shared", width="medium"),
    "releases": st.column_config.NumberColumn("releases"),
    "projects": st.column_config.NumberColumn("projects"),
    "names": st.column_config.ListColumn("projects (first 8)", width="large"),
    "severity": "worst",
    "first_seen": st.column_config.DatetimeColumn("first (UTC)", format="YYYY-MM-DD HH:mm"),
    "last_seen": st.column_config.DatetimeColumn("last (UTC)", format="YYYY-MM-DD HH:mm"),
}
RELEASE_COLUMNS = {
    "first_seen_at": st.column_config.DatetimeColumn("seen (UTC)", format="YYYY-MM-DD HH:mm"),
    "project": "project",
    "version": "version",
    "severity": "severity",
    "score": "score",
    "author": "author",
    "author_email": "author e-mail",
    "summary": "summary",
}


def render(ctx: PageContext) -> None:
    st.title("Campaigns")
    st.caption(
        "Flagged releases that share an author, an e-mail domain (free mail providers "
        "left out), a PyPI account, a description, or an upload burst."
    )
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    cols = st.columns([2, 1, 1, 1])
    kind = cols[0].selectbox(
        "Group by", list(KINDS), format_func=KINDS.__getitem__, key="keep_campaign_kind"
    )
    window = cols[1].selectbox("Time range", list(WINDOWS), key="keep_campaign_window")
    severity = cols[2].selectbox("Min severity", queries.SEVERITIES, key="keep_campaign_sev")
    minimum = cols[3].number_input(
        "Min projects",
        min_value=2,
        max_value=50,
        value=3 if kind == "burst" else 2,
        key=f"campaign_min_{kind}",
    )
    since = datetime.now(UTC) - WINDOWS[window]
    db = ctx.db
    groups = db.run(
        queries.fetch_campaigns(db.pool, kind, since, severity, min_projects=int(minimum))
    )
    if groups.empty:
        st.info("No campaign in this window: no two projects share that trait.")
        return
    st.caption(f"{len(groups)} group{'' if len(groups) == 1 else 's'}, largest first")
    event = table(
        groups,
        GROUP_COLUMNS,
        column_order=list(GROUP_COLUMNS),
        on_select="rerun",
        selection_mode="single-row",
        key=f"campaigns_{kind}",
    )
    chosen = selected_row(event, groups)
    labels = {str(r["key"]): _label(r) for r in groups.to_dict("records")}
    key = st.selectbox(
        "Show the releases of",
        list(labels),
        format_func=labels.__getitem__,
        index=0,
        key=f"campaign_pick_{kind}",
    )
    if chosen is not None:
        key = str(chosen["key"])
    members(ctx, kind, key, since, severity)


def _label(row: Mapping[Any, Any]) -> str:
    return f"{row['label'] or '(empty)'}  ·  {row['releases']} releases, {row['projects']} projects"


def members(ctx: PageContext, kind: CampaignKind, key: str, since: datetime, severity: str) -> None:
    db = ctx.db
    frame = db.run(queries.fetch_campaign_releases(db.pool, kind, key, since, severity))
    event = table(
        frame,
        RELEASE_COLUMNS,
        column_order=list(RELEASE_COLUMNS),
        on_select="rerun",
        selection_mode="single-row",
        key=f"campaign_members_{kind}",
    )
    row = selected_row(event, frame)
    if row is not None:
        open_release(int(row["release_id"]))
    release_picker(frame, key=f"campaign_open_{kind}")


if __name__ == "__main__":
    render(context.current())
