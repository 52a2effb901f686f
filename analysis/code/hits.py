"""A code check's raw hit inside one member, before it becomes a Finding, and the reach ladder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from analysis.model import Severity


class Reach(StrEnum):
    """When the code runs without anyone choosing to call it, strongest first."""

    INSTALL = "install"  # setup.py, cmdclass hooks, in-tree build backends
    STARTUP = "startup"  # .pth import lines, sitecustomize: every interpreter start
    IMPORT = "import"  # a package's __init__ and what it imports at module level
    COMMAND = "command"  # an entry point or script that shadows a common command
    RUNTIME = "runtime"  # anything else: runs only if someone calls it

    @property
    def when(self) -> str:
        return WHEN[self]

    @property
    def rank(self) -> int:
        return RANK[self]


WHEN = {
    Reach.INSTALL: "at install time",
    Reach.STARTUP: "at every interpreter start",
    Reach.IMPORT: "on import",
    Reach.COMMAND: "when its shadowing command runs",
    Reach.RUNTIME: "when called",
}
RANK = {Reach.INSTALL: 4, Reach.STARTUP: 4, Reach.IMPORT: 3, Reach.COMMAND: 2, Reach.RUNTIME: 1}


@dataclass(frozen=True, slots=True)
class Hit:
    """One check firing at one place in one member."""

    check_id: str
    severity: Severity
    line: int
    end_line: int
    snippet: str
    what: str  # verb phrase: "passes base64-decoded data to exec"
    reach: Reach
    extra: Mapping[str, Any] = field(default_factory=dict)


def lower(severity: Severity, steps: int = 1) -> Severity:
    """One level down, for evidence read with regexes instead of a parse tree."""
    return Severity(max(Severity.INFO, severity - steps))
