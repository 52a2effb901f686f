"""The dashboard's actions call the real alert and report services (no stand-in functions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.alerts.model import Channel, Subscription
from collector.config import Settings
from collector.store.subscriptions import save_subscription
from dashboard.actions import report_release, send_test_alert
from dashboard.db import AsyncDB
from tests.servers import Sink


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[AsyncDB]:
    handle = AsyncDB(database_url, tmp_path / "pg")
    yield handle
    handle.close()


async def _subscribe(db: AsyncDB, target: str) -> int:
    async with db.pool.acquire() as conn:
        return await save_subscription(
            conn, Subscription(0, "dash", Channel.SLACK, target), "dashboard"
        )


async def _release(db: AsyncDB) -> None:
    async with db.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO projects (normalized, name) VALUES ('reqeusts', 'reqeusts')"
        )
        await conn.execute(
            "INSERT INTO releases (project, version, first_seen_source) VALUES ('reqeusts', '1.0', 'rss')"
        )


async def test_test_alert_from_the_dashboard_reaches_slack(
    db: AsyncDB, tmp_path: Path, sink: Sink
) -> None:
    sub_id = db.run(_subscribe(db, f"{sink.base}/dash"))
    result = await _in_thread(send_test_alert, db, Settings(home=tmp_path), sub_id)
    assert result.ok, result.message
    assert "test alert sent to dash" in result.message
    (message,) = sink.at("/dash")
    assert "pypi-sentinel-test" in message.json()["text"]


async def test_report_without_a_token_offers_the_form(db: AsyncDB, tmp_path: Path) -> None:
    db.run(_release(db))
    settings = Settings(home=tmp_path, pypi_url="https://pypi.example")
    result = await _in_thread(
        report_release, db, settings, "reqeusts", "1.0", "is_malware", "alice"
    )
    assert (result.ok, result.status) == (True, "prepared")
    assert result.link == "https://pypi.example/project/reqeusts/submit-malware-report/"
    assert result.summary is not None
    assert "reqeusts 1.0" in result.summary
    bad = await _in_thread(report_release, db, settings, "reqeusts", "1.0", "is_evil", "alice")
    assert not bad.ok


async def _in_thread(func, *args):  # type: ignore[no-untyped-def]
    # The dashboard calls these from Streamlit's script thread, never from an event loop.
    import asyncio

    return await asyncio.to_thread(func, *args)
