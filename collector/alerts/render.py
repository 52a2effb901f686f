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

from collector.alerts.model import AlertItem

SHOWN = 15  # items listed in a grouped message; the rest are counted
_SLACK_TEXT = 2900  # Slack's plain_text limit is 3000 characters
_SLACK_HEADER = 150


def headline(item: AlertItem) -> str:
    """'HIGH reqeusts 0.0.1 imitates requests' - the project and version, always in plain text."""
    imitates = f" imitates {', '.join(item.targets)}" if item.targets else ""
    return f"{item.severity.label.upper()} {item.project} {item.version}{imitates}"


def title(items: Sequence[AlertItem]) -> str:
    if len(items) == 1:
        return headline(items[0])
    worst = max(item.severity for item in items)
    return (
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


def render_slack(items: Sequence[AlertItem], subscription: str) -> dict[str, Any]:
    """A Block Kit message: one release in detail, or a grouped list for a burst."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_clip(title(items), _SLACK_HEADER))}
    ]
    for item in items[:SHOWN]:
        blocks.append({"type": "section", "text": _plain(_item_lines(item))})
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _links_mrkdwn(item)}]}
        )
    if len(items) > SHOWN:
        more = f"…and {len(items) - SHOWN} more releases: see the dashboard."
        blocks.append({"type": "section", "text": _plain(more)})
    blocks.append(
        {"type": "context", "elements": [_plain(f"pypi-sentinel · subscription {subscription}")]}
    )
    return {"text": _slack_fallback(items), "blocks": blocks}


def _slack_fallback(items: Sequence[AlertItem]) -> str:
    # Notification text is mrkdwn: only normalized names, versions and severities, with &<>
    # escaped as Slack asks.
    text = title(items)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_email(
    items: Sequence[AlertItem],
    subscription: str,
    *,
    sender: str,
    recipient: str,
    unsubscribe: str,
) -> EmailMessage:
    """Plain text and HTML alternatives; the subject cannot carry header injection."""
    message = EmailMessage()
    message["Subject"] = _header_safe(f"[pypi-sentinel] {title(items)}")
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
        "<html><body>" + "".join(rows)
        + f"<p style=\"color:#666\">pypi-sentinel, subscription {esc(subscription)}</p></body></html>"
    )  # fmt: skip


def render_webhook(items: Sequence[AlertItem], subscription: str, sent_at: datetime) -> bytes:
    """The generic webhook body: {"schema": 1, "subscription", "sent_at", "alerts": [...]}."""
    payload = {
        "schema": 1,
        "subscription": subscription,
        "sent_at": sent_at.isoformat(),
        "alerts": [
            {
                "finding_id": i.finding_id, "name": i.project, "version": i.version,
                "severity": i.severity.label, "score": i.score, "summary": i.summary,
                "reasons": list(i.reasons), "checks": list(i.checks), "targets": list(i.targets),
                "first_seen": i.first_seen.isoformat(),
                "links": {"pypi": i.pypi_url, "inspector": i.inspector_url, "dashboard": i.dashboard_url},
            }
            for i in items
        ],
    }  # fmt: skip
    return json.dumps(payload, ensure_ascii=False).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """X-Sentinel-Signature: HMAC-SHA256 over "<timestamp>.<body>" (the timestamp stops replays)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()
