"""Project-name normalization: PEP 503 as pip and PyPI key projects, and PyPI's stricter folding."""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name

_SEPARATOR_RUNS = re.compile(r"[-_.]+")
# PyPI's ultranormalize (warehouse migration d18d443f89f0): drop separators, fold l/i -> 1, o -> 0.
_ULTRA = str.maketrans({"l": "1", "i": "1", "o": "0", "-": None, "_": None, ".": None})
# Multi-letter shapes that read as one letter in most fonts.
_MULTI_LETTER = (("rn", "m"), ("vv", "w"), ("c1", "d"))  # after folding, cl is c1


def normalize(name: str) -> str:
    """PEP 503: lower case, runs of '-', '_' and '.' become one '-'."""
    return str(canonicalize_name(name))


def fast_normalize(name: str) -> str:
    """PEP 503 without packaging's validation, for hot loops; skips the regex when nothing to do."""
    if "_" in name or "." in name or "--" in name:
        name = _SEPARATOR_RUNS.sub("-", name)
    return name.lower()


def ultranormalize(name: str) -> str:
    """PyPI's 'too similar' key: lower case, no separators, l/i as 1 and o as 0."""
    return name.lower().translate(_ULTRA)


def fold_confusables(name: str) -> str:
    """Ultranormalized, and rn/vv/cl read as m/w/d: two names with one key look alike."""
    folded = ultranormalize(name)
    for many, one in _MULTI_LETTER:
        if many in folded:
            folded = folded.replace(many, one)
    return folded


def tokens(name: str) -> tuple[str, ...]:
    """The '-'-separated words of a normalized name."""
    return tuple(name.split("-"))
