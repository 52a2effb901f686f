"""The overview's time charts: real time axes over the whole span, one bar per bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from dashboard.charts import LABELS, severity_bars

NOW = datetime(2026, 12, 4, 11, 20, tzinfo=UTC)


def _spec(unit: str, span: timedelta, buckets: list[datetime]) -> dict[str, Any]:
    frame = pd.DataFrame(
        {"bucket": buckets, "severity": ["high"] * len(buckets), "releases": [3] * len(buckets)}
    )
    spec: dict[str, Any] = severity_bars(frame, unit, NOW, span).to_dict()  # type: ignore[arg-type]
    return spec


def _moment(value: dict[str, int]) -> datetime:
    return datetime(value["year"], value["month"], value["date"], value.get("hours", 0), tzinfo=UTC)


def test_one_busy_hour_is_one_narrow_bar_on_a_48_hour_axis() -> None:
    spec = _spec("hour", timedelta(hours=48), [NOW.replace(minute=0)])
    x = spec["encoding"]["x"]
    first, last = (_moment(v) for v in x["scale"]["domain"])
    assert last - first == timedelta(hours=49)  # the whole span, not the one bucket
    assert spec["encoding"]["x2"]["field"] == "end"  # each bar ends within its own hour
    (row,) = spec["datasets"].values()
    start, end = (pd.Timestamp(row[0][k]) for k in ("start", "end"))
    assert timedelta(0) < end - start < timedelta(hours=1)
    assert (row[0]["bottom"], row[0]["top"]) == (0, 3)


@pytest.mark.parametrize(
    ("unit", "span"),
    [("hour", timedelta(hours=48)), ("day", timedelta(days=30)), ("day", timedelta(days=365))],
)
def test_axis_labels_are_few_and_never_repeat(unit: str, span: timedelta) -> None:
    buckets = [NOW - span * fraction for fraction in (0.0, 0.5, 0.9)]
    axis = _spec(unit, span, buckets)["encoding"]["x"]["axis"]
    ticks = [_moment(v) for v in axis["values"]]
    assert 4 <= len(ticks) <= LABELS
    assert ticks == sorted(set(ticks))
    if unit == "day":  # a day label ("%b %d") or a month label ("%b %Y") names one tick each
        step = "%b %Y" if axis["format"] == "%b %Y" else "%b %d"
        assert len({t.strftime(step) for t in ticks}) == len(ticks)
