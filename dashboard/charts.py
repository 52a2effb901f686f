"""Chart specs (Altair), built from query frames; no Streamlit calls in here."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal

import altair as alt
import pandas as pd

SEVERITY_ORDER = ["critical", "high", "medium", "low", "info"]
SEVERITY_COLOURS = ["#c62828", "#ef6c00", "#f9a825", "#1e88e5", "#9e9e9e"]
Unit = Literal["hour", "day"]
STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
BAR = 0.8  # of a bucket's width: bars stand apart however few there are
LABELS = 10  # at most this many hour labels (short: "06:00")
DAY_LABELS = 7  # at most this many date labels (longer: "Nov 04")
HOUR_STEPS = (1, 2, 3, 6, 12)
MIDNIGHT_LABEL = (
    "hours(datum.value) == 0 ? timeFormat(datum.value, '%b %d') : timeFormat(datum.value, '%H:%M')"
)


def severity_bars(frame: pd.DataFrame, unit: Unit, now: datetime, span: timedelta) -> alt.Chart:
    """Stacked bars of flagged releases per time bucket, coloured by severity (UTC buckets).

    The x axis is real time over the whole span, each bar one bucket wide, so one busy hour is
    a narrow bar at its hour, not a block across the chart; labels never repeat.
    """
    step = STEP[unit]
    data = frame.copy()
    # Naive UTC: Vega-Lite shows naive times as they are, so the axis reads in UTC everywhere.
    data["start"] = pd.to_datetime(data["bucket"], utc=True).dt.tz_localize(None)
    data["end"] = data["start"] + step * BAR
    data["rank"] = data["severity"].map(SEVERITY_ORDER.index)
    # Stacked by hand: with x2 set, Vega-Lite would draw each count as a horizontal line.
    data = data.sort_values(["start", "rank"])
    data["top"] = data.groupby("start")["releases"].cumsum()
    data["bottom"] = data["top"] - data["releases"]
    until = _floor(pd.Timestamp(now).tz_convert("UTC").tz_localize(None), unit) + step
    since = min(until - span - step, data["start"].min()) if len(data) else until - span - step
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "start:T",
                title=f"{unit} (UTC)",
                scale=alt.Scale(domain=[_vega_time(since), _vega_time(until)]),
                axis=time_axis(unit, since, until),
            ),
            x2="end:T",
            y=alt.Y("top:Q", title="flagged releases", axis=alt.Axis(tickMinStep=1, format="d")),
            y2="bottom:Q",
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLOURS),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("start:T", title=unit, format="%Y-%m-%d %H:%M"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("releases:Q"),
            ],
        )
        .properties(height=240)
    )
    return chart


def time_axis(unit: Unit, since: pd.Timestamp, until: pd.Timestamp) -> alt.Axis:
    """At most LABELS ticks at whole hours, days or months, each label once."""
    hours = float((until - since).total_seconds()) / 3600
    every = next((s for s in HOUR_STEPS if hours / s <= LABELS), None)
    if unit == "hour" and every is not None:
        ticks = pd.date_range(since.ceil(f"{every}h"), until, freq=f"{every}h")
        return _axis(ticks, label_expr=MIDNIGHT_LABEL)
    days = hours / 24
    if days <= DAY_LABELS * 7:
        step = max(1, math.ceil(days / DAY_LABELS))
        return _axis(pd.date_range(since.ceil("D"), until, freq=f"{step}D"), time_format="%b %d")
    months = max(1, math.ceil(days / 30.4 / DAY_LABELS))
    first = (since + pd.offsets.MonthBegin(1)).normalize()
    return _axis(pd.date_range(first, until, freq=f"{months}MS"), time_format="%b %Y")


def _axis(ticks: pd.DatetimeIndex, *, time_format: str = "", label_expr: str = "") -> alt.Axis:
    values = [_vega_time(tick) for tick in ticks]
    if label_expr:
        return alt.Axis(values=values, labelExpr=label_expr, labelOverlap=True, grid=False)
    return alt.Axis(values=values, format=time_format, labelOverlap=True, grid=False)


def _floor(moment: pd.Timestamp, unit: Unit) -> pd.Timestamp:
    return moment.floor("h" if unit == "hour" else "D")


def _vega_time(moment: pd.Timestamp) -> alt.DateTime:
    """A scale bound read the way Vega reads our naive times (local, which we fill with UTC)."""
    return alt.DateTime(year=moment.year, month=moment.month, date=moment.day, hours=moment.hour)
