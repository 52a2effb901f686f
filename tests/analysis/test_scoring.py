"""Combining findings: weak signals stay low, a young look-alike with thin metadata is medium, a
look-alike with a strong signal high, with a decisive one critical."""

from __future__ import annotations

import pytest

from analysis.model import Finding, Severity
from analysis.scoring import combine


def f(check_id: str, severity: Severity, score: int = 30) -> Finding:
    return Finding(check_id, severity, score, f"{check_id} fired.")


NAME = f("typosquat.omitted-char", Severity.LOW, 70)
SHORT_NAME = f("typosquat.omitted-char", Severity.LOW, 60)  # dna for idna: a word, by chance
FAINT = f("typosquat.distance-2", Severity.INFO, 30)
EMPTY = f("metadata.empty-description", Severity.LOW, 15)
NO_URLS = f("metadata.no-project-urls", Severity.LOW, 10)
PLACEHOLDER = f("metadata.placeholder-email", Severity.LOW, 15)
DORMANT = f("metadata.dormant-release", Severity.LOW, 20)
ELSEWHERE = f("metadata.foreign-repository", Severity.LOW, 20)
DISPOSABLE = f("metadata.disposable-email", Severity.MEDIUM, 40)
URL = f("metadata.url-dependency", Severity.MEDIUM, 40)
COPIED = f("metadata.copied-metadata", Severity.MEDIUM, 50)
SQUAT_DEPENDENCY = f("metadata.typosquat-dependency", Severity.HIGH, 60)
NAMESAKE_DEPENDENCY = f("metadata.typosquat-dependency", Severity.INFO, 5)
LOST = f("metadata.lost-provenance", Severity.HIGH, 60)
NEW = f("metadata.new-project", Severity.INFO, 10)
BINARY = f("archive.bundled-binary", Severity.LOW, 30)
REPORTED = f("known.malicious", Severity.CRITICAL, 100)
VULNERABLE = f("known.vulnerability", Severity.HIGH, 60)


@pytest.mark.parametrize(
    ("findings", "severity", "reason"),
    [
        ([], Severity.INFO, "nothing found"),
        ([NEW], Severity.INFO, "context alone"),
        ([NAME], Severity.LOW, "a name match alone is at most low"),
        ([NAME, NEW], Severity.LOW, "context does not raise a name match"),
        (
            [NAME, NEW, EMPTY, NO_URLS],
            Severity.MEDIUM,
            "a fresh squat: a young project, a flagged name, no description and no URL",
        ),
        (
            [NAME, NEW, NO_URLS, PLACEHOLDER],
            Severity.MEDIUM,
            "a fresh squat with a template's e-mail and no URL",
        ),
        (
            [SHORT_NAME, NEW, EMPTY, NO_URLS],
            Severity.LOW,
            "thin and young, but the likeness is not close: as often benign as not on PyPI",
        ),
        ([NAME, NEW, EMPTY], Severity.LOW, "one gap is any hurried first upload"),
        ([NAME, NEW, ELSEWHERE, DORMANT], Severity.LOW, "low findings that are not thin metadata"),
        (
            [NAME, EMPTY, NO_URLS],
            Severity.LOW,
            "thin metadata on a project that is not young: weak signals stay low",
        ),
        ([NAME, DORMANT], Severity.LOW, "a look-alike name after a quiet year: still low"),
        ([NAME, NEW, EMPTY, NO_URLS, BINARY], Severity.MEDIUM, "a low file finding adds nothing"),
        ([NAME, NEW, BINARY], Severity.LOW, "a capability and a name are weak signals"),
        ([NAME, DISPOSABLE], Severity.HIGH, "a name match plus a strong metadata signal"),
        ([NAME, DISPOSABLE, URL], Severity.CRITICAL, "name plus two strong signals"),
        ([NAME, COPIED], Severity.CRITICAL, "name plus metadata copied from the target"),
        ([NAME, SQUAT_DEPENDENCY], Severity.CRITICAL, "a look-alike that pulls in a fresh squat"),
        (
            [NAME, NEW, EMPTY, NO_URLS, NAMESAKE_DEPENDENCY],
            Severity.MEDIUM,
            "an established namesake dependency is no decisive signal",
        ),
        ([FAINT], Severity.INFO, "a faint likeness alone"),
        ([FAINT, EMPTY], Severity.LOW, "a faint likeness and one weak signal"),
        (
            [FAINT, NEW, EMPTY, NO_URLS],
            Severity.LOW,
            "a faint likeness and thin metadata: weak signals never reach medium",
        ),
        ([FAINT, EMPTY, DISPOSABLE], Severity.MEDIUM, "a faint likeness adds nothing to a signal"),
        ([EMPTY, NO_URLS, PLACEHOLDER, DORMANT], Severity.LOW, "thin metadata alone stays low"),
        ([DISPOSABLE], Severity.MEDIUM, "metadata alone keeps its own severity"),
        ([LOST], Severity.HIGH, "a strong metadata signal stands alone"),
        ([REPORTED], Severity.CRITICAL, "a public known-malware report is decisive alone"),
        ([NAME, REPORTED], Severity.CRITICAL, "and with a flagged name"),
        ([VULNERABLE], Severity.INFO, "a known vulnerability is a flaw, not malice"),
        ([NAME, NEW, VULNERABLE], Severity.LOW, "it adds nothing to a name match either"),
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
