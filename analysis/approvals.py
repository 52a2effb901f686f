"""Approvals: a person's decision to let a project (or one release of it) through the vetted
index, or to keep it out, with who, why and until when. The store keeps them; this module says
which one applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Decision = Literal["approved", "denied"]


@dataclass(frozen=True, slots=True)
class Approval:
    project: str  # PEP 503 name
    version: str | None  # None: every version of the project
    decision: Decision
    actor: str
    reason: str
    created_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


def applicable(
    approvals: Iterable[Approval], project: str, version: str, now: datetime
) -> Approval | None:
    """The decision that holds for `project` at `version`: unexpired ones only; one about this
    version outranks one about the whole project; at one level the newest wins."""
    found = [
        a
        for a in approvals
        if a.project == project and a.version in (None, version) and a.active(now)
    ]
    if not found:
        return None
    return max(found, key=lambda a: (a.version is not None, a.created_at))
