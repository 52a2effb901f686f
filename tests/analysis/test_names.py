"""Name normalization: PEP 503, PyPI's ultranormalization and the look-alike fold."""

from __future__ import annotations

import pytest

from analysis.names import fast_normalize, fold_confusables, normalize, tokens, ultranormalize


@pytest.mark.parametrize(
    ("raw", "expected", "reason"),
    [
        ("Requests", "requests", "lower case"),
        ("python_dateutil", "python-dateutil", "underscore is a separator"),
        ("zope.interface", "zope-interface", "dot is a separator"),
        ("a--b__c..d", "a-b-c-d", "runs collapse to one dash"),
        ("plain", "plain", "nothing to do: no regex"),
    ],
)
def test_normalize_agrees_with_fast_normalize(raw: str, expected: str, reason: str) -> None:
    assert normalize(raw) == fast_normalize(raw) == expected, reason


@pytest.mark.parametrize(
    ("name", "folded", "reason"),
    [
        ("pillow", "p1110w", "l and i fold to 1, o to 0"),
        ("python-dateutil", "pyth0ndateut11", "separators vanish"),
        ("rnatplotlib", "matp10t11b", "rn reads as m"),
        ("vvheel", "whee1", "vv reads as w"),
        ("clocker", "d0cker", "cl reads as d"),
    ],
)
def test_fold_confusables(name: str, folded: str, reason: str) -> None:
    assert fold_confusables(name) == folded, reason


def test_ultranormalize_is_pypis_rule() -> None:
    assert ultranormalize("Pi11ow") == ultranormalize("pillow") == "p1110w"
    assert ultranormalize("rn") == "rn"  # only fold_confusables reads rn as m


def test_tokens() -> None:
    assert tokens("python-dateutil") == ("python", "dateutil")
