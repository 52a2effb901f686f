"""JSON output: rows a line must say exactly what the indented form says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from collector.output import render_json, render_json_rows

ROW = {
    "name": "reqeusts",
    "matches": [{"target": "requests", "edit": {"op": "swap"}}],
    "reasons": ['naïve «quote» "and" \\ back\nslash'],
    "when": datetime(2026, 12, 4, tzinfo=UTC),
    "score": 27,
    "ratio": 22471.4,
    "flagged": True,
    "error": None,
}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"fail_on": "low", "results": [ROW, {**ROW, "name": "numpy"}]}, "rows last"),
        ({"results": [ROW], "after": {"x": [1, 2]}}, "rows before other keys"),
        ({"results": [], "corpus": {"origin": "snapshot"}}, "no rows"),
        ({"note": "results", "results": [ROW]}, "a value that names the key"),
    ],
)
def test_rows_a_line_decode_to_the_same_document(payload: dict[str, Any], reason: str) -> None:
    text = render_json_rows(payload, "results")
    assert json.loads(text) == json.loads(render_json(payload)), reason
    rows = [line for line in text.splitlines() if line.startswith("    {")]
    assert len(rows) == len(payload["results"]), "one line per row"
