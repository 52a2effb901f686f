"""Which approval holds: unexpired, the release's own before the project's, the newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analysis.approvals import Approval, applicable

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def approval(version: str | None, decision: str, age_days: int, **extra: object) -> Approval:
    return Approval(
        "demo", version, decision, "alice", "why", NOW - timedelta(days=age_days), **extra
    )  # type: ignore[arg-type]


def test_the_release_s_own_decision_outranks_the_project_s() -> None:
    project_wide = approval(None, "approved", 1)
    this_one = approval("1.0", "denied", 5)
    assert applicable([project_wide, this_one], "demo", "1.0", NOW) is this_one
    assert applicable([project_wide, this_one], "demo", "2.0", NOW) is project_wide


def test_the_newest_at_one_level_wins_and_expired_ones_are_gone() -> None:
    old, new = approval(None, "approved", 9), approval(None, "denied", 2)
    assert applicable([old, new], "demo", "1.0", NOW) is new
    expired = approval(None, "denied", 1, expires_at=NOW - timedelta(hours=1))
    assert applicable([old, expired], "demo", "1.0", NOW) is old
    lasting = approval(None, "denied", 1, expires_at=NOW + timedelta(hours=1))
    assert applicable([old, lasting], "demo", "1.0", NOW) is lasting


def test_other_projects_and_nothing_at_all() -> None:
    assert applicable([approval(None, "approved", 1)], "other", "1.0", NOW) is None
    assert applicable([], "demo", "1.0", NOW) is None
