"""Subscription form validation."""

from __future__ import annotations

import dataclasses

import pytest

from dashboard.forms import SubscriptionForm, validate
from dashboard.queries import SubscriptionInput

GOOD = SubscriptionForm(
    name=" security team ",
    channel="slack",
    target="https://hooks.slack.com/services/T/B/x",
    min_severity="high",
    check_ids=["release.assessment"],
    watched_projects="Acme_Tools, acme-web",
    name_patterns="acme-* ACME?",
    delivery="immediate",
    enabled=True,
)


def test_a_good_form_is_normalised() -> None:
    result = validate(GOOD)
    assert isinstance(result, SubscriptionInput)
    assert result.name == "security team"
    assert result.watched_projects == ["acme-tools", "acme-web"]
    assert result.name_patterns == ["acme-*", "acme?"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name"),
        ({"channel": "pager"}, "channel"),
        ({"target": "http://hooks.slack.com/x"}, "https"),  # Slack is https only
        ({"channel": "email", "target": "https://x"}, "address"),
        ({"channel": "webhook", "target": "ftp://x"}, "http(s) URL"),
        ({"target": ""}, "needs"),  # a new subscription needs a target
        ({"min_severity": "urgent"}, "severity"),
        ({"check_ids": ["typosquat.made-up"]}, "unknown checks"),
        ({"watched_projects": "ok, -bad-"}, "not project names"),
        ({"name_patterns": "a;b"}, "wildcards"),
        ({"delivery": "weekly"}, "delivery"),
        ({"secret": "s"}, "only webhook"),
    ],
)
def test_bad_forms_say_why(changes: dict[str, object], message: str) -> None:
    result = validate(dataclasses.replace(GOOD, **changes))
    assert isinstance(result, list)
    assert any(message in problem for problem in result), result


def test_problems_never_echo_the_target() -> None:
    secret = "https://hooks.slack.com/services/T/B/TOPSECRET"
    result = validate(dataclasses.replace(GOOD, target=secret.replace("https", "http")))
    assert isinstance(result, list)
    assert not any("TOPSECRET" in problem for problem in result)


def test_editing_keeps_the_target_unless_the_channel_changes() -> None:
    kept = validate(dataclasses.replace(GOOD, target=""), previous_channel="slack")
    assert isinstance(kept, SubscriptionInput)
    assert kept.target is None
    changed = validate(
        dataclasses.replace(GOOD, target="", channel="email"), previous_channel="slack"
    )
    assert isinstance(changed, list)
