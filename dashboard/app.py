"""The Streamlit entry point: page setup, navigation, login, and one place that handles outages.

Run by `pypi-sentinel dashboard` (streamlit run dashboard/app.py); settings come from the
environment the command passes.
"""

from __future__ import annotations

import logging

import streamlit as st

from collector.dashboard_links import RELEASE_PATH
from collector.errors import ConfigError, DatabaseUnavailable, SentinelError
from dashboard import context
from dashboard.context import PageContext
from dashboard.text import literal_code
from dashboard.widgets import RELEASE_PAGE

log = logging.getLogger("dashboard")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page("views/findings.py", title="Findings", icon=":material/report:", url_path="findings"),
    st.Page(
        "views/release.py",
        title="Release detail",
        icon=":material/package_2:",
        url_path=RELEASE_PATH,
    ),
    st.Page("views/audit.py", title="Audit", icon=":material/fact_check:", url_path="audit"),
    st.Page("views/campaigns.py", title="Campaigns", icon=":material/hub:", url_path="campaigns"),
    st.Page(
        "views/subscriptions.py",
        title="Subscriptions",
        icon=":material/notifications:",
        url_path="subscriptions",
    ),
    st.Page(
        "views/approvals.py", title="Approvals", icon=":material/verified:", url_path="approvals"
    ),
    st.Page("views/health.py", title="Health", icon=":material/ecg_heart:", url_path="health"),
]
KEEP_PREFIX = "keep_"  # widget state under this prefix survives switching pages


def keep_widget_state() -> None:
    """Streamlit forgets a widget's value when its page is not shown; re-store ours."""
    for key in list(st.session_state.keys()):
        if str(key).startswith(KEEP_PREFIX):
            st.session_state[key] = st.session_state[key]


def sidebar(ctx: PageContext) -> None:
    access = ctx.access
    with st.sidebar:
        st.button("Refresh", icon=":material/refresh:", help="read the database again")
        if access.mode == "read-only":
            st.caption("Read-only: no password or login is configured.")
        elif access.actor is not None:
            st.caption("Logged in as")
            st.text(access.actor)
            if access.mode == "oidc":
                st.button("Log out", on_click=st.logout)
            else:
                st.button("Log out", on_click=context.logout)
        elif access.mode == "oidc":
            st.button("Log in", on_click=st.login, type="primary")
        else:
            login_form(ctx)


def login_form(ctx: PageContext) -> None:
    with st.form("login", clear_on_submit=False, border=True):
        st.markdown("**Log in** to triage, report, decide approvals and manage subscriptions")
        name = st.text_input("Your name", key="login_name", max_chars=100)
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        problem = context.try_login(ctx.settings, name, password)
        if problem:
            st.error(problem)
        else:
            st.rerun()


def unavailable(exc: SentinelError) -> None:
    st.error("**The database is unavailable.** Pages come back on their own once it answers.")
    st.caption("What the connection said (passwords are never shown):")
    st.markdown(literal_code(str(exc)))
    st.button("Try again", type="primary")


def main() -> None:
    st.set_page_config(page_title="pypi-sentinel", page_icon=":material/shield:", layout="wide")
    keep_widget_state()
    try:
        ctx = context.current()
    except ConfigError as exc:
        st.error("**The dashboard's settings are invalid.**")
        st.markdown(literal_code(str(exc)))
        return
    page = st.navigation(PAGES)
    if page.url_path == "" and st.query_params.get("release"):
        # Links sent before the release page had its own path (`/?release=ID`) still open it.
        st.switch_page(RELEASE_PAGE, query_params={"release": st.query_params["release"]})
    sidebar(ctx)
    try:
        page.run()
    except DatabaseUnavailable as exc:
        log.warning("%s", exc)
        unavailable(exc)
    except SentinelError as exc:  # a schema newer than this program, an edited migration
        st.error("**The database cannot be used by this version of pypi-sentinel.**")
        st.markdown(literal_code(str(exc)))


if __name__ == "__main__":
    main()
