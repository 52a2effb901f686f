"""The policy file: parsed with one clear error per wrong key, and the reasons a dependency
breaks it."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from analysis.errors import PolicyError
from analysis.licences import Licence
from analysis.model import Severity
from analysis.policy import Facts, Policy, parse_policy, violations

TODAY = date(2026, 12, 4)
POLICY = parse_policy(
    tomllib.loads(
        """
[policy]
block_at = "high"
min_age_hours = 24
deny_licenses = ["AGPL-3.0-only"]
allow_licenses = ["MIT", "Apache-2.0", "BSD-3-Clause"]
deny = ["Left_Pad"]
allow = ["in-house"]

[[policy.ignore]]
id = "CVE-2024-1"
reason = "not reachable"
expires = 2027-01-01

[[policy.ignore]]
id = "PYSEC-OLD"
reason = "was accepted"
expires = 2026-01-01
"""
    )
)
MIT = Licence("MIT", "expression", "MIT")


def facts(name: str = "demo", severity: Severity = Severity.INFO, **kw: object) -> Facts:
    values: dict[str, object] = {"vulnerabilities": (), "known_malicious": (), "licence": MIT}
    values.update(kw)
    return Facts(name, severity, **values)  # type: ignore[arg-type]


CASES = [
    (facts(), [], "clean, allowed licence"),
    (facts(severity=Severity.MEDIUM), [], "below block_at"),
    (facts(severity=Severity.HIGH), ["our verdict is high (blocks at high)"], "at block_at"),
    (facts("left-pad"), ["denied by the policy"], "denied, by its normalized name"),
    (facts(known_malicious=["MAL-1"]), ["known malicious (MAL-1)"], "known malware"),
    (
        facts("in-house", Severity.CRITICAL, licence=None),
        [],
        "allowed: our verdict and licence rules do not apply",
    ),
    (
        facts("in-house", known_malicious=["MAL-2"]),
        ["known malicious (MAL-2)"],
        "allow does not override a public malware report",
    ),
    (facts(vulnerabilities=[("GHSA-x", ("CVE-2024-1",))]), [], "ignored by an alias"),
    (
        facts(vulnerabilities=[("PYSEC-OLD", ())]),
        ["known vulnerability PYSEC-OLD"],
        "an expired ignore no longer applies",
    ),
    (
        facts(vulnerabilities=[("PYSEC-NEW", ())]),
        ["known vulnerability PYSEC-NEW"],
        "a vulnerability nobody accepted",
    ),
    (
        facts(licence=Licence("AGPL-3.0-only", "license", "AGPL-3.0-only")),
        ["licence AGPL-3.0-only is not allowed by the policy"],
        "a denied licence",
    ),
    (
        facts(licence=Licence("AGPL-3.0-only OR MIT", "expression", "x")),
        [],
        "a choice that includes an allowed licence",
    ),
    (
        facts(licence=Licence("MIT AND GPL-2.0-only", "expression", "x")),
        ["licence MIT AND GPL-2.0-only is not allowed by the policy"],
        "both apply, and one is outside the allow list",
    ),
    (facts(licence=Licence("(MIT OR Apache-2.0)", "expression", "x")), [], "parentheses"),
    (
        facts(licence=Licence("MIT AND (Apache-2.0 OR GPL-3.0-only)", "expression", "x")),
        ["licence MIT AND (Apache-2.0 OR GPL-3.0-only) is not allowed by the policy"],
        "a nested expression: every licence it names must pass",
    ),
    (
        facts(licence=Licence(None, "license", "BSD")),
        ["licence unknown ('BSD'): the policy names licences"],
        "an unknown licence is not waved",
    ),
    (facts(licence=None), ["licence unknown: the policy names licences"], "no licence known"),
]


@pytest.mark.parametrize(("given", "expected", "reason"), CASES)
def test_what_breaks_the_policy(given: Facts, expected: list[str], reason: str) -> None:
    assert violations(POLICY, given, TODAY) == expected, reason


def test_defaults_and_no_licence_rules() -> None:
    policy = parse_policy({"policy": {}})
    assert policy == Policy()
    assert (policy.block_at, policy.min_age_hours) == (Severity.MEDIUM, 48.0)
    assert violations(policy, facts(licence=None), TODAY) == []
    assert POLICY.min_age_hours == 24.0
    deny_only = parse_policy({"policy": {"deny_licenses": ["GPL-3.0-only"]}})
    gpl = Licence("GPL-3.0-only", "classifier", "x")
    assert violations(deny_only, facts(licence=gpl), TODAY) == [
        "licence GPL-3.0-only is not allowed by the policy"
    ]
    assert violations(deny_only, facts(), TODAY) == []
    assert POLICY.ignore[0].expires == date(2027, 1, 1)


def test_the_index_switches() -> None:
    assert (Policy().block_vulnerable, Policy().require_approval) == (False, False)
    table = {"policy": {"block_vulnerable": True, "require_approval": True}}
    policy = parse_policy(table)
    assert (policy.block_vulnerable, policy.require_approval) == (True, True)


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({}, "no [policy] table"),
        ({"policy": {"block-at": "high"}}, "policy.block-at: unknown key"),
        ({"policy": {"block_at": "severe"}}, "policy.block_at:"),
        ({"policy": {"min_age_hours": "48"}}, "policy.min_age_hours: expected a number"),
        ({"policy": {"min_age_hours": True}}, "policy.min_age_hours: expected a number"),
        ({"policy": {"min_age_hours": -1}}, "policy.min_age_hours: expected a number"),
        ({"policy": {"deny": "left-pad"}}, "policy.deny: expected a list of names"),
        ({"policy": {"block_vulnerable": "yes"}}, "policy.block_vulnerable: expected true or"),
        ({"policy": {"require_approval": 1}}, "policy.require_approval: expected true or false"),
        ({"policy": {"allow_licenses": ["MIT", 3]}}, "policy.allow_licenses: expected a list"),
        ({"policy": {"ignore": {"id": "x"}}}, "policy.ignore: expected [[policy.ignore]]"),
        ({"policy": {"ignore": ["x"]}}, "policy.ignore[0]: expected a table"),
        (
            {"policy": {"ignore": [{"id": "x", "reason": "r", "until": 1}]}},
            "policy.ignore[0].until: unknown key",
        ),
        ({"policy": {"ignore": [{"reason": "r"}]}}, "policy.ignore[0].id: the vulnerability id"),
        ({"policy": {"ignore": [{"id": "x", "reason": " "}]}}, "policy.ignore[0].reason: say why"),
        (
            {"policy": {"ignore": [{"id": "x", "reason": "r", "expires": "soon"}]}},
            "policy.ignore[0].expires: expected a date",
        ),
    ],
)
def test_a_wrong_key_is_one_error_that_names_it(document: dict[str, object], says: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(document)
    assert says in str(raised.value)


def test_an_expiry_written_as_a_datetime_is_a_date() -> None:
    document = tomllib.loads(
        '[policy]\n[[policy.ignore]]\nid = "x"\nreason = "r"\nexpires = 2027-01-01T00:00:00Z\n'
    )
    assert parse_policy(document).ignore[0].expires == date(2027, 1, 1)
