"""Approvals: what the vetted index was asked for and waits on, with the evidence to decide, and
the decisions in force; approving or denying needs a login, and records who did it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.approvals import Approval
from analysis.corpus import Corpus
from collector.approvals import Review, new_approval, target_text
from collector.corpus import load_local_corpus
from collector.errors import UsageError
from dashboard import context, queries
from dashboard.auditing import INDEX_TTL
from dashboard.context import PageContext
from dashboard.text import licence_text
from dashboard.widgets import notice, read_only_notice, table

FLASH = "approvals_flash"
PROBLEM = "approvals_problem"
TARGET_KEY, TYPED_KEY = "approval_target", "approval_typed"
DECISION_KEY, REASON_KEY, EXPIRES_KEY = "approval_decision", "approval_reason", "approval_expires"
DECISIONS = {"approved": "Approve", "denied": "Deny"}
WHEN = "YYYY-MM-DD HH:mm"
REVIEW_COLUMNS = {
    "target": "requested",
    "requested_by": "last asked by",
    "count": "times asked",
    "requested_at": st.column_config.DatetimeColumn("last asked (UTC)", format=WHEN),
    "release": "release described",
    "verdict": "our verdict",
    "score": "score",
    "malicious": st.column_config.ListColumn("known malicious"),
    "vulnerabilities": st.column_config.ListColumn("known vulnerabilities"),
    "licence": "licence",
    "uploaded_at": st.column_config.DatetimeColumn("uploaded (UTC)", format=WHEN),
    "first_uploaded_at": st.column_config.DatetimeColumn("first upload (UTC)", format=WHEN),
    "downloads": st.column_config.NumberColumn("downloads a month", format="%d"),
    "owners": st.column_config.ListColumn("owners"),
}
DECISION_COLUMNS = {
    "target": "project",
    "decision": "decision",
    "actor": "who",
    "created_at": st.column_config.DatetimeColumn("when (UTC)", format=WHEN),
    "expires_at": st.column_config.DatetimeColumn("expires (UTC)", format=WHEN),
    "reason": st.column_config.TextColumn("why", width="large"),
}


def render(ctx: PageContext) -> None:
    st.title("Approvals")
    message = st.session_state.pop(FLASH, None)
    if isinstance(message, tuple):
        notice(*message)
    db = ctx.db
    popular = popular_list(str(ctx.settings.cache_dir))
    reviews = db.run(queries.fetch_approval_reviews(db.pool, popular))
    st.subheader("Waiting for a decision")
    if reviews:
        table(
            pd.DataFrame([review_row(r) for r in reviews]),
            REVIEW_COLUMNS,
            column_order=list(REVIEW_COLUMNS),
            key="pending",
        )
    else:
        st.caption("Nothing waits: every request has a decision in force.")
    if read_only_notice(ctx.access):
        decide(ctx, reviews)
    st.subheader("Decisions")
    expired = st.checkbox("Show expired decisions too", key="keep_approvals_expired")
    decisions = db.run(queries.fetch_decisions(db.pool, include_expired=expired))
    if decisions:
        table(
            pd.DataFrame([decision_row(a) for a in decisions]),
            DECISION_COLUMNS,
            column_order=list(DECISION_COLUMNS),
            key="decisions",
        )
    else:
        st.caption("No decisions yet.")


@st.cache_resource(show_spinner=False, ttl=INDEX_TTL)
def popular_list(cache_dir: str) -> Corpus:
    """The popular-projects list the downloads column reads (the collector refreshes it daily)."""
    return load_local_corpus(Path(cache_dir)).corpus


def review_row(review: Review) -> dict[str, object]:
    release, found = review.release, review.exposure
    vulnerabilities = [a.id for a, _ in found.vulnerabilities]
    if found.unchecked:
        vulnerabilities.append(f"{found.unchecked} record(s) about some version")
    return {
        "target": target_text(review.request.project, review.request.version),
        "requested_by": review.request.requested_by,
        "count": review.request.count,
        "requested_at": review.request.requested_at,
        "release": release.version if release else None,
        "verdict": (release.risk_severity or "not analysed") if release else "not stored",
        "score": release.risk_score if release else None,
        "malicious": [a.id for a in found.malicious],
        "vulnerabilities": vulnerabilities,
        "licence": licence_text(review.licence) if review.licence else None,
        "uploaded_at": release.uploaded_at if release else None,
        "first_uploaded_at": review.first_uploaded_at,
        "downloads": review.downloads.count,
        "owners": sorted(review.ownership.users) if review.ownership else [],
    }


def decision_row(approval: Approval) -> dict[str, object]:
    return {
        "target": target_text(approval.project, approval.version),
        "decision": approval.decision,
        "actor": approval.actor,
        "created_at": approval.created_at,
        "expires_at": approval.expires_at,
        "reason": approval.reason,
    }


def decide(ctx: PageContext, reviews: list[Review]) -> None:
    targets = [target_text(r.request.project, r.request.version) for r in reviews]
    with st.form("approval"):
        left, right = st.columns(2)
        left.selectbox(
            "Waiting request",
            targets,
            index=None,
            key=TARGET_KEY,
            placeholder="choose one, or type a name",
        )
        right.text_input("or NAME / NAME==VERSION", key=TYPED_KEY, max_chars=200)
        left.radio(
            "Decision",
            list(DECISIONS),
            format_func=DECISIONS.__getitem__,
            key=DECISION_KEY,
            horizontal=True,
        )
        right.text_input("Expires (optional): YYYY-MM-DD or 30d", key=EXPIRES_KEY, max_chars=20)
        st.text_area("Reason (required)", key=REASON_KEY, max_chars=2000)
        st.form_submit_button("Record decision", type="primary", on_click=record, args=(ctx,))
    problem = st.session_state.pop(PROBLEM, None)
    if problem:
        notice("error", "Not recorded:", str(problem))


def record(ctx: PageContext) -> None:
    """Store the decision, then blank the form; on bad input say why and store nothing. A
    callback: only it may reset the widgets it reads."""
    state = st.session_state
    target = str(state.get(TYPED_KEY) or "").strip() or str(state.get(TARGET_KEY) or "")
    if not target:
        state[PROBLEM] = "choose a request or type a project name"
        return
    try:
        approval = new_approval(
            target,
            state.get(DECISION_KEY) or "approved",
            str(state.get(REASON_KEY) or ""),
            ctx.access.actor or "",
            datetime.now(UTC),
            str(state.get(EXPIRES_KEY) or "").strip() or None,
        )
    except UsageError as exc:
        state[PROBLEM] = str(exc)
        return
    db = ctx.db
    db.run(queries.save_decision(db.pool, approval))
    state[TARGET_KEY], state[TYPED_KEY], state[REASON_KEY], state[EXPIRES_KEY] = None, "", "", ""
    target = target_text(approval.project, approval.version)
    state[FLASH] = ("success", f"Recorded: **{approval.decision}**", target)


if __name__ == "__main__":
    render(context.current())
