"""What an alert is made of: subscriptions (who wants what, where) and alert items (what happened).

Plain frozen dataclasses; matching a finding against a subscription is a pure function here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from analysis.model import Severity

# The check id of the one aggregate finding of a flagged release: what alerts and the feed show.
AGGREGATE_CHECK = "release.assessment"


class Channel(StrEnum):
    SLACK = "slack"
    EMAIL = "email"
    WEBHOOK = "webhook"


class Delivery(StrEnum):
    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    name: str
    channel: Channel
    target: str  # webhook URL or email address: a credential, never logged in full
    min_severity: Severity = Severity.MEDIUM
    check_ids: tuple[str, ...] = ()
    watched_projects: tuple[
        str, ...
    ] = ()  # normalized names: "tell me when someone imitates these"
    name_patterns: tuple[str, ...] = ()  # globs over the release's project name
    delivery: Delivery = Delivery.IMMEDIATE
    secret: str | None = None  # HMAC key for generic webhooks
    enabled: bool = True

    @property
    def masked_target(self) -> str:
        return mask_target(self.channel, self.target)


def mask_target(channel: str, target: str) -> str:
    """A subscription target fit to show, in the CLI, alerts and the dashboard alike: webhook
    URLs keep scheme and host, addresses their first letter and domain. The full value is a
    credential (a webhook's path is its token) and none of it is ever displayed."""
    if channel == "email":
        local, at, domain = target.partition("@")
        return f"{local[:1]}…@{domain}" if at else "…"
    parts = urlsplit(target)
    host = parts.hostname or "…"
    return f"{parts.scheme or 'https'}://{host}/…"


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One flagged release, as every medium shows it."""

    finding_id: int
    project: str
    version: str
    severity: Severity
    score: int
    summary: str
    reasons: tuple[str, ...]
    checks: tuple[str, ...]
    targets: tuple[str, ...]  # imitated projects, if any
    first_seen: datetime
    pypi_url: str
    inspector_url: str
    dashboard_url: str


def one_per_finding(items: Sequence[AlertItem]) -> list[AlertItem]:
    """The first item of each finding, in order: a message never carries a finding twice, even
    when the outbox planned it twice (the sender claims rows strongest first)."""
    seen: set[int] = set()
    unique = []
    for item in items:
        if item.finding_id not in seen:
            seen.add(item.finding_id)
            unique.append(item)
    return unique


@dataclass(frozen=True, slots=True)
class Part:
    """Where one message sits in a burst split over several: the reader knows more follow."""

    index: int = 1
    total: int = 1

    @property
    def label(self) -> str:
        return f"part {self.index} of {self.total}" if self.total > 1 else ""


WHOLE = Part()


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a subscription filter looks at (the release's verdict and its checks)."""

    project: str
    severity: Severity
    checks: Sequence[str]
    targets: Sequence[str]


def matches(subscription: Subscription, candidate: Candidate) -> bool:
    """Does this subscription want this release? Every filter that is set must agree."""
    if not subscription.enabled or candidate.severity < subscription.min_severity:
        return False
    if subscription.check_ids and not _any_check(subscription.check_ids, candidate.checks):
        return False
    if subscription.watched_projects:
        watched = set(subscription.watched_projects)
        if candidate.project not in watched and not watched.intersection(candidate.targets):
            return False
    if subscription.name_patterns:
        return any(fnmatch.fnmatchcase(candidate.project, p) for p in subscription.name_patterns)
    return True


def _any_check(wanted: Sequence[str], present: Sequence[str]) -> bool:
    """A wanted id matches itself or, ending in '.', a family: 'typosquat.' matches them all."""
    return any(c == w or (w.endswith(".") and c.startswith(w)) for w in wanted for c in present)
