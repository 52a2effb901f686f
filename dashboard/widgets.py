"""Small layout pieces shared by the pages. Package text only ever goes through plain elements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.context import Access
from dashboard.text import literal_code

RELEASE_PAGE = "views/release.py"
ROW_PX = 35  # the height of one dataframe row (and of the header)
PAGE_ROWS = 50  # the longest page a table shows without scrolling inside it
SEVERITY_COLOURS = {
    "critical": "red",
    "high": "orange",
    "medium": "yellow",
    "low": "blue",
    "info": "gray",
}
VERDICT_LABELS = {
    "new": "new",
    "malicious": "malicious",
    "false_positive": "false positive",
    "benign": "benign",
    "needs_review": "needs review",
}


def severity_badge(severity: str | None) -> str:
    """Markdown for a severity (our own enum values only, never package text)."""
    if severity not in SEVERITY_COLOURS:
        return ":gray-badge[unscored]"
    return f":{SEVERITY_COLOURS[severity]}-badge[{severity}]"


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """'2024-05-01 12:00 UTC (3 h ago)'."""
    if moment is None:
        return "never"
    now = now or datetime.now(UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago(now - moment)})"


def ago(delta: Any) -> str:
    seconds = max(0.0, delta.total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def field(label: str, value: object) -> None:
    """A label (ours) above a value shown as plain text (it may come from a package)."""
    st.caption(label)
    st.text("-" if value is None or value == "" else str(value))


def read_only_notice(access: Access) -> bool:
    """Say why actions are missing; True when this session may act."""
    if access.can_act:
        return True
    if access.mode == "read-only":
        st.info(
            "Read-only dashboard: set `PYPI_SENTINEL_DASHBOARD_PASSWORD` (or Streamlit's OIDC "
            "login) to triage, report to PyPI, decide approvals and manage subscriptions.",
            icon=":material/lock:",
        )
    else:
        st.info(
            "Log in (sidebar) to triage, report, decide approvals and manage subscriptions.",
            icon=":material/login:",
        )
    return False


def table(frame: pd.DataFrame, columns: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """A dataframe: every cell is plain text, never markdown or a link we did not build; a
    missing value is an empty cell, and the box is as tall as its rows (up to a page of 50)."""
    kwargs.setdefault("height", fit_height(len(frame)))
    shown, config = blank_missing(frame, dict(columns or {}))
    return st.dataframe(shown, hide_index=True, width="stretch", column_config=config, **kwargs)


def fit_height(rows: int, most: int = PAGE_ROWS) -> int:
    """Pixels for the header and `rows` rows (Streamlit's own default shows about ten)."""
    return (min(max(rows, 1), most) + 1) * ROW_PX + 3


def blank_missing(
    frame: pd.DataFrame, columns: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Gaps as empty cells: the grid prints the word None for a missing value, in any column
    type. A text column gets ""; a number or time column with gaps (or a column of nothing
    but gaps) becomes text, formatted here, shown as a text column under the same label."""
    shown, config = frame.copy(), dict(columns)
    for column in frame.columns:
        gaps = frame[column].isna()
        if not gaps.any() or _kind(config.get(column)) == "link":
            continue
        if _is_text(frame[column]) and not gaps.all():
            shown[column] = frame[column].fillna("")
            continue
        shown[column] = [
            "" if gap else _shown(v) for v, gap in zip(frame[column], gaps, strict=True)
        ]
        config[column] = st.column_config.TextColumn(_label(config.get(column), str(column)))
    return shown, config


def _kind(config: object) -> str | None:
    if isinstance(config, Mapping) and isinstance(config.get("type_config"), Mapping):
        return str(config["type_config"].get("type"))
    return None


def _label(config: object, column: str) -> str:
    if isinstance(config, str):
        return config
    if isinstance(config, Mapping) and isinstance(config.get("label"), str):
        return str(config["label"])
    return column


def _shown(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return str(value)


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)


def release_label(row: Mapping[Any, Any]) -> str:
    """An option label (selectbox options are plain text)."""
    severity = row.get("severity") or ""
    return f"{row['project']} {row['version']}  ·  {severity}"


def open_release(release_id: int) -> None:
    st.switch_page(RELEASE_PAGE, query_params={"release": str(release_id)})


def release_picker(frame: pd.DataFrame, key: str, label: str = "Open a release") -> None:
    """A select box over the releases in `frame`; choosing one opens its detail page."""
    if frame.empty:
        return
    labels = {int(r["release_id"]): release_label(r) for r in frame.to_dict("records")}
    choice = st.selectbox(
        label,
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key=key,
        placeholder="Choose a release to open its detail",
    )
    if choice is not None:
        open_release(int(choice))


def selected_row(event: Any, frame: pd.DataFrame) -> Mapping[str, Any] | None:
    """The row a dataframe selection event points at, if any."""
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if not rows or rows[0] >= len(frame):
        return None
    row: Mapping[str, Any] = frame.iloc[rows[0]].to_dict()
    return row


def notice(kind: str, message: str, detail: str | None = None) -> None:
    """An alert box: `message` is ours (markdown), `detail` may be anyone's (shown literally)."""
    body = message + (f" {literal_code(detail)}" if detail else "")
    getattr(st, kind)(body)
