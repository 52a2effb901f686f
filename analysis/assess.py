"""The two verdicts the rest of the system asks for: on a release, and on a bare name."""

from __future__ import annotations

from analysis.context import AnalysisContext
from analysis.known import reported_findings
from analysis.metadata import METADATA_RULES
from analysis.model import Assessment, ReleaseSnapshot
from analysis.names.findings import match_finding
from analysis.names.typosquat import match_name
from analysis.scoring import combine
from analysis.standing import release_standing, temper


def assess_name(name: str, context: AnalysisContext) -> Assessment:
    """Name-only verdict (`pypi-sentinel check` without --metadata): at most low."""
    matches = match_name(name, context.index, target_ownership=context.target_ownership)
    return combine([match_finding(m) for m in matches])


def assess_release(snapshot: ReleaseSnapshot, context: AnalysisContext) -> Assessment:
    """Every check over one release, combined into a score and severity. Pure.

    On an established project (analysis.standing) the name findings are info and the
    name-based metadata findings at most low, each saying why, before they are combined.
    """
    matches = match_name(
        snapshot.project,
        context.index,
        ownership=snapshot.ownership,
        target_ownership=context.target_ownership,
    )
    findings = [match_finding(m) for m in matches]
    for rule in METADATA_RULES:
        findings.extend(rule(snapshot, context, matches))
    standing = release_standing(snapshot, context.now)
    reported = reported_findings(snapshot.project, snapshot.version, context.reports)
    return combine([*temper(findings, snapshot.project, standing), *reported])
