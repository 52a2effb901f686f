"""`audit --format sarif`: the audit as a SARIF 2.1.0 log, for GitHub code scanning.

One run, one rule per kind of result (a typosquat-like name, a finding our monitor stored, a known
vulnerability, known malware, a policy violation), each with GitHub's `security-severity`. Every
result at or above low is listed, as in the text output; the exit code still follows --fail-on
or the policy. A result points at the file that declares the dependency (the line for
requirements files, else line 1) and carries a fingerprint of its rule, project and advisory or
finding, so that code scanning keeps one alert across runs.

Written as plain JSON: SARIF's Python object models (sarif-om, generated in 2019) are not kept up,
and the few objects we write are checked against the OASIS schema in the tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analysis.model import Severity
from analysis.osv import KNOWN_MALICIOUS, KNOWN_VULNERABLE
from analysis.requirements import Dependency
from collector.audit import Audit, Known

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/pypi-sentinel/pypi-sentinel"
FINGERPRINT = "pypiSentinel/v1"  # the partialFingerprints key; a new version if the hash changes
_LINE = re.compile(r"\bline (\d+)$")  # `where` of a requirements-file dependency
_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
# GitHub's bands: critical 9.0+, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
POLICY_SEVERITY = Severity.HIGH  # a violation fails the gate: an error wherever it shows


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    short: str
    help: str
    severity: Severity
    tags: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "shortDescription": {"text": self.short},
            "help": {"text": self.help},
            "helpUri": INFORMATION_URI,
            "defaultConfiguration": {"level": _LEVELS[self.severity]},
            "properties": {
                "security-severity": _SECURITY_SEVERITY[self.severity],
                "tags": ["security", *self.tags],
            },
        }


NAME = Rule(
    "pypi-sentinel/typosquat-name",
    "TyposquatName",
    "The dependency's name looks like a popular project's name",
    "A name one slip away from a popular project is how typosquats are installed. Check that "
    "this is the project you meant; if not, depend on the real one.",
    Severity.LOW,
    ("supply-chain", "typosquat"),
)
VULNERABILITY = Rule(
    "pypi-sentinel/known-vulnerability",
    "KnownVulnerability",
    "The dependency's version has a known vulnerability (OSV)",
    "An OSV record (PYSEC, GHSA) says this version is affected. Upgrade to the fixed version the "
    "message names, or accept the risk in the policy file with a reason and an expiry.",
    KNOWN_VULNERABLE,
    ("vulnerability", "osv"),
)
MALWARE = Rule(
    "pypi-sentinel/known-malware",
    "KnownMalware",
    "The dependency is known malware (OSV MAL- record)",
    "An OpenSSF malicious-packages record names this release. Remove it, and treat any machine "
    "that installed it as compromised.",
    KNOWN_MALICIOUS,
    ("malware", "supply-chain", "osv"),
)
POLICY = Rule(
    "pypi-sentinel/policy-violation",
    "PolicyViolation",
    "The dependency breaks the project's dependency policy",
    "The policy file (--policy) does not let this dependency through; the message says which "
    "rule. Change the dependency, or the policy with a reason.",
    POLICY_SEVERITY,
    ("policy",),
)


def _stored_rule(severity: Severity) -> Rule:
    """One rule per severity: GitHub reads the severity from the rule, and our monitor's
    findings range from a hint to a stolen-credentials payload."""
    return Rule(
        f"pypi-sentinel/stored-finding-{severity.label}",
        f"StoredFinding{severity.label.title()}",
        f"Our monitor stored a {severity.label} finding on a release of the dependency",
        "pypi-sentinel's collector checked this project's releases when they were uploaded and "
        "recorded what the message says. Read the finding (pypi-sentinel findings, or the "
        "dashboard) before installing the release it names.",
        severity,
        ("supply-chain", "malware"),
    )


STORED = {s: _stored_rule(s) for s in sorted(_LEVELS, reverse=True)}
RULES = (NAME, *STORED.values(), VULNERABILITY, MALWARE, POLICY)
_INDEX = {rule.id: i for i, rule in enumerate(RULES)}


def render_sarif(audited: Path, result: Audit) -> str:
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": _driver()},
                "results": list(_results(audited, result)),
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def _driver() -> dict[str, Any]:
    try:
        ours = version("pypi-sentinel")
    except PackageNotFoundError:  # run from a checkout that was never installed
        ours = "0+unknown"
    return {
        "name": "pypi-sentinel",
        "version": ours,
        "informationUri": INFORMATION_URI,
        "rules": [rule.as_json() for rule in RULES],
    }


def _results(audited: Path, result: Audit) -> Iterator[dict[str, Any]]:
    for dependency, verdict, known, reasons in zip(
        result.dependencies, result.verdicts, result.known, result.broken, strict=True
    ):
        at = _subject(dependency, known)
        place = _location(audited, dependency)
        if verdict.severity >= Severity.LOW:
            why = "; ".join(verdict.reasons) or "the name resembles a popular project's"
            text = f"{at}: name verdict {verdict.severity.label} ({verdict.score}): {why}"
            yield _result(NAME, verdict.severity, text, place, dependency.name, "")
        for found in known.findings:
            if found.severity >= Severity.LOW:
                text = (
                    f"{at}: our monitor found {found.check_id} ({found.severity.label}) on "
                    f"release {found.version}: {found.summary}"
                )
                key = f"{found.check_id}@{found.version}"
                rule = STORED[found.severity]
                yield _result(rule, found.severity, text, place, dependency.name, key)
        yield from _advisories(at, known, place, dependency.name)
        for reason in reasons:
            text = f"{at} breaks the policy: {reason}"
            yield _result(POLICY, POLICY_SEVERITY, text, place, dependency.name, reason)


def _advisories(
    at: str, known: Known, place: dict[str, Any], project: str
) -> Iterator[dict[str, Any]]:
    for advisory, fixed in known.exposure.vulnerabilities:
        aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
        fix = f"fixed in {fixed}" if fixed else "no fixed version"
        text = f"{at} is affected by {advisory.id}{aliases}: {advisory.summary}; {fix}"
        yield _result(VULNERABILITY, KNOWN_VULNERABLE, text, place, project, advisory.id)
    for advisory in known.exposure.malicious:
        text = f"{at} is known malware: {advisory.id}: {advisory.summary}"
        yield _result(MALWARE, KNOWN_MALICIOUS, text, place, project, advisory.id)


def _subject(dependency: Dependency, known: Known) -> str:
    """The project and version in plain words."""
    if known.version is None:
        return f"{dependency.name} (no version pinned)"
    if known.resolved_from is not None:
        return f"{dependency.name} {known.version} (resolved from the {known.resolved_from})"
    return f"{dependency.name} {known.version}"


def _location(audited: Path, dependency: Dependency) -> dict[str, Any]:
    """The declaring file as given on the command line (relative stays relative), at the
    requirement's line when the format has lines."""
    path = Path(dependency.source) if dependency.source else audited
    line = _LINE.search(dependency.where)
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": quote(path.as_posix(), safe="/")},
            "region": {"startLine": int(line[1]) if line else 1},
        }
    }


def _result(
    rule: Rule, severity: Severity, text: str, place: dict[str, Any], project: str, key: str
) -> dict[str, Any]:
    digest = hashlib.sha256("\0".join([rule.id, project, key]).encode()).hexdigest()
    return {
        "ruleId": rule.id,
        "ruleIndex": _INDEX[rule.id],
        "level": _LEVELS[severity],
        "message": {"text": text},
        "locations": [place],
        "partialFingerprints": {FINGERPRINT: digest},
        "properties": {"severity": severity.label},
    }
