"""The shared domain types' small behaviours."""

from __future__ import annotations

import pytest

from analysis.model import Assessment, Ownership, Severity


@pytest.mark.parametrize(("text", "severity"), [("low", Severity.LOW), (" HIGH ", Severity.HIGH)])
def test_severity_parse(text: str, severity: Severity) -> None:
    assert Severity.parse(text) is severity
    assert severity.label == text.strip().lower()


def test_severity_parse_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="expected one of info, low, medium, high, critical"):
        Severity.parse("severe")


def test_ownership_users_and_clean_assessment() -> None:
    assert Ownership(roles=(("Owner", "a"), ("Maintainer", "b"))).users == {"a", "b"}
    assert Assessment.clean() == Assessment(0, Severity.INFO)
