"""Which known version an unpinned requirement resolves to: one table, a reason per case."""

from __future__ import annotations

import pytest

from analysis.resolve import Offered, choose_version

RELEASES = (
    Offered("2.19.1"),
    Offered("2.31.0"),
    Offered("2.32.0", yanked=True),
    Offered("2.32.3"),
    Offered("3.0.0b1"),
    Offered("not-a-version"),
)


@pytest.mark.parametrize(
    ("spec", "offered", "expected", "reason"),
    [
        ("requests", RELEASES, "2.32.3", "a bare name: the newest final release"),
        ("requests>=2.20", RELEASES, "2.32.3", "a range: the newest inside it"),
        ("requests<2.32", RELEASES, "2.31.0", "an upper bound is respected"),
        ("requests>=2.20,<2.32.3", RELEASES, "2.31.0", "yanked 2.32.0 is skipped for a range"),
        ("requests==2.32.*", RELEASES, "2.32.3", "a wildcard is a range, not a pin"),
        ("requests==2.32.0", RELEASES, "2.32.0", "PEP 592: an exact pin may pick a yanked one"),
        ("requests===2.32.0", RELEASES, "2.32.0", "arbitrary equality is an exact pin too"),
        ("requests==2.32.*", (Offered("2.32.0", yanked=True),), None, "only yanked: none"),
        ("requests>=3.0.0b1", RELEASES, "3.0.0b1", "the specifier asks for pre-releases"),
        ("requests>2.32.3", RELEASES, "3.0.0b1", "pip's fallback: no final release matches"),
        ("requests>=3", RELEASES, None, "3.0.0b1 comes before 3"),
        ("requests>=4", RELEASES, None, "nothing stored matches"),
        ("requests", (), None, "the store knows no release"),
        ("requests", (Offered("2.0"), Offered("2.0.0")), "2.0", "equal versions: the first"),
        ("requests[socks]>=2 ; python_version > '3'", RELEASES, "2.32.3", "extras and markers"),
        ("requests @ https://example.org/r.zip", RELEASES, None, "a URL is not resolved"),
        ("requests = '^2.0'", RELEASES, None, "not a PEP 508 requirement (Poetry's table)"),
    ],
)
def test_choose_version(
    spec: str, offered: tuple[Offered, ...], expected: str | None, reason: str
) -> None:
    assert choose_version(spec, offered) == expected, reason
