"""Alert rendering per medium (pure) and subscription matching: table-driven, a reason per case."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from analysis.model import Severity
from collector.alerts.model import (
    AlertItem,
    Candidate,
    Channel,
    Delivery,
    Part,
    Subscription,
    mask_target,
    matches,
    one_per_finding,
)
from collector.alerts.render import (
    SLACK_ITEMS,
    render_email,
    render_slack,
    render_webhook,
    sign,
)
from collector.alerts.sender import SenderPolicy, is_due, next_digest_after
from collector.store.outbox import PendingGroup

HOSTILE = (
    "<b>*bold*</b> <script>alert(1)</script> <https://evil.example|click> &amp; _x_ `y`\r\nBcc: a@b"
)


def item(
    n: int = 0,
    *,
    summary: str = "reqeusts 1.0: high risk.",
    reasons: tuple[str, ...] = ("swaps ue",),
) -> AlertItem:
    return AlertItem(
        finding_id=n,
        project=f"reqeusts{n or ''}",
        version="1.0",
        severity=Severity.HIGH,
        score=80,
        summary=summary,
        reasons=reasons,
        checks=("typosquat.swapped-chars",),
        targets=("requests",),
        first_seen=datetime(2026, 11, 21, tzinfo=UTC),
        pypi_url=f"https://pypi.org/project/reqeusts{n or ''}/1.0/",
        inspector_url="https://inspector.pypi.io/project/reqeusts/1.0/",
        dashboard_url="http://dash/?release=1",
    )


def _texts(blocks: list[dict]) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    found = []
    for block in blocks:
        if "text" in block:
            found.append((block["text"]["type"], block["text"]["text"]))
        found.extend((element["type"], element["text"]) for element in block.get("elements", []))
    return found


def test_slack_single_release_names_project_version_severity_target_and_links() -> None:
    message = render_slack([item()], "security")
    assert message["text"] == "HIGH reqeusts 1.0 imitates requests"
    texts = _texts(message["blocks"])
    assert texts[0] == ("plain_text", "HIGH reqeusts 1.0 imitates requests")
    assert any("swaps ue" in t for kind, t in texts if kind == "plain_text")
    links = [t for kind, t in texts if kind == "mrkdwn"]
    assert links == [
        "<https://pypi.org/project/reqeusts/1.0/|PyPI> · <https://inspector.pypi.io/project/reqeusts/1.0/|inspector> · <http://dash/?release=1|dashboard>"
    ]


def test_slack_package_text_is_never_mrkdwn() -> None:
    message = render_slack([item(summary=HOSTILE, reasons=(HOSTILE,))], "s")
    for kind, text in _texts(message["blocks"]):
        if HOSTILE.split()[0] in text:
            assert kind == "plain_text"  # Slack renders plain_text literally: no links, no markup
    assert "<script>" not in message["text"]


def within_slack_limits(message: dict) -> None:  # type: ignore[type-arg]
    """Block Kit: at most 50 blocks, 3000 characters a text object, 150 a header, 10 elements
    a context block; and a fallback `text` that is a line, not a wall."""
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        if "text" in block:
            assert len(block["text"]["text"]) <= (150 if block["type"] == "header" else 3000)
        assert len(block.get("elements", [])) <= 10
        assert all(len(element["text"]) <= 3000 for element in block.get("elements", []))
    assert 0 < len(message["text"]) <= 1000


def test_slack_burst_names_every_release_in_compact_lines() -> None:
    """A full message: every release on its own plain_text line with severity and one reason,
    and its dashboard link below; nothing is left to "…and N more"."""
    long_reason = "x" * 5000  # a hostile or verbose reason cannot push a section over the limit
    items = [item(i, reasons=(f"swaps ue in {i}", long_reason)) for i in range(1, SLACK_ITEMS + 1)]
    message = render_slack(items, "s", Part(2, 3))
    within_slack_limits(message)
    lines = [
        line
        for kind, text in _texts(message["blocks"])
        if kind == "plain_text"
        for line in text.splitlines()
    ]
    for i in range(1, SLACK_ITEMS + 1):
        (line,) = [x for x in lines if x.startswith(f"HIGH reqeusts{i} 1.0 ")]
        assert line == f"HIGH reqeusts{i} 1.0 imitates requests: swaps ue in {i}"
    links = [t for kind, t in _texts(message["blocks"]) if kind == "mrkdwn"]
    assert links[:2] == [
        "<http://dash/?release=1|reqeusts1 1.0>",
        "<http://dash/?release=1|reqeusts2 1.0>",
    ]
    assert len(links) == SLACK_ITEMS
    assert message["text"].startswith("Part 2 of 3: 50 flagged releases (worst: high)")
    assert "the burst continues" in _texts(message["blocks"])[-1][1]
    assert "more releases" not in json.dumps(message)


def test_slack_refuses_more_than_one_message_holds() -> None:
    """The sender splits; a renderer that silently dropped releases is what this guards."""
    with pytest.raises(ValueError, match="do not fit"):
        render_slack([item(i) for i in range(SLACK_ITEMS + 1)], "s")


def test_email_escapes_html_and_keeps_headers_single_line() -> None:
    message = render_email(
        [item(summary=HOSTILE, reasons=(HOSTILE,))],
        "s",
        sender="s@x.org",
        recipient="me@x.org",
        unsubscribe="mailto:s@x.org?subject=unsubscribe",
    )
    assert "\n" not in message["Subject"]
    assert "\r" not in message["Subject"]
    assert message["List-Unsubscribe"] == "<mailto:s@x.org?subject=unsubscribe>"
    text_part, html_part = message.iter_parts()
    assert HOSTILE.replace("\r\n", "\n")[:20] in text_part.get_content()
    html = html_part.get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="https://pypi.org/project/reqeusts/1.0/"' in html
    assert "evil.example" not in html.split("href=")[1]  # package URLs are never links


def test_webhook_body_and_signature() -> None:
    body = render_webhook([item()], "s", datetime(2026, 11, 21, tzinfo=UTC))
    payload = json.loads(body)
    assert payload["schema"] == 1
    (alert,) = payload["alerts"]
    assert (alert["name"], alert["version"], alert["severity"]) == ("reqeusts", "1.0", "high")
    assert alert["links"]["pypi"] == "https://pypi.org/project/reqeusts/1.0/"
    signature = sign("k", "1700000000", body)
    assert signature.startswith("sha256=")
    assert len(signature) == 71
    assert signature != sign("k", "1700000001", body)  # bound to the timestamp
    assert signature != sign("other", "1700000000", body)


def _claimed(planned: tuple[tuple[int, Severity], ...]) -> list[AlertItem]:
    """Items as the sender builds them from claimed rows: strongest first, duplicates possible."""
    items = [replace(item(n), severity=severity) for n, severity in planned]
    return sorted(items, key=lambda i: i.severity, reverse=True)


def test_every_payload_carries_each_finding_once() -> None:
    """Exhaustive over short outboxes (up to three rows of findings 1-3 at high or critical, any
    order): every medium lists each finding once, at the strongest severity planned for it."""
    rows = [(n, s) for n in (1, 2, 3) for s in (Severity.HIGH, Severity.CRITICAL)]
    for size in range(1, 4):
        for planned in itertools.product(rows, repeat=size):
            items = one_per_finding(_claimed(planned))
            strongest = {n: max(s for m, s in planned if m == n) for n, _ in planned}
            webhook = json.loads(render_webhook(items, "s", datetime(2026, 11, 21, tzinfo=UTC)))
            alerts = {a["finding_id"]: a["severity"] for a in webhook["alerts"]}
            assert len(alerts) == len(webhook["alerts"]), planned
            assert alerts == {n: s.label for n, s in strongest.items()}, planned
            slack = json.dumps(render_slack(items, "s")["blocks"][1:])  # below the header
            for n in strongest:
                assert slack.count(f"reqeusts{n} 1.0 imitates") == 1, planned
            text = render_email(items, "s", sender="a@b", recipient="c@d", unsubscribe="u")
            body = text.get_body(("plain",))
            assert body is not None
            for n in strongest:
                assert body.get_content().count(f"reqeusts{n} 1.0 imitates") == 1, planned


def sub(**changes: object) -> Subscription:
    base = Subscription(1, "s", Channel.SLACK, "https://hooks.example/x")
    return Subscription(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subscription", "candidate", "expected"),
    [
        (sub(), Candidate("reqeusts", Severity.MEDIUM, [], []), True),  # default: medium and up
        (sub(), Candidate("reqeusts", Severity.LOW, [], []), False),  # below the threshold
        (sub(enabled=False), Candidate("x", Severity.CRITICAL, [], []), False),  # switched off
        (
            sub(check_ids=("typosquat.",)),
            Candidate("x", Severity.HIGH, ["typosquat.swapped-chars"], []),
            True,
        ),  # a family prefix
        (
            sub(check_ids=("metadata.url-dependency",)),
            Candidate("x", Severity.HIGH, ["typosquat.swapped-chars"], []),
            False,
        ),
        (
            sub(watched_projects=("requests",)),
            Candidate("reqeusts", Severity.HIGH, [], ["requests"]),
            True,
        ),  # imitates mine
        (
            sub(watched_projects=("requests",)),
            Candidate("requests", Severity.HIGH, [], []),
            True,
        ),  # mine itself
        (
            sub(watched_projects=("flask",)),
            Candidate("reqeusts", Severity.HIGH, [], ["requests"]),
            False,
        ),
        (sub(name_patterns=("req*",)), Candidate("reqeusts", Severity.HIGH, [], []), True),
        (sub(name_patterns=("django-*",)), Candidate("reqeusts", Severity.HIGH, [], []), False),
        # every filter that is set must agree
        (
            sub(watched_projects=("requests",), min_severity=Severity.CRITICAL),
            Candidate("reqeusts", Severity.HIGH, [], ["requests"]),
            False,
        ),
    ],
)
def test_matching(subscription: Subscription, candidate: Candidate, expected: bool) -> None:
    assert matches(subscription, candidate) is expected


@pytest.mark.parametrize(
    ("channel", "target", "masked"),
    [
        (
            "slack",
            "https://hooks.slack.com/services/T000/B000/XXXXsecretYYYY",
            "https://hooks.slack.com/…",  # not even the token's tail
        ),
        ("email", "alice@example.org", "a…@example.org"),
        ("webhook", "https://user:pw@example.com:8443/hook?token=x", "https://example.com/…"),
        ("email", "not-an-address", "…"),
    ],
)
def test_credentials_are_masked(channel: str, target: str, masked: str) -> None:
    assert mask_target(channel, target) == masked


@pytest.mark.parametrize(
    ("delivery", "now", "expected"),
    [
        (Delivery.IMMEDIATE, datetime(2026, 1, 1, 10, 30, tzinfo=UTC), None),
        (
            Delivery.HOURLY,
            datetime(2026, 1, 1, 10, 30, tzinfo=UTC),
            datetime(2026, 1, 1, 11, 0, tzinfo=UTC),
        ),
        (
            Delivery.DAILY,
            datetime(2026, 1, 1, 7, 0, tzinfo=UTC),
            datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
        ),
        (
            Delivery.DAILY,
            datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
            datetime(2026, 1, 2, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_digest_schedule(delivery: Delivery, now: datetime, expected: datetime | None) -> None:
    assert next_digest_after(delivery, now) == expected


POLICY = SenderPolicy(settle=0.5, max_wait=30, burst_messages=10, burst_window=60)
NOW = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("group", "recent", "expected"),
    [
        (PendingGroup(1, "immediate", None, 1.0, 1.0), 0, True),  # quiet subscription: send now
        (PendingGroup(1, "immediate", None, 0.2, 0.2), 0, False),  # settling: more may be coming
        (
            PendingGroup(1, "immediate", None, 31.0, 0.1),
            0,
            True,
        ),  # a steady stream waits at most max_wait
        (PendingGroup(1, "immediate", None, 5.0, 5.0), 10, False),  # a campaign: group it
        (PendingGroup(1, "immediate", None, 30.0, 5.0), 10, True),  # ...for max_wait at most
        (
            PendingGroup(1, "hourly", datetime(2026, 1, 1, 11, tzinfo=UTC), 999.0, 999.0),
            0,
            False,
        ),  # not yet
        (
            PendingGroup(1, "hourly", datetime(2026, 1, 1, 10, tzinfo=UTC), 1.0, 1.0),
            0,
            True,
        ),  # its hour came
    ],
)
def test_when_alerts_go_out(group: PendingGroup, recent: int, expected: bool) -> None:
    assert is_due(group, recent, POLICY, NOW) is expected
