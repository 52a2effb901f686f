"""What one edit turns an intended name into a typed one: omit, repeat, insert, substitute, swap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.names.typos import Slip, classify_slip


@dataclass(frozen=True, slots=True)
class Edit:
    """A single-character edit; `before` is in the intended name, `after` in the typed one."""

    op: str  # omit, repeat, insert, substitute, swap
    position: int
    before: str
    after: str
    slip: str = ""  # for substitutions: keyboard-adjacent, look-alike or other

    def as_evidence(self) -> dict[str, Any]:
        found: dict[str, Any] = {"op": self.op, "position": self.position}
        if self.before:
            found["intended"] = self.before
        if self.after:
            found["typed"] = self.after
        if self.slip:
            found["slip"] = self.slip
        return found


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def classify_edit(typed: str, intended: str) -> Edit | None:
    """The one edit that turns `intended` into `typed`, or None when it takes more (or none)."""
    lt, li = len(typed), len(intended)
    i = _first_difference(typed, intended)
    if lt == li - 1 and typed[i:] == intended[i + 1 :]:
        return Edit("omit", i, intended[i], "")
    if lt == li + 1 and typed[i + 1 :] == intended[i:]:
        char = typed[i]
        around = typed[max(i - 1, 0) : i] + typed[i + 1 : i + 2]
        if char in around:
            return Edit("repeat", i, "", char)
        slips = {classify_slip(near, char) for near in around} - {Slip.OTHER}
        slip = min(slips) if slips else Slip.OTHER  # keyboard-adjacent before look-alike
        return Edit("insert", i, "", char, str(slip))
    if lt != li or i == lt:
        return None
    if typed[i + 1 :] == intended[i + 1 :]:
        kind = classify_slip(intended[i], typed[i])
        return Edit("substitute", i, intended[i], typed[i], str(kind))
    swapped = intended[i + 1 : i + 2] + intended[i]
    if typed[i + 2 :] == intended[i + 2 :] and typed[i : i + 2] == swapped:
        return Edit("swap", i, intended[i : i + 2], typed[i : i + 2])
    return None
