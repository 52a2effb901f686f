"""Rendering alerts for each medium. Pure: items in, a payload out; nothing here sends anything.

Package-supplied text (names aside, everything comes from the uploader: summaries, reasons that
quote metadata, targets) is escaped for each medium: Slack plain_text objects (never mrkdwn),
HTML-escaped email bodies and header-safe subjects, JSON for webhooks. The only links are the
ones we build (PyPI, inspector, dashboard).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from collector.alerts.model import WHOLE, AlertItem, Channel, Part

SLACK_ITEMS = 50  # releases in one Slack message: 12 blocks, about 20,000 characters
_SLACK_LINES = 10  # releases in one section: 10 lines of at most 280 characters, and a context
_SLACK_LINE = 280  # of 10 links (a context block holds 10 elements)
_SLACK_TEXT = 2900  # Slack's plain_text limit is 3000 characters
_SLACK_HEADER = 150
_SLACK_FALLBACK = 1000  # the notification text; Slack truncates `text` far later (40,000)


def per_message(channel: Channel, batch: int) -> int:
    """How many releases one message may carry: Slack's Block Kit limits (50 blocks, 3000
    characters a section) bound a Slack message; email and webhooks take the sender's batch."""
    return min(batch, SLACK_ITEMS) if channel is Channel.SLACK else batch


def headline(item: AlertItem) -> str:
    """'HIGH reqeusts 0.0.1 imitates requests' - the project and version, always in plain text."""
    imitates = f" imitates {', '.join(item.targets)}" if item.targets else ""
    return f"{item.severity.label.upper()} {item.project} {item.version}{imitates}"


def title(items: Sequence[AlertItem], part: Part = WHOLE) -> str:
    """The subject line; a part of a split burst says so first, so a clipped title keeps it."""
    prefix = f"{part.label.capitalize()}: " if part.label else ""
    if len(items) == 1:
        return prefix + headline(items[0])
    worst = max(item.severity for item in items)
    return prefix + (
        f"{len(items)} flagged releases (worst: {worst.label}): "
        + ", ".join(f"{i.project} {i.version}" for i in items[:3])
        + (", ..." if len(items) > 3 else "")
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, _SLACK_TEXT) or " ", "emoji": False}


def _links_mrkdwn(item: AlertItem) -> str:
    # Only URLs we built; the labels are fixed words. Nothing from the package goes in here.
    return (
        f"<{item.pypi_url}|PyPI> · <{item.inspector_url}|inspector> · "
        f"<{item.dashboard_url}|dashboard>"
    )


def _item_lines(item: AlertItem) -> str:
    reasons = "\n".join(f"• {reason}" for reason in item.reasons[:8])
    return f"{headline(item)} (score {item.score})\n{item.summary}\n{reasons}".strip()


def compact_line(item: AlertItem) -> str:
    """'HIGH reqeusts 0.0.1 imitates requests: swaps ue', one reason, clipped to one line."""
    reason = item.reasons[0] if item.reasons else item.summary
    return _clip(" ".join(f"{headline(item)}: {reason}".split()), _SLACK_LINE)


def _release_link(item: AlertItem) -> dict[str, Any]:
    # The label is the normalized name and the version; &<>| escaped so it cannot end the link.
    label = _mrkdwn_escape(f"{item.project} {item.version}").replace("|", "¦")
    return {"type": "mrkdwn", "text": f"<{item.dashboard_url or item.pypi_url}|{label}>"}


def render_slack(
    items: Sequence[AlertItem], subscription: str, part: Part = WHOLE
) -> dict[str, Any]:
    """A Block Kit message: one release in detail, or one compact line per release of a burst.

    The sender never hands more than SLACK_ITEMS releases to one message: a longer burst goes
    as several messages, each saying which part it is."""
    if len(items) > SLACK_ITEMS:
        raise ValueError(f"{len(items)} releases do not fit one Slack message ({SLACK_ITEMS})")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_clip(title(items, part), _SLACK_HEADER))}
    ]
    blocks.extend(_detail_blocks(items[0]) if len(items) == 1 else _compact_blocks(items))
    footer = f"pypi-sentinel · subscription {subscription}"
    if part.index < part.total:
        footer += f" · {part.label}: the burst continues in the next message"
    elif part.label:
        footer += f" · {part.label}"
    blocks.append({"type": "context", "elements": [_plain(footer)]})
    return {"text": _slack_fallback(items, part), "blocks": blocks}


