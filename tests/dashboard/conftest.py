"""Dashboard fixtures: the real app file under AppTest, against a seeded real Postgres."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.seed import Seeded, seed_database

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse battery staple"

MakeApp = Callable[..., AppTest]


@pytest.fixture(autouse=True)
def _release_handles() -> Iterator[None]:
    """Each test gets its own database: close the cached pool and loop thread after it."""
    yield
    st.cache_resource.clear()


@pytest.fixture
def seeded(database_url: str) -> Seeded:
    return seed_database(database_url)


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> MakeApp:
    """An AppTest of the app on `page`, read-only unless `password` (and then logged in)."""

    def make(
        page: str | None = None,
        *,
        password: str | None = None,
        logged_in_as: str | None = None,
        url: str | None = None,
        query: dict[str, str] | None = None,
    ) -> AppTest:
        monkeypatch.setenv("PYPI_SENTINEL_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("PYPI_SENTINEL_DATABASE_URL", url or database_url)
        if password:
            monkeypatch.setenv("PYPI_SENTINEL_DASHBOARD_PASSWORD", password)
        else:
            monkeypatch.delenv("PYPI_SENTINEL_DASHBOARD_PASSWORD", raising=False)
        at = AppTest.from_file(APP, default_timeout=60)
        if logged_in_as:
            at.session_state["actor"] = logged_in_as
        at.run()
        if page:
            at.query_params.update(query or {})
            at.switch_page(page).run()
        return at

    return make
