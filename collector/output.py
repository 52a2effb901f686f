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
    CYCLONEDX_JSON = "cyclonedx-json"  # an SBOM (audit only)
    SARIF = "sarif"  # SARIF 2.1.0 for code scanning (audit only)


def add_format_flag(parser: argparse.ArgumentParser, *extra: OutputFormat) -> None:
    """--format text|json, plus the formats only this command writes."""
    parser.add_argument(
        "--format",
        type=OutputFormat,
        choices=[OutputFormat.TEXT, OutputFormat.JSON, *extra],
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


_ROWS = "\x00rows\x00"  # stands for the rows while the rest is indented; no JSON value is this


def _row_encoder() -> Callable[[object], str]:
    """One compact encoder for every row: JSONEncoder.encode builds a new one per call, which
    cost as much as the encoding itself over 20,000 small rows."""
    plain = json.JSONEncoder(ensure_ascii=False, default=_default)
    make = getattr(json.encoder, "c_make_encoder", None)  # None without the C accelerator
    if make is None:
        return plain.encode
    encode = make(
        None, _default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
    )
    return lambda row: "".join(encode(row, 0))


_encode_row = _row_encoder()


def render_json_rows(payload: Mapping[str, Any], key: str) -> str:
    """render_json, but each item of the list `payload[key]` on a line of its own, compact.

    The indenting encoder is pure Python: for 20,000 name verdicts it took longer than checking
    them. One row a line comes from the C encoder, and still reads and diffs a result a line.
    """
    rows = payload[key]
    text = render_json({**payload, key: _ROWS})
    body = ",\n".join(f"    {_encode_row(row)}" for row in rows)
    return text.replace(json.dumps(_ROWS), f"[\n{body}\n  ]" if rows else "[]", 1)


def print_json(payload: Mapping[str, Any], rows: str | None = None) -> None:
    """The payload on stdout; with `rows`, that list is written one item a line (render_json_rows)."""
    text = render_json(payload) if rows is None else render_json_rows(payload, rows)
    sys.stdout.write(text + "\n")


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