def _detail_blocks(item: AlertItem) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": _plain(_item_lines(item))},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _links_mrkdwn(item)}]},
    ]


def _compact_blocks(items: Sequence[AlertItem]) -> list[dict[str, Any]]:
    """Ten lines a section (package text stays plain_text), then their ten links below it."""
    blocks: list[dict[str, Any]] = []
    for start in range(0, len(items), _SLACK_LINES):
        chunk = items[start : start + _SLACK_LINES]
        blocks.append({"type": "section", "text": _plain("\n".join(map(compact_line, chunk)))})
        blocks.append({"type": "context", "elements": [_release_link(i) for i in chunk]})
    return blocks


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_fallback(items: Sequence[AlertItem], part: Part) -> str:
    # Notification text is mrkdwn: only normalized names, versions and severities, with &<>
    # escaped as Slack asks.
    return _clip(_mrkdwn_escape(title(items, part)), _SLACK_FALLBACK)


def render_email(
    items: Sequence[AlertItem],
    subscription: str,
    *,
    sender: str,
    recipient: str,
    unsubscribe: str,
    part: Part = WHOLE,
) -> EmailMessage:
    """Plain text and HTML alternatives; the subject cannot carry header injection."""
    message = EmailMessage()
    message["Subject"] = _header_safe(f"[pypi-sentinel] {title(items, part)}")
    message["From"] = sender
    message["To"] = recipient
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["X-PyPI-Sentinel-Subscription"] = _header_safe(subscription)
    message.set_content(_email_text(items, subscription))
    message.add_alternative(_email_html(items, subscription), subtype="html")
    return message


def _header_safe(text: str) -> str:
    return _clip(" ".join(text.split()), 200)  # no CR/LF, no folding tricks


def _email_text(items: Sequence[AlertItem], subscription: str) -> str:
    parts = [
        f"{_item_lines(item)}\n  PyPI: {item.pypi_url}\n  inspector: {item.inspector_url}\n"
        f"  dashboard: {item.dashboard_url}"
        for item in items
    ]
    return "\n\n".join(parts) + f"\n\n-- pypi-sentinel, subscription {subscription}\n"


def _email_html(items: Sequence[AlertItem], subscription: str) -> str:
    esc = html.escape
    rows = []
    for item in items:
        reasons = "".join(f"<li>{esc(r)}</li>" for r in item.reasons[:8])
        rows.append(
            f"<h3>{esc(headline(item))} (score {item.score})</h3><p>{esc(item.summary)}</p>"
            f'<ul>{reasons}</ul><p><a href="{esc(item.pypi_url)}">PyPI</a> · '
            f'<a href="{esc(item.inspector_url)}">inspector</a> · '
            f'<a href="{esc(item.dashboard_url)}">dashboard</a></p>'
        )
    return (
        "<html><body>"
        + "".join(rows)
        + f'<p style="color:#666">pypi-sentinel, subscription {esc(subscription)}</p></body></html>'
    )


def render_webhook(
    items: Sequence[AlertItem], subscription: str, sent_at: datetime, part: Part = WHOLE
) -> bytes:
    """The generic webhook body: {"schema": 1, "subscription", "sent_at", "part", "alerts"}."""
    payload = {
        "schema": 1,
        "subscription": subscription,
        "sent_at": sent_at.isoformat(),
        "part": {"index": part.index, "of": part.total},
        "alerts": [
            {
                "finding_id": i.finding_id,
                "name": i.project,
                "version": i.version,
                "severity": i.severity.label,
                "score": i.score,
                "summary": i.summary,
                "reasons": list(i.reasons),
                "checks": list(i.checks),
                "targets": list(i.targets),
                "first_seen": i.first_seen.isoformat(),
                "links": {
                    "pypi": i.pypi_url,
                    "inspector": i.inspector_url,
                    "dashboard": i.dashboard_url,
                },
            }
            for i in items
        ],
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """X-Sentinel-Signature: HMAC-SHA256 over "<timestamp>.<body>" (the timestamp stops replays)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()
