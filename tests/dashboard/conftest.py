"""Dashboard fixtures: the real app file under AppTest, against a seeded real Postgres."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from aiohttp import web
from streamlit.testing.v1 import AppTest

from standin import StandInPyPI
from tests.dashboard.seed import Seeded, seed_database, seed_osv

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PASSWORD = "correct horse battery staple"

MakeApp = Callable[..., AppTest]


@pytest.fixture(autouse=True)
def _release_handles() -> Iterator[None]:
    """Each test gets its own database: close the cached pool and loop thread after it."""
    yield
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def standin_pypi() -> Iterator[tuple[StandInPyPI, str]]:
    """A stand-in PyPI on a thread of its own (AppTest is synchronous): the dashboard's PyPI in
    every test, so no page ever reaches the real one. It knows one project we do not store."""
    pypi = StandInPyPI()
    pypi.upload(
        "colorama",
        "0.4.6",
        metadata={"summary": "Cross-platform colored terminal text.", "author": "Jonathan Hartley"},
    )
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(pypi.app(), access_log=None)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    pypi.base_url = f"http://127.0.0.1:{port}"
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield pypi, pypi.base_url
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def seeded(database_url: str) -> Seeded:
    return seed_database(database_url)


@pytest.fixture
def osv(seeded: Seeded, database_url: str) -> Seeded:
    """The seeded store, with OSV records on requests and reqeusts."""
    seed_osv(database_url)
    return seeded


@pytest.fixture
def make_app(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    standin_pypi: tuple[StandInPyPI, str],
) -> MakeApp:
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
        monkeypatch.setenv("PYPI_SENTINEL_PYPI_URL", standin_pypi[1])
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
