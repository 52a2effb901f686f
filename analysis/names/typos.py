"""Which single-character mistakes are typing slips or look-alikes (QWERTY neighbours, shapes)."""

from __future__ import annotations

from enum import StrEnum

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
# Pairs that look alike in common fonts; PyPI's own folding covers l/i/1 and o/0 for registration.
_LOOK_ALIKE = (
    ("l", "1"),
    ("l", "i"),
    ("i", "1"),
    ("o", "0"),
    ("s", "5"),
    ("b", "8"),
    ("g", "9"),
    ("z", "2"),
    ("u", "v"),
    ("-", "_"),
    ("-", "."),
)


class Slip(StrEnum):
    """How a substituted character relates to the one it replaced."""

    KEYBOARD = "keyboard-adjacent"
    LOOK_ALIKE = "look-alike"
    OTHER = "other"


def _keyboard_neighbours() -> dict[str, frozenset[str]]:
    neighbours: dict[str, set[str]] = {}
    for r, row in enumerate(_ROWS):
        for c, key in enumerate(row):
            near = neighbours.setdefault(key, set())
            for dr, dc in ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < len(_ROWS) and 0 <= cc < len(_ROWS[rr]):
                    near.add(_ROWS[rr][cc])
    return {key: frozenset(near) for key, near in neighbours.items()}


KEYBOARD_NEIGHBOURS = _keyboard_neighbours()
LOOK_ALIKES = frozenset(_LOOK_ALIKE) | frozenset((b, a) for a, b in _LOOK_ALIKE)


def classify_slip(intended: str, typed: str) -> Slip:
    """Why someone meaning `intended` might type `typed` instead."""
    if (intended, typed) in LOOK_ALIKES:
        return Slip.LOOK_ALIKE
    if typed in KEYBOARD_NEIGHBOURS.get(intended, ()):
        return Slip.KEYBOARD
    return Slip.OTHER
