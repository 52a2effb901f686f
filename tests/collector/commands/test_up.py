"""What `up` says once started: where following begins, so an empty dashboard is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.commands.up import start_message
from collector.config import Settings


@pytest.mark.parametrize(
    ("cursor", "since", "expected"),
    [
        (None, None, "starting at PyPI's current position"),  # a new user's first start
        (None, 1200, "starting after changelog serial 1200"),
        (3400, None, "resuming from changelog serial 3400"),  # a restart
    ],
)
def test_start_message_says_where_following_begins(
    tmp_path: Path, cursor: int | None, since: int | None, expected: str
) -> None:
    message = start_message(Settings(home=tmp_path), cursor, since)
    assert message.startswith(expected)
    assert ("dashboard stays empty" in message) is (cursor is None and since is None)
    assert "http://127.0.0.1:8787/healthz" in message
    assert "pypi-sentinel status" in message


def test_start_message_without_the_health_server(tmp_path: Path) -> None:
    message = start_message(Settings(home=tmp_path, http_port=0), None, None)
    assert "healthz" not in message
