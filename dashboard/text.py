"""Pure text helpers: package text stays plain, secrets stay masked, CSV cells stay inert.

Text that comes from packages is shown with elements that never interpret it (st.text, st.code,
dataframe cells, st.json). The only package text ever put into markdown is a name or version
made of [A-Za-z0-9._!+-], every punctuation character backslash-escaped: no markup can survive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from analysis.licences import Licence

_LITERAL = re.compile(r"^[A-Za-z0-9._!+-]{1,200}$")
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://([^/\s:@]*(?::[^/\s@]*)?@)?([^/\s?#]+)[^\s]*")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def markdown_literal(text: str) -> str | None:
    """`text` as markdown that renders exactly as written, or None if it has other characters."""
    if not _LITERAL.match(text):
        return None
    return "".join(f"\\{c}" if not c.isalnum() else c for c in text)


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    changed: bool


def diff_segments(typed: str, intended: str) -> tuple[list[Segment], list[Segment]]:
    """Both names cut into runs that are the same in the other name and runs that differ."""
    ours: list[Segment] = []
    theirs: list[Segment] = []
    matcher = SequenceMatcher(a=typed, b=intended, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        changed = op != "equal"
        if a2 > a1:
            ours.append(Segment(typed[a1:a2], changed))
        if b2 > b1:
            theirs.append(Segment(intended[b1:b2], changed))
    return ours, theirs


_SPANS = {"swap": (2, 2), "substitute": (1, 1), "insert": (1, 0), "repeat": (1, 0), "omit": (0, 1)}


def edit_segments(
    typed: str, intended: str, edit: Mapping[str, object]
) -> tuple[list[Segment], list[Segment]]:
    """Both names cut at the one edit the evidence names; a plain diff when it does not fit."""
    op, position = edit.get("op"), edit.get("position")
    if not isinstance(op, str) or op not in _SPANS or not isinstance(position, int):
        return diff_segments(typed, intended)
    ours_len, theirs_len = _SPANS[op]
    ours = _cut(typed, position, ours_len)
    theirs = _cut(intended, position, theirs_len)
    rebuilt = typed[:position] + typed[position + ours_len :]
    if (
        ours is None
        or theirs is None
        or rebuilt != intended[:position] + intended[position + theirs_len :]
    ):
        return diff_segments(typed, intended)
    return ours, theirs


def _cut(text: str, start: int, length: int) -> list[Segment] | None:
    if not 0 <= start <= len(text) - length:
        return None
    parts = [
        Segment(text[:start], False),
        Segment(text[start : start + length], True),
        Segment(text[start + length :], False),
    ]
    return [p for p in parts if p.text]


def highlighted_name(segments: list[Segment]) -> str | None:
    """Markdown for a name with its changed runs marked, or None if a run is not literal-safe."""
    parts = []
    for segment in segments:
        literal = markdown_literal(segment.text)
        if literal is None:
            return None
        parts.append(f":red-background[**{literal}**]" if segment.changed else literal)
    return "".join(parts)


def caret_line(segments: list[Segment]) -> str:
    """A line of ^ under the changed characters, for plain-text display."""
    return "".join(("^" if s.changed else " ") * len(s.text) for s in segments).rstrip()


def redact_urls(text: str) -> str:
    """Error text with every URL cut to scheme and host (delivery errors can quote webhooks)."""
    return _URL.sub(lambda m: f"{m[1]}://{m[3]}/…", text)


def csv_cell(value: object) -> object:
    """A spreadsheet shows the cell as text, never runs it as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def shorten(text: str | None, limit: int) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def literal_code(text: str) -> str:
    """Markdown showing `text` verbatim as inline code: no markup, link or math survives.

    The fence is one backtick longer than the longest run inside (CommonMark code spans), and
    line breaks become spaces.
    """
    flat = " ".join(text.split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {flat} {fence}"


def evidence_rows(evidence: object, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """A finding's evidence as (field, value) rows a person reads down, nested keys dotted
    ("edit.op"), lists joined; plain text for a table, never markup."""
    if not isinstance(evidence, Mapping):
        return [] if evidence in (None, "", [], {}) else [("evidence", _flat(evidence))]
    rows: list[tuple[str, str]] = []
    for key, value in evidence.items():
        if key in skip or value in (None, "", [], {}):
            continue
        if isinstance(value, Mapping):
            rows += [(f"{key}.{inner}", text) for inner, text in evidence_rows(value)]
        else:
            rows.append((str(key).replace("_", " "), _flat(value)))
    return rows


def _flat(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(_item(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    return str(value)


def _item(item: object) -> str:
    if isinstance(item, list | tuple) and len(item) == 2:  # (label, value) pairs
        return f"{_flat(item[0])}: {_flat(item[1])}"
    return _flat(item)


LICENCE_SOURCES = {
    "classifier": "Trove classifiers",
    "expression": "License-Expression",
    "license": "the License field",
    "none": "nothing in the metadata",
}


def licence_text(licence: Licence | None) -> str:
    """'MIT', 'not SPDX: <what the metadata says>' or 'none given'; '' when not known at all
    (an unpinned dependency, a release whose metadata we never stored)."""
    if licence is None:
        return ""
    if licence.spdx is not None:
        return licence.spdx
    return f"not SPDX: {licence.text}" if licence.text else "none given"
