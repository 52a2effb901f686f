"""Which single edit turns the intended name into the typed one."""

from __future__ import annotations

import pytest

from analysis.names.edits import Edit, classify_edit
from analysis.names.typos import Slip, classify_slip


@pytest.mark.parametrize(
    ("typed", "intended", "expected", "reason"),
    [
        ("reqests", "requests", Edit("omit", 3, "u", ""), "u left out"),
        ("requestss", "requests", Edit("repeat", 8, "", "s"), "trailing s doubled"),
        ("rrequests", "requests", Edit("repeat", 1, "", "r"), "leading r doubled"),
        ("requestsa", "requests", Edit("insert", 8, "", "a", "keyboard-adjacent"), "a is by s"),
        ("reqpuests", "requests", Edit("insert", 3, "", "p", "other"), "p is near neither q nor u"),
        ("mo0re", "more", Edit("insert", 2, "", "0", "look-alike"), "0 looks like o"),
        ("rwquests", "requests", Edit("substitute", 1, "e", "w", "keyboard-adjacent"), "w by e"),
        ("p1llow", "pillow", Edit("substitute", 1, "i", "1", "look-alike"), "1 looks like i"),
        ("rxquests", "requests", Edit("substitute", 1, "e", "x", "other"), "x is far from e"),
        ("reqeusts", "requests", Edit("swap", 3, "ue", "eu"), "u and e swapped"),
        ("ba", "ab", Edit("swap", 0, "ab", "ba"), "a swap at the very start"),
    ],
)
def test_single_edits(typed: str, intended: str, expected: Edit, reason: str) -> None:
    assert classify_edit(typed, intended) == expected, reason


@pytest.mark.parametrize(
    ("typed", "intended", "reason"),
    [
        ("requests", "requests", "no edit at all"),
        ("reqeustss", "requests", "two edits"),
        ("reqeustz", "requests", "a swap plus a substitution"),
        ("abcd", "xbcy", "two substitutions"),
        ("acbd", "abdc", "same length, scattered differences"),
        ("requestsxy", "requests", "two insertions"),
    ],
)
def test_more_than_one_edit_is_none(typed: str, intended: str, reason: str) -> None:
    assert classify_edit(typed, intended) is None, reason


def test_evidence_leaves_out_empty_parts() -> None:
    assert Edit("omit", 3, "u", "").as_evidence() == {"op": "omit", "position": 3, "intended": "u"}
    assert Edit("substitute", 1, "e", "w", "keyboard-adjacent").as_evidence()["slip"] == (
        "keyboard-adjacent"
    )


@pytest.mark.parametrize(
    ("intended", "typed", "slip"),
    [
        ("e", "w", Slip.KEYBOARD),
        ("o", "0", Slip.LOOK_ALIKE),
        ("a", "m", Slip.OTHER),
        ("-", "_", Slip.LOOK_ALIKE),
        ("?", "x", Slip.OTHER),
    ],
)
def test_classify_slip(intended: str, typed: str, slip: Slip) -> None:
    assert classify_slip(intended, typed) is slip
