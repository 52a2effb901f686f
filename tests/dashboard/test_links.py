"""The links we build: PyPI and inspector, from names we quote ourselves."""

from __future__ import annotations

import pytest

from dashboard.links import inspector_file_url, inspector_release_url, pypi_release_url

DIGEST = "e" * 60


def test_release_links() -> None:
    assert pypi_release_url("https://pypi.org/", "reqeusts", "1.0") == (
        "https://pypi.org/project/reqeusts/1.0/"
    )
    assert inspector_release_url("reqeusts", "1.0") == (
        "https://inspector.pypi.io/project/reqeusts/1.0/"
    )


def test_names_are_quoted_into_one_path_segment() -> None:
    assert pypi_release_url("https://pypi.org", "a/../b", "1?x") == (
        "https://pypi.org/project/a%2F..%2Fb/1%3Fx/"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"https://files.pythonhosted.org/packages/ab/cd/{DIGEST}/x-1.0.tar.gz",
            f"https://inspector.pypi.io/project/x/1.0/packages/ab/cd/{DIGEST}/x-1.0.tar.gz/",
        ),
        (
            f"http://127.0.0.1:9/packages/ab/cd/{DIGEST}/x-1.0.tar.gz",  # stand-in PyPI: same path
            f"https://inspector.pypi.io/project/x/1.0/packages/ab/cd/{DIGEST}/x-1.0.tar.gz/",
        ),
        ("https://evil.example/x-1.0.tar.gz", None),  # not PyPI's layout: no link
        (f"https://files.pythonhosted.org/packages/ab/cd/{DIGEST}/../../x", None),
        (None, None),
    ],
)
def test_inspector_file_links_only_for_pypi_file_paths(
    url: str | None, expected: str | None
) -> None:
    assert inspector_file_url("x", "1.0", url) == expected
