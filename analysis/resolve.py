"""Which known version an unpinned requirement would install: pip's choice, over a given list.

The versions come from the caller (the store's releases of the project), never from PyPI, so an
audit can check what `requests>=2.20` means today without running pip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import Version

from analysis.metadata import parse_requirement, parse_version
from analysis.requirements import pinned_version


@dataclass(frozen=True, slots=True)
class Offered:
    """One release of a project an installer could pick, as the index serves it."""

    version: str
    yanked: bool = False


def choose_version(spec: str, offered: Sequence[Offered]) -> str | None:
    """The newest offered version that satisfies `spec`, as pip would pick it; None when none
    does, or `spec` is no requirement or a URL.

    Pre-releases follow packaging's rule, which is pip's: only when the specifier names one
    (`>=2.0b1`), or when no final release matches at all. A yanked release is skipped unless
    the requirement pins exactly that version (`==1.2`, not `==1.*`), as PEP 592 says.
    """
    requirement = parse_requirement(spec)
    if requirement is None or requirement.url:
        return None
    exact = pinned_version(spec) is not None
    candidates: dict[Version, str] = {}
    for release in offered:
        parsed = parse_version(release.version)
        if parsed is not None and (exact or not release.yanked):
            candidates.setdefault(parsed, release.version)
    matching = list(requirement.specifier.filter(candidates))
    return candidates[max(matching)] if matching else None
