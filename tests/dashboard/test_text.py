"""Plain-text safety, masking and the name diff: table-driven, with a reason per case."""

from __future__ import annotations

import pytest

from analysis.licences import Licence
from dashboard.queries import search_query
from dashboard.text import (
    Segment,
    caret_line,
    csv_cell,
    diff_segments,
    edit_segments,
    evidence_rows,
    highlighted_name,
    licence_text,
    literal_code,
    markdown_literal,
    redact_urls,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("requests", "requests"),  # letters stay as they are
        ("zope.interface", "zope\\.interface"),  # punctuation is escaped, so it renders literally
        ("1.0.0rc1+local", "1\\.0\\.0rc1\\+local"),  # a PEP 440 version
        ("__init__", "\\_\\_init\\_\\_"),  # underscores would otherwise turn into emphasis
        ("[x](https://evil)", None),  # a markdown link is refused outright
        ("<b>bold</b>", None),  # HTML too
        (":red[x]", None),  # a Streamlit directive too
        ("$x$", None),  # LaTeX too
        ("", None),  # nothing to show
    ],
)
def test_markdown_literal_only_passes_name_characters(text: str, expected: str | None) -> None:
    assert markdown_literal(text) == expected


@pytest.mark.parametrize(
    "text",
    ["plain", "with `tick`", "``double``", "<script>alert(1)</script>", "[a](http://b)", "a\nb"],
)
def test_literal_code_fences_any_text(text: str) -> None:
    code = literal_code(text)
    fence = code.split(" ", 1)[0]
    assert set(fence) == {"`"}
    inner = code[len(fence) + 1 : -len(fence) - 1]
    assert fence not in inner  # the fence is longer than any run inside
    assert "\n" not in code


@pytest.mark.parametrize(
    ("typed", "intended", "edit", "ours", "theirs"),
    [
        ("reqeusts", "requests", {"op": "swap", "position": 3}, "req[eu]sts", "req[ue]sts"),
        (
            "requestss",
            "requests",
            {"op": "repeat", "position": 8, "typed": "s"},
            "requests[s]",
            "requests",
        ),
        ("reqests", "requests", {"op": "omit", "position": 3}, "reqests", "req[u]ests"),
        ("rwquests", "requests", {"op": "substitute", "position": 1}, "r[w]quests", "r[e]quests"),
        # evidence that does not fit the names falls back to a plain diff
        ("requests2", "requests", {"op": "swap", "position": 40}, "requests[2]", "requests"),
        # rules with no single edit (version suffix, folding) use the plain diff
        ("requests2", "requests", {"op": "version-suffix"}, "requests[2]", "requests"),
    ],
)
def test_edit_segments_mark_the_edit(
    typed: str, intended: str, edit: dict[str, object], ours: str, theirs: str
) -> None:
    def show(segments: list[Segment]) -> str:
        return "".join(f"[{s.text}]" if s.changed else s.text for s in segments)

    got_ours, got_theirs = edit_segments(typed, intended, edit)
    assert (show(got_ours), show(got_theirs)) == (ours, theirs)


def test_highlighted_name_refuses_anything_but_name_characters() -> None:
    ours, _ = diff_segments("req<b>", "requests")
    assert highlighted_name(ours) is None
    ours, _ = diff_segments("reqeusts", "requests")
    assert highlighted_name(ours) is not None
    assert (
        caret_line([Segment("req", False), Segment("eu", True), Segment("sts", False)]) == "   ^^"
    )


def test_redact_urls_cuts_paths_and_credentials() -> None:
    text = "POST https://user:pw@hooks.slack.com/services/T/B/SECRET failed: 404"
    assert redact_urls(text) == "POST https://hooks.slack.com/… failed: 404"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM", "'@SUM"),
        ("requests", "requests"),
        (5, 5),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("reqeusts", "reqeusts:*"),
        ("Evil Corp", "evil:* & corp:*"),
        ("a & !b | c:*", "a:* & b:* & c:*"),  # tsquery operators never get through
        ("  ", None),
        ("python-dateutil", "python:* & dateutil:*"),
    ],
)
def test_search_query_is_word_prefixes(text: str, query: str | None) -> None:
    assert search_query(text) == query


def test_evidence_reads_as_rows() -> None:
    evidence = {
        "target": "requests",
        "rule": "typosquat.swapped-chars",
        "distance": 1,
        "edit": {"op": "swap", "position": 3},
        "target_downloads": 1_000_000_000,
        "popularity_ratio": 1234.5,
        "fields": ["summary", "author"],
        "verified": False,
        "urls": [["Source", "javascript:alert(1)"]],
        "candidate_downloads": None,
        "snippet": "exec(x)",
    }
    assert evidence_rows(evidence, skip=("snippet",)) == [
        ("target", "requests"),
        ("rule", "typosquat.swapped-chars"),
        ("distance", "1"),
        ("edit.op", "swap"),
        ("edit.position", "3"),
        ("target downloads", "1,000,000,000"),
        ("popularity ratio", "1,234.5"),
        ("fields", "summary, author"),
        ("verified", "no"),
        ("urls", "Source: javascript:alert(1)"),
    ]
    assert evidence_rows({}) == []
    assert evidence_rows(None) == []
    assert evidence_rows("plain") == [("evidence", "plain")]


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        (Licence("MIT", "license", "MIT License"), "MIT"),  # SPDX when known, whatever the source
        (Licence(None, "license", "Proprietary"), "not SPDX: Proprietary"),  # the text as given
        (Licence(None, "none", ""), "none given"),  # the metadata names no licence
        (None, ""),  # unpinned, or the release's metadata never stored: an empty cell
    ],
)
def test_licence_text(licence: Licence | None, expected: str) -> None:
    assert licence_text(licence) == expected
