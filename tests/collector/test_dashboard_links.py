"""The dashboard links the collector emits, and which of them may leave the building."""

from __future__ import annotations

import pytest

from collector.dashboard_links import dashboard_release_url, is_public_url


def test_release_links_open_the_release_page() -> None:
    assert dashboard_release_url("http://127.0.0.1:8501/", 7) == (
        "http://127.0.0.1:8501/release?release=7"
    )


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("http://127.0.0.1:8501", False),
        ("http://[::1]:8501", False),
        ("http://localhost:8501", False),
        ("http://192.168.1.5", False),
        ("http://169.254.0.1", False),
        ("http://box.local", False),
        ("http://sentinel", False),  # a single-label name: only a local resolver knows it
        ("https://sentinel.example.org", True),
        ("https://8.8.8.8", True),
    ],
)
def test_public_urls(url: str, public: bool) -> None:
    assert is_public_url(url) is public
