"""Turn name matches into findings with a one-sentence, checkable explanation."""

from __future__ import annotations

from collections.abc import Mapping

from analysis.model import Finding, Ownership, Severity
from analysis.names import typosquat as rules
from analysis.names.index import NameIndex
from analysis.names.typosquat import NameMatch, match_name


def describe(match: NameMatch) -> str:
    """How the name differs from the imitated one, in a few words."""
    edit = match.edit
    imitated = match.imitated or match.target
    how = {
        rules.CONFUSABLE: f"reads as {imitated} once separators and l/i/1, o/0 are folded",
        rules.MULTI_LETTER: f"reads as {imitated} (rn/m, vv/w, cl/d look alike)",
        rules.OMITTED: f"omits the {edit.get('intended', '')!r} of {imitated}",
        rules.REPEATED: f"repeats the {edit.get('typed', '')!r} of {imitated}",
        rules.INSERTED: f"inserts {edit.get('typed', '')!r} into {imitated}",
        rules.SUBSTITUTED: f"has {edit.get('typed', '')!r} for the {edit.get('intended', '')!r} of "
        f"{imitated} ({edit.get('slip', '')})",
        rules.SWAPPED: f"swaps {edit.get('intended', '')!r} in {imitated}",
        rules.TOKENS: f"reorders the words of {imitated}",
        rules.PYTHON_AFFIX: f"adds, drops or swaps python/py in {imitated}",
        rules.VERSION: f"adds version {edit.get('suffix', '')} to {imitated}",
        rules.COMBO: f"adds {edit.get('suffix') or edit.get('prefix')!r} to {imitated}",
        rules.IMPORT_NAME: f"is the import name of {match.target}",
        rules.DISTANCE_2: f"is two edits from {imitated}",
    }[match.rule]
    if imitated != match.target and match.rule != rules.IMPORT_NAME:
        how += f", the import name of {match.target}"
    return how


def match_finding(match: NameMatch) -> Finding:
    ratio = f"{match.popularity_ratio:,.0f}"
    summary = (
        f"{match.name} {describe(match)}; {match.target} has {match.target_downloads:,} "
        f"downloads a month, {ratio}x more."
    )
    return Finding(
        check_id=match.rule,
        severity=Severity.LOW if match.flagged else Severity.INFO,
        score=match.score,
        summary=summary,
        evidence=match.as_evidence(),
        target=match.target,
        fingerprint=match.target,
    )


def name_findings(
    name: str,
    index: NameIndex,
    *,
    ownership: Ownership | None = None,
    target_ownership: Mapping[str, Ownership] | None = None,
) -> tuple[Finding, ...]:
    """One finding per popular project `name` imitates."""
    matches = match_name(name, index, ownership=ownership, target_ownership=target_ownership)
    return tuple(match_finding(m) for m in matches)
