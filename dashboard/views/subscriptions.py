"""Subscriptions: the alert rules; create, edit, delete and send a test alert when logged in.

A target (webhook URL or address) is a credential: the page only ever shows it masked, and an
edit that leaves it empty keeps the stored one.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard import actions, context, queries
from dashboard.context import PageContext
from dashboard.forms import CHANNELS, CHECK_IDS, DELIVERIES, SubscriptionForm, validate
from dashboard.queries import SubscriptionRow
from dashboard.widgets import notice, read_only_notice, table

FLASH = "subscriptions_flash"
COLUMNS = {
    "name": "name",
    "channel": "channel",
    "target_masked": "target (masked)",
    "min_severity": "min severity",
    "check_ids": st.column_config.ListColumn("checks"),
    "watched_projects": st.column_config.ListColumn("projects"),
    "name_patterns": st.column_config.ListColumn("name patterns"),
    "delivery": "delivery",
    "enabled": "enabled",
    "has_secret": "signed",
    "origin": "origin",
    "failed_deliveries": st.column_config.NumberColumn("failed deliveries"),
    "updated_at": st.column_config.DatetimeColumn("updated (UTC)", format="YYYY-MM-DD HH:mm"),
}


def render(ctx: PageContext) -> None:
    st.title("Subscriptions")
    db = ctx.db
    subs = db.run(queries.fetch_subscriptions(db.pool))
    message = st.session_state.pop(FLASH, None)
    if isinstance(message, tuple):
        notice(*message)
    if subs:
        frame = pd.DataFrame([dataclasses.asdict(s) for s in subs])
        table(frame, COLUMNS, column_order=list(COLUMNS))
    else:
        st.caption("No subscriptions yet: nobody is alerted.")
    if not read_only_notice(ctx.access):
        return
    create_tab, edit_tab = st.tabs(["New subscription", "Edit, test or delete"])
    with create_tab:
        create(ctx)
    with edit_tab:
        edit(ctx, subs)


def subscription_form(key: str, current: SubscriptionRow | None) -> SubscriptionForm | None:
    """The form's fields; returns the values when submitted."""
    with st.form(key, clear_on_submit=current is None):
        left, right = st.columns(2)
        name = left.text_input(
            "Name", value=current.name if current else "", max_chars=100, key=f"{key}_name"
        )
        channel = right.selectbox(
            "Channel",
            CHANNELS,
            key=f"{key}_channel",
            index=CHANNELS.index(current.channel) if current else 0,
        )
        hint = (
            f"leave empty to keep {current.target_masked}"
            if current
            else "https://hooks.slack.com/… or an address"
        )
        target = left.text_input(
            "Webhook URL or e-mail address", type="password", placeholder=hint, key=f"{key}_target"
        )
        secret = right.text_input(
            "Signing secret (webhooks, optional)",
            type="password",
            key=f"{key}_secret",
            placeholder="leave empty to keep" if current else "",
        )
        severity = left.selectbox(
            "Minimum severity",
            queries.SEVERITIES,
            key=f"{key}_severity",
            index=queries.SEVERITIES.index(current.min_severity) if current else 2,
        )
        delivery = right.selectbox(
            "Delivery",
            DELIVERIES,
            key=f"{key}_delivery",
            index=DELIVERIES.index(current.delivery) if current else 0,
        )
        checks = st.multiselect(
            "Only these checks (none: every check)",
            CHECK_IDS,
            key=f"{key}_checks",
            default=[c for c in (current.check_ids if current else []) if c in CHECK_IDS],
        )
        projects = left.text_area(
            "Watched projects (your own, to catch squats of them)",
            key=f"{key}_projects",
            value=" ".join(current.watched_projects) if current else "",
        )
        patterns = right.text_area(
            "Name patterns (e.g. acme-*)",
            key=f"{key}_patterns",
            value=" ".join(current.name_patterns) if current else "",
        )
        enabled = st.checkbox(
            "Enabled", value=current.enabled if current else True, key=f"{key}_enabled"
        )
        clear = (
            current is not None and current.has_secret and st.checkbox("Remove the signing secret")
        )
        submitted = st.form_submit_button("Save" if current else "Create", type="primary")
    if not submitted:
        return None
    return SubscriptionForm(
        name=name,
        channel=channel,
        target=target,
        min_severity=severity,
        check_ids=checks,
        watched_projects=projects,
        name_patterns=patterns,
        delivery=delivery,
        enabled=enabled,
        secret=secret,
        clear_secret=bool(clear),
    )


def create(ctx: PageContext) -> None:
    form = subscription_form("new_subscription", None)
    if form is None:
        return
    checked = validate(form)
    if isinstance(checked, list):
        notice("error", "Not saved:", "; ".join(checked))
        return
    db = ctx.db
    try:
        db.run(queries.create_subscription(db.pool, checked))
    except queries.DuplicateName:
        st.error("Not saved: a subscription with that name exists.")
        return
    st.session_state[FLASH] = ("success", "Subscription created:", checked.name)
    st.rerun()


def edit(ctx: PageContext, subs: list[SubscriptionRow]) -> None:
    if not subs:
        st.caption("Nothing to edit yet.")
        return
    by_id = {s.id: s for s in subs}
    chosen = st.selectbox(
        "Subscription", list(by_id), format_func=lambda i: by_id[i].name, key="subscription_edit"
    )
    current = by_id[chosen]
    test, delete = st.columns(2)
    if test.button("Send a test alert", key=f"test_{current.id}", icon=":material/send:"):
        result = actions.send_test_alert(ctx.db, ctx.settings, current.id)
        notice("success" if result.ok else "error", "Test alert:", result.message)
    confirm = delete.checkbox("Yes, delete it", key=f"confirm_delete_{current.id}")
    if delete.button(
        "Delete", key=f"delete_{current.id}", disabled=not confirm, icon=":material/delete:"
    ):
        db = ctx.db
        db.run(queries.delete_subscription(db.pool, current.id))
        st.session_state[FLASH] = ("success", "Subscription deleted:", current.name)
        st.rerun()
    form = subscription_form(f"edit_subscription_{current.id}", current)
    if form is not None:
        save(ctx, current, form)


def save(ctx: PageContext, current: SubscriptionRow, form: SubscriptionForm) -> None:
    checked = validate(form, previous_channel=current.channel)
    if isinstance(checked, list):
        notice("error", "Not saved:", "; ".join(checked))
        return
    db = ctx.db
    try:
        db.run(queries.update_subscription(db.pool, current.id, checked))
    except queries.DuplicateName:
        st.error("Not saved: a subscription with that name exists.")
        return
    st.session_state[FLASH] = ("success", "Subscription saved:", checked.name)
    st.rerun()


if __name__ == "__main__":
    render(context.current())
