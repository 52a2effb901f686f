"""A team's policy for what it may install, and the reasons a dependency breaks it.

The policy is a TOML `[policy]` table (read by the collector, parsed here):

    block_at = "medium"            # our verdict or a stored finding at or above this blocks
    min_age_hours = 48             # the vetted index holds back releases younger than this
    block_vulnerable = false       # the vetted index also keeps out known-vulnerable releases
    require_approval = false       # the vetted index serves only projects a person approved
    deny_licenses = ["AGPL-3.0-only"]
    allow_licenses = ["MIT", "Apache-2.0", "BSD-3-Clause"]   # if set, nothing else passes
    deny = ["some-project"]        # never, whatever else says
    allow = ["our-internal-tool"]  # our verdicts and licence rules do not apply to these
    [[policy.ignore]]              # an accepted vulnerability, until it expires
    id = "PYSEC-2024-1"
    reason = "not reachable from our code"
    expires = 2025-06-30

Known malware blocks whatever `allow` says: an allowlist answers our false positives, not a
public report of malware.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from analysis.errors import PolicyError
from analysis.licences import Licence
from analysis.model import Severity
from analysis.names import fast_normalize

KEYS = frozenset(
    {
        "allow",
        "allow_licenses",
        "block_at",
        "block_vulnerable",
        "deny",
        "deny_licenses",
        "ignore",
        "min_age_hours",
        "require_approval",
    }
)
IGNORE_KEYS = frozenset({"expires", "id", "reason"})
_LICENCE_ID = re.compile(r"[A-Za-z0-9.+-]+")
_OPERATORS = frozenset({"AND", "OR", "WITH"})


@dataclass(frozen=True, slots=True)
class Ignore:
    """An accepted vulnerability: its id (or an alias), why, and until when."""

    id: str
    reason: str
    expires: date | None


@dataclass(frozen=True, slots=True)
class Policy:
    block_at: Severity = Severity.MEDIUM
    min_age_hours: float = 48.0
    deny_licenses: frozenset[str] = frozenset()
    allow_licenses: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    allow: frozenset[str] = frozenset()
    ignore: tuple[Ignore, ...] = field(default=())
    block_vulnerable: bool = False
    require_approval: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about one dependency, as the policy weighs it."""

    name: str
    severity: Severity  # the worst of our name verdict and the stored findings
    vulnerabilities: Sequence[tuple[str, Sequence[str]]]  # (id, aliases) affecting the version
    known_malicious: Sequence[str]
    licence: Licence | None


def violations(policy: Policy, facts: Facts, today: date) -> list[str]:
    """Every reason `facts` breaks `policy`, one short line each; none means it passes."""
    name = fast_normalize(facts.name)
    found = [f"known malicious ({advisory_id})" for advisory_id in facts.known_malicious]
    if name in policy.deny:
        found.append("denied by the policy")
    found += _vulnerabilities(policy, facts, today)
    if name in policy.allow:
        return found
    if facts.severity >= policy.block_at:
        found.append(f"our verdict is {facts.severity.label} (blocks at {policy.block_at.label})")
    found += _licence(policy, facts.licence)
    return found


def _vulnerabilities(policy: Policy, facts: Facts, today: date) -> list[str]:
    accepted = {i.id for i in policy.ignore if i.expires is None or i.expires >= today}
    return [
        f"known vulnerability {advisory_id}"
        for advisory_id, aliases in facts.vulnerabilities
        if not ({advisory_id, *aliases} & accepted)
    ]


def _licence(policy: Policy, licence: Licence | None) -> list[str]:
    if not (policy.deny_licenses or policy.allow_licenses):
        return []
    if licence is None or licence.spdx is None:
        shown = f" ({licence.text!r})" if licence is not None and licence.text else ""
        return [f"licence unknown{shown}: the policy names licences"]
    # Top-level OR is a choice: one acceptable alternative is enough. A nested expression is
    # read conservatively: every licence it names must pass.
    nested = "(" in licence.spdx
    parts = [licence.spdx] if nested else licence.spdx.split(" OR ")
    alternatives = [_ids(part) for part in parts]
    usable = [ids for ids in alternatives if not ids & policy.deny_licenses]
    if policy.allow_licenses:
        usable = [ids for ids in usable if ids <= policy.allow_licenses]
    return [] if usable else [f"licence {licence.spdx} is not allowed by the policy"]


def _ids(expression: str) -> frozenset[str]:
    words = _LICENCE_ID.findall(expression.replace("(", " ").replace(")", " "))
    return frozenset(w for w in words if w not in _OPERATORS)


# -- parsing -----------------------------------------------------------------------------------


def parse_policy(document: Mapping[str, Any]) -> Policy:
    """The `[policy]` table of a TOML document; PolicyError names the key that is wrong."""
    table = document.get("policy")
    if not isinstance(table, Mapping):
        raise PolicyError("no [policy] table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise PolicyError(f"policy.{unknown[0]}: unknown key (known: {', '.join(sorted(KEYS))})")
    return Policy(
        block_at=_severity(table.get("block_at", "medium")),
        min_age_hours=_hours(table.get("min_age_hours", 48)),
        deny_licenses=_names(table, "deny_licenses", normalize=False),
        allow_licenses=_names(table, "allow_licenses", normalize=False),
        deny=_names(table, "deny", normalize=True),
        allow=_names(table, "allow", normalize=True),
        ignore=_ignores(table.get("ignore", [])),
        block_vulnerable=_switch(table, "block_vulnerable"),
        require_approval=_switch(table, "require_approval"),
    )


def _severity(value: Any) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        raise PolicyError(f"policy.block_at: {exc}") from exc


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise PolicyError(f"policy.min_age_hours: expected a number of hours >= 0, got {value!r}")
    return float(value)


def _switch(table: Mapping[str, Any], key: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise PolicyError(f"policy.{key}: expected true or false, got {value!r}")
    return value


def _names(table: Mapping[str, Any], key: str, *, normalize: bool) -> frozenset[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"policy.{key}: expected a list of names, got {value!r}")
    return frozenset(fast_normalize(v) if normalize else v for v in value)


def _ignores(value: Any) -> tuple[Ignore, ...]:
    if not isinstance(value, list):
        raise PolicyError("policy.ignore: expected [[policy.ignore]] entries")
    return tuple(_ignore(entry, i) for i, entry in enumerate(value))


def _ignore(entry: Any, i: int) -> Ignore:
    where = f"policy.ignore[{i}]"
    if not isinstance(entry, Mapping):
        raise PolicyError(f"{where}: expected a table with id, reason and expires")
    unknown = sorted(set(entry) - IGNORE_KEYS)
    if unknown:
        raise PolicyError(f"{where}.{unknown[0]}: unknown key (known: expires, id, reason)")
    if not isinstance(entry.get("id"), str) or not entry["id"]:
        raise PolicyError(f"{where}.id: the vulnerability id (or an alias) is required")
    if not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
        raise PolicyError(f"{where}.reason: say why the vulnerability is accepted")
    expires = entry.get("expires")
    if isinstance(expires, datetime):
        expires = expires.date()
    if expires is not None and not isinstance(expires, date):
        raise PolicyError(f"{where}.expires: expected a date (2025-06-30), got {expires!r}")
    return Ignore(entry["id"], entry["reason"], expires)
