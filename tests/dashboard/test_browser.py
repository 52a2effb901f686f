"""End to end: `pypi-sentinel dashboard` on 127.0.0.1, driven in headless Chromium (Debian's).

Log in, open Findings, filter, open a release, record a verdict, check the row in Postgres, and
leave a screenshot in artifacts/dashboard-e2e.png; follow every dashboard link we emit; audit an
uploaded file and save its JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from standin import StandInPyPI
from tests.dashboard.conftest import PASSWORD
from tests.dashboard.seed import Seeded
from tests.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)"
    ),
]


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
def server(
    seeded: Seeded,
    database_url: str,
    cli_env: dict[str, str],
    standin_pypi: tuple[StandInPyPI, str],
) -> Iterator[str]:
    port = free_port()
    env = {
        **cli_env,
        "PYPI_SENTINEL_DATABASE_URL": database_url,
        "PYPI_SENTINEL_DASHBOARD_PASSWORD": PASSWORD,
        "PYPI_SENTINEL_PYPI_URL": standin_pypi[1],
    }
    process = subprocess.Popen(  # this checkout's code, whatever is installed
        [
            sys.executable,
            "-m",
            "collector",
            "dashboard",
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
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
        # record a verdict: none is chosen until the user picks one
        page.get_by_role("combobox", name="Verdict").click()
        page.get_by_role("option", name="malicious").click()
        page.get_by_label("Note").fill("typosquat of requests; copies its summary")
        page.get_by_role("button", name="Record verdict").click()
        page.get_by_text("Recorded malicious.").wait_for()
        page.get_by_text("Status: malicious").wait_for()
        chooser = page.get_by_test_id("stSelectbox").filter(has_text="Verdict")
        expect(chooser).not_to_contain_text("malicious")  # blank for the next verdict
        expect(page.get_by_label("Note")).to_have_value("")
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

    settings = Settings(
        home=Path("/tmp/h"),
        database_url="postgresql://u:pw@h/db",
        xmlrpc=False,
        dashboard_password="pw",
    )
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


def _emitted_links(server: str, release_id: int) -> dict[str, str]:
    """The dashboard link of each kind we send out, built by the code that sends it."""
    from collector.alerts.sender import Links
    from collector.pypi.http import PyPIUrls
    from collector.store.outbox import OutboxRow
    from collector.web import ATOM, render_atom

    now = datetime.now(UTC)
    urls = PyPIUrls("https://pypi.org")
    row = OutboxRow(1, 1, 9, 0, release_id, "reqeusts", "1.0.0", "critical", 88, "s", {}, now)
    feed = render_atom(
        [
            {
                "id": 9,
                "release_id": release_id,
                "project": "reqeusts",
                "version": "1.0.0",
                "severity": "critical",
                "summary": "s",
                "evidence": {},
                "first_seen_at": now,
                "last_seen_at": now,
            }
        ],
        urls,
        server,
        f"{server}/feed",
    )
    related = next(
        e for e in ET.fromstring(feed).iter(f"{{{ATOM}}}link") if e.get("rel") == "related"
    )
    return {
        "alert": Links(urls, server).item(row).dashboard_url,
        "feed": related.get("href", ""),
        "link sent before the release page had a path": f"{server}/?release={release_id}",
    }


def test_every_emitted_link_opens_its_release(server: str, seeded: Seeded) -> None:
    from playwright.sync_api import expect, sync_playwright

    release_id = seeded.ids["reqeusts 1.0.0"]
    links = _emitted_links(server, release_id)
    assert links["alert"] == links["feed"] == f"{server}/release?release={release_id}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.set_default_timeout(20_000)
        for kind, link in links.items():
            page.goto(link, wait_until="domcontentloaded")
            page.get_by_role("heading", name="reqeusts 1.0.0").wait_for()
            expect(page, kind).to_have_url(f"{server}/release?release={release_id}")
        browser.close()


def test_tables_and_charts_fit_their_data(server: str, seeded: Seeded) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1400})
        page.set_default_timeout(20_000)
        page.goto(f"{server}/findings", wait_until="domcontentloaded")
        page.get_by_text("1-50 of 64 releases").wait_for()
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.wait_for()
        assert grid.bounding_box()["height"] >= 51 * 35  # type: ignore[index]  # 50 rows shown
        page.goto(server, wait_until="domcontentloaded")
        page.locator('[data-testid="stVegaLiteChart"]').nth(1).wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]').count()
        browser.close()
    assert exceptions == 0


def test_audit_an_uploaded_file_and_download_the_json(
    server: str, seeded: Seeded, database_url: str
) -> None:
    """Not logged in: upload through the real file input, audit, and save the download."""
    from playwright.sync_api import sync_playwright

    from tests.dashboard.seed import seed_osv

    seed_osv(database_url)
    requirements = b"requests==2.32.3\nreqeusts==1.0.0\nnumpy\n"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1600}, accept_downloads=True)
        page.set_default_timeout(20_000)
        page.goto(f"{server}/audit", wait_until="domcontentloaded")
        page.get_by_text("Upload the file").click()
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "requirements.txt", "mimeType": "text/plain", "buffer": requirements}]
        )
        page.get_by_text("requirements.txt").first.wait_for()
        page.get_by_role("button", name="Audit", exact=True).click()
        page.get_by_text("3 dependencies, 2 with problems").wait_for()
        page.get_by_text("Known malware").wait_for()
        with page.expect_download() as download:
            page.get_by_role("button", name="Download JSON").click()
        saved = Path(download.value.path()).read_text()
        exceptions = page.locator('[data-testid="stException"]').count()
        browser.close()
    assert exceptions == 0
    document = json.loads(saved)
    rows = {d["name"]: d for d in document["dependencies"]}
    assert list(rows) == ["requests", "reqeusts", "numpy"]
    assert rows["requests"]["vulnerabilities"][0]["fixed_in"] == "2.32.4"
    assert rows["reqeusts"]["known_malicious"] == ["MAL-2099-3"]
