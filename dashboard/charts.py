"""Chart specs (Altair), built from query frames; no Streamlit calls in here."""

from __future__ import annotations

import altair as alt
import pandas as pd

SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]
SEVERITY_COLOURS = ["#c62828", "#ef6c00", "#f9a825", "#1e88e5", "#9e9e9e"]


def severity_bars(frame: pd.DataFrame, unit: str) -> alt.Chart:
    """Stacked bars of flagged releases per time bucket, coloured by severity (UTC buckets)."""
    data = frame.copy()
    # Naive UTC: Vega-Lite shows naive times as they are, so the axis reads in UTC everywhere.
    data["bucket"] = pd.to_datetime(data["bucket"], utc=True).dt.tz_localize(None)
    data["rank"] = data["severity"].map(SEVERITY_ORDER.index)
    time_format = "%H:%M" if unit == "hour" else "%b %d"
    # A time unit on x gives each bar the width of its hour or day.
    field = "yearmonthdatehours(bucket):T" if unit == "hour" else "yearmonthdate(bucket):T"
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(field, title=f"{unit} (UTC)", axis=alt.Axis(format=time_format)),
            y=alt.Y("sum(releases):Q", title="flagged releases"),
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLOURS),
                legend=alt.Legend(title=None, orient="top"),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("bucket:T", title=unit, format="%Y-%m-%d %H:%M"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("releases:Q"),
            ],
        )
        .properties(height=240)
    )
    return chart
