"""Subscription form input checked before it reaches the database (pure; no Streamlit)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from analysis.checks import CHECKS
from analysis.names import normalize
from dashboard.queries import RELEASE_CHECK, SEVERITIES, SubscriptionInput

REPORTABLE = ("medium", "high", "critical")  # below medium is not worth an admin's time

CHANNELS = ("slack", "email", "webhook")
DELIVERIES = ("immediate", "hourly", "daily")
CHECK_IDS = (RELEASE_CHECK, *(check.id for check in CHECKS))
_PROJECT = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)
_PATTERN = re.compile(r"^[a-z0-9*?._\-\[\]!]{1,100}$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True, slots=True)
class SubscriptionForm:
    """The raw values of the form, as the widgets give them."""

    name: str
    channel: str
    target: str
    min_severity: str
    check_ids: list[str]
    watched_projects: str
    name_patterns: str
    delivery: str
    enabled: bool
    secret: str = ""
    clear_secret: bool = False


def split_list(text: str) -> list[str]:
    """Items separated by commas, spaces or new lines, without duplicates, in order."""
    seen: dict[str, None] = {}
    for item in re.split(r"[\s,]+", text.strip()):
        if item:
            seen.setdefault(item, None)
    return list(seen)


def check_target(channel: str, target: str) -> str | None:
    """Why `target` is not a valid destination for `channel`, or None when it is."""
    if channel == "email":
        return None if _EMAIL.match(target) else "an email subscription needs one address"
    parts = urlsplit(target)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"a {channel} subscription needs an http(s) URL"
    if channel == "slack" and parts.scheme != "https":
        return "Slack webhooks are https URLs"
    return None


def validate(
    form: SubscriptionForm, *, previous_channel: str | None = None
) -> SubscriptionInput | list[str]:
    """The input ready to store, or every problem found (messages never echo the target).

    `previous_channel` is set when editing: an empty target then keeps the stored one, unless
    the channel changes.
    """
    editing = previous_channel is not None
    errors: list[str] = []
    name = form.name.strip()
    if not 1 <= len(name) <= 100:
        errors.append("the name must have 1 to 100 characters")
    if form.channel not in CHANNELS:
        errors.append(f"channel must be one of {', '.join(CHANNELS)}")
    target = form.target.strip()
    if target or not editing:
        problem = check_target(form.channel, target)
        if problem:
            errors.append(problem)
    elif form.channel != previous_channel:
        errors.append("a new channel needs a new target")
    if form.min_severity not in SEVERITIES:
        errors.append(f"minimum severity must be one of {', '.join(SEVERITIES)}")
    unknown = [c for c in form.check_ids if c not in CHECK_IDS]
    if unknown:
        errors.append(f"unknown checks: {', '.join(unknown)}")
    projects = split_list(form.watched_projects)
    bad = [p for p in projects if not _PROJECT.match(p)]
    if bad:
        errors.append(f"not project names: {', '.join(bad[:5])}")
    patterns = [p.lower() for p in split_list(form.name_patterns)]
    bad = [p for p in patterns if not _PATTERN.match(p)]
    if bad:
        errors.append("name patterns use letters, digits, - . _ and the wildcards * ? [ ]")
    if form.delivery not in DELIVERIES:
        errors.append(f"delivery must be one of {', '.join(DELIVERIES)}")
    if form.secret and form.channel != "webhook":
        errors.append("only webhook subscriptions take a signing secret")
    if errors:
        return errors
    return SubscriptionInput(
        name=name,
        channel=form.channel,
        target=target or None,
        min_severity=form.min_severity,
        check_ids=list(form.check_ids),
        watched_projects=sorted({normalize(p) for p in projects}),
        name_patterns=patterns,
        delivery=form.delivery,
        enabled=form.enabled,
        secret=form.secret or None,
        clear_secret=form.clear_secret,
    )


def triage_problem(verdict: str | None, note: str) -> str | None:
    """Why a verdict cannot be recorded yet: a verdict is always chosen, never a default, and
    "malicious" (what a report to PyPI rests on) says what was checked."""
    if verdict is None:
        return "Choose a verdict first: nothing was recorded."
    if verdict == "malicious" and not note.strip():
        return "A malicious verdict needs a note saying what you found: nothing was recorded."
    return None


def reportable(severity: str | None) -> bool:
    """Reports go to PyPI's admins: only releases we scored medium or above."""
    return severity in REPORTABLE
