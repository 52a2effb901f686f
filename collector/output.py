"""Command output: JSON objects with a schema number on stdout, aligned text for people."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

SCHEMA = 1


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def add_format_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        type=OutputFormat,
        choices=list(OutputFormat),
        default=OutputFormat.TEXT,
        help="output format (default: text)",
    )


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def render_json(payload: Mapping[str, Any]) -> str:
    """A top-level object that always starts with {"schema": 1}."""
    return json.dumps({"schema": SCHEMA, **payload}, indent=2, default=_default, ensure_ascii=False)


def print_json(payload: Mapping[str, Any]) -> None:
    sys.stdout.write(render_json(payload) + "\n")


def render_table(rows: Iterable[tuple[str, object]]) -> str:
    """Two aligned columns: label and value."""
    pairs = [(label, "-" if value is None else str(value)) for label, value in rows]
    width = max((len(label) for label, _ in pairs), default=0)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in pairs)


def render_columns(rows: Iterable[Sequence[str]], widths: list[int]) -> str:
    """Rows of cells in aligned columns; `widths` (one per column) grow to fit and are kept by
    the caller, so a streamed listing stays aligned page after page."""
    rows = list(rows)
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


async def stream_json(
    key: str, rows: AsyncIterator[Any], render: Callable[[Any], Mapping[str, Any]]
) -> None:
    """{"schema": 1, key: [...]} written one item at a time: constant memory for any store."""
    out = sys.stdout
    out.write(f'{{"schema": {SCHEMA}, "{key}": [')
    first = True
    async for row in rows:
        out.write(
            ("\n  " if first else ",\n  ")
            + json.dumps(render(row), default=_default, ensure_ascii=False)
        )
        first = False
    out.write("\n]}\n" if not first else "]}\n")


def print_text(text: str) -> None:
    sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))
