"""End to end: `pypi-sentinel dashboard` on 127.0.0.1, driven in headless Chromium (Debian's).

Log in, open Findings, filter, open a release, record a verdict, check the row in Postgres, and
leave a screenshot in artifacts/dashboard-e2e.png.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import CLI
from tests.dashboard.conftest import PASSWORD
from tests.dashboard.seed import Seeded

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)"
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the dashboard exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the dashboard did not answer its health check")


@pytest.fixture
def server(seeded: Seeded, database_url: str, cli_env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    env = {**cli_env, "PYPI_SENTINEL_DATABASE_URL": database_url,
           "PYPI_SENTINEL_DASHBOARD_PASSWORD": PASSWORD}  # fmt: skip
    process = subprocess.Popen(
        [CLI, "dashboard", "--address", "127.0.0.1", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        assert process.wait(20) == 0  # SIGTERM is a clean stop


def _verdicts(url: str, release_id: int) -> list[tuple[str, str, str]]:
    async def go() -> list[tuple[str, str, str]]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT verdict, note, actor FROM triage_verdicts WHERE release_id = $1", release_id
            )
            return [tuple(r) for r in rows]
        finally:
            await conn.close()

    return asyncio.run(go())


def test_triage_in_a_real_browser(server: str, seeded: Seeded, database_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    release_id = seeded.ids["reqeusts 1.0.0"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2200})
        page.set_default_timeout(20_000)
        page.goto(f"{server}/findings", wait_until="domcontentloaded")
        page.get_by_text("1-50 of 64 releases").wait_for()
        # log in from the sidebar
        page.get_by_label("Your name").fill("erin")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Logged in as").wait_for()
        # filter: search the author
        search = page.get_by_label("Search name, target or author")
        search.fill("evil")
        search.press("Enter")
        page.get_by_text("1-2 of 2 releases").wait_for()
        # open the detail of reqeusts
        page.get_by_role("combobox", name="Open a release").click()
        page.get_by_role("option", name="reqeusts 1.0.0").click()
        page.get_by_role("heading", name="reqeusts 1.0.0").wait_for()
        expect(page).to_have_url(f"{server}/release?release={release_id}")
        # record a verdict
        page.get_by_label("Note").fill("typosquat of requests; copies its summary")
        page.get_by_role("button", name="Record verdict").click()
        page.get_by_text("Recorded malicious.").wait_for()
        page.get_by_text("Status: malicious").wait_for()
        page.wait_for_timeout(1000)  # let the canvas tables paint before the picture
        page.screenshot(path=str(ARTIFACTS / "dashboard-e2e.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]').count()
        browser.close()
    assert exceptions == 0
    assert _verdicts(database_url, release_id) == [
        ("malicious", "typosquat of requests; copies its summary", "erin")
    ]


def test_dashboard_command_environment() -> None:
    from collector.commands.dashboard import settings_environment, streamlit_command
    from collector.config import Settings

    settings = Settings(home=Path("/tmp/h"), database_url="postgresql://u:pw@h/db",
                        xmlrpc=False, dashboard_password="pw")  # fmt: skip
    env = settings_environment(settings, {"PATH": "/bin", "PYPI_SENTINEL_WORKERS": "99"})
    assert env["PYPI_SENTINEL_HOME"] == "/tmp/h"
    assert env["PYPI_SENTINEL_XMLRPC"] == "off"
    assert env["PYPI_SENTINEL_WORKERS"] == str(
        settings.workers
    )  # resolved settings win over the parent's
    assert Settings.load(env) == settings  # the child reads back exactly what we run with
    command = streamlit_command(settings, "0.0.0.0", 8501)
    assert command[command.index("--server.headless") + 1] == "true"
    assert "pw" not in " ".join(command)  # secrets go in the environment, never in argv
    assert os.path.basename(command[4]) == "app.py"
