"""Combining findings: a name alone is at most low, a name plus suspicious metadata is high."""

from __future__ import annotations

import pytest

from analysis.model import Finding, Severity
from analysis.scoring import combine


def f(check_id: str, severity: Severity, score: int = 30) -> Finding:
    return Finding(check_id, severity, score, f"{check_id} fired.")


NAME = f("typosquat.omitted-char", Severity.LOW, 70)
FAINT = f("typosquat.distance-2", Severity.INFO, 30)
EMPTY = f("metadata.empty-description", Severity.LOW, 15)
DISPOSABLE = f("metadata.disposable-email", Severity.MEDIUM, 40)
URL = f("metadata.url-dependency", Severity.MEDIUM, 40)
COPIED = f("metadata.copied-metadata", Severity.MEDIUM, 50)
LOST = f("metadata.lost-provenance", Severity.HIGH, 60)
NEW = f("metadata.new-project", Severity.INFO, 10)


@pytest.mark.parametrize(
    ("findings", "severity", "reason"),
    [
        ([], Severity.INFO, "nothing found"),
        ([NEW], Severity.INFO, "context alone"),
        ([NAME], Severity.LOW, "a name match alone is at most low"),
        ([NAME, NEW], Severity.LOW, "context does not raise a name match"),
        ([NAME, EMPTY], Severity.HIGH, "name match plus suspicious metadata"),
        ([NAME, DISPOSABLE, URL], Severity.CRITICAL, "name plus two strong signals"),
        ([NAME, COPIED], Severity.CRITICAL, "name plus metadata copied from the target"),
        ([FAINT], Severity.INFO, "a faint likeness alone"),
        ([FAINT, EMPTY], Severity.LOW, "a faint likeness and one weak signal"),
        ([FAINT, EMPTY, DISPOSABLE], Severity.MEDIUM, "faint likeness backed by two signals"),
        ([DISPOSABLE], Severity.MEDIUM, "metadata alone keeps its own severity"),
        ([LOST], Severity.HIGH, "a strong metadata signal stands alone"),
    ],
)
def test_severity(findings: list[Finding], severity: Severity, reason: str) -> None:
    assessment = combine(findings)
    assert assessment.severity is severity, reason
    low, high = severity * 20, 100 if severity is Severity.CRITICAL else severity * 20 + 19
    assert low <= assessment.score <= high, "the score sits in its severity's band"


def test_reasons_list_the_notable_findings_worst_first() -> None:
    assessment = combine([NEW, EMPTY, NAME])
    assert assessment.reasons == (NAME.summary, EMPTY.summary)
    assert assessment.findings[0] is NAME


def test_info_only_lists_its_reasons() -> None:
    assert combine([NEW]).reasons == (NEW.summary,)


def test_critical_score_can_reach_100() -> None:
    assert combine([NAME, COPIED, DISPOSABLE, URL, LOST] * 3).score == 100


DECODE_EXEC = f("code.decode-exec", Severity.CRITICAL, 95)
SPAWN = f("code.process-spawn", Severity.MEDIUM, 50)
HOOK = f("code.cmdclass-override", Severity.INFO, 5)


@pytest.mark.parametrize(
    ("findings", "severity", "reason"),
    [
        ([DECODE_EXEC], Severity.CRITICAL, "decode->exec at install time is critical on its own"),
        ([NAME, SPAWN], Severity.CRITICAL, "a typosquat name plus code at medium or above"),
        ([SPAWN], Severity.MEDIUM, "a code finding keeps its own severity"),
        ([NAME, HOOK], Severity.LOW, "info code context does not raise a name match"),
        ([FAINT, SPAWN], Severity.MEDIUM, "a faint likeness does not make code critical"),
        ([HOOK], Severity.INFO, "context alone"),
    ],
)
def test_code_severity(findings: list[Finding], severity: Severity, reason: str) -> None:
    assert combine(findings).severity is severity, reason
