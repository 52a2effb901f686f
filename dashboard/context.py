"""What every page needs: the settings, the shared database handle and who is logged in."""

from __future__ import annotations

import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import streamlit as st

from collector.config import Settings
from dashboard.db import AsyncDB

AccessMode = Literal["read-only", "password", "oidc"]
MAX_FAILURES = 5
LOCKOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Access:
    """How the dashboard is protected, and the person logged in (None: nobody)."""

    mode: AccessMode
    actor: str | None = None

    @property
    def can_act(self) -> bool:
        return self.mode != "read-only" and self.actor is not None


@dataclass(frozen=True, slots=True)
class PageContext:
    settings: Settings
    access: Access

    @property
    def db(self) -> AsyncDB:
        """The process's database handle; raises DatabaseUnavailable while it cannot connect."""
        return database(self.settings.database_url, str(self.settings.pg_dir))


@st.cache_resource(show_spinner=False, on_release=AsyncDB.close)
def database(database_url: str | None, pg_dir: str) -> AsyncDB:
    """One handle per server process and database (a failed attempt is not cached)."""
    return AsyncDB(database_url, Path(pg_dir))


def load_settings() -> Settings:
    """Settings from the environment the `dashboard` command passed (ConfigError if bad)."""
    return Settings.load(os.environ)


def current() -> PageContext:
    settings = load_settings()
    return PageContext(settings, access(settings))


def oidc_configured() -> bool:
    """Streamlit's own OIDC login is set up ([auth] in .streamlit/secrets.toml)."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except (FileNotFoundError, OSError):
        return False


def access(settings: Settings) -> Access:
    if oidc_configured():
        if st.user.is_logged_in:
            who = st.user.get("email") or st.user.get("name") or "oidc user"
            return Access("oidc", str(who))
        return Access("oidc")
    if settings.dashboard_password:
        actor = st.session_state.get("actor")
        return Access("password", actor if isinstance(actor, str) else None)
    return Access("read-only")


def try_login(settings: Settings, name: str, password: str, now: float | None = None) -> str | None:
    """Log this session in; returns why not, or None on success. Failures lock it for a while."""
    now = time.monotonic() if now is None else now
    locked_until = float(st.session_state.get("login_locked_until", 0.0))
    if now < locked_until:
        return f"Too many failed attempts; try again in {locked_until - now:.0f} s."
    expected = settings.dashboard_password or ""
    name = " ".join(name.split())[:100]
    if not name:
        return "Enter your name: it is recorded with every verdict and report."
    if not expected or not hmac.compare_digest(password.encode(), expected.encode()):
        failures = int(st.session_state.get("login_failures", 0)) + 1
        st.session_state["login_failures"] = failures
        if failures >= MAX_FAILURES:
            st.session_state["login_locked_until"] = now + LOCKOUT_SECONDS
            st.session_state["login_failures"] = 0
        return "Wrong password."
    st.session_state["login_failures"] = 0
    st.session_state["actor"] = name
    return None


def logout() -> None:
    st.session_state.pop("actor", None)
