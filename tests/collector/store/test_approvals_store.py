"""Approvals and requests in Postgres: saved, listed, and what is still waiting for a decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from analysis.approvals import Approval
from collector.store.approvals import (
    fetch_approvals,
    fetch_facts,
    fetch_pending,
    list_approvals,
    record_request,
    save_approval,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def decision(project: str, version: str | None = None, **kw: object) -> Approval:
    fields: dict[str, object] = {
        "decision": "approved",
        "actor": "alice",
        "reason": "vetted",
        "created_at": NOW - timedelta(days=1),
        "expires_at": None,
    }
    fields.update(kw)
    return Approval(project, version, **fields)  # type: ignore[arg-type]


async def test_saved_decisions_come_back_whole(conn: asyncpg.Connection) -> None:
    saved = [
        decision("requests"),
        decision("requests", "2.0", decision="denied", reason="CVE", expires_at=NOW),
        decision("flask"),
    ]
    for approval in saved:
        await save_approval(conn, approval)
    assert await fetch_approvals(conn, ["requests"]) == saved[:2]
    assert await fetch_approvals(conn, []) == []


async def test_listing_leaves_out_expired_decisions_unless_asked(conn: asyncpg.Connection) -> None:
    lapsed = decision("old", expires_at=NOW - timedelta(hours=1))
    lasting = decision("new", created_at=NOW, expires_at=NOW + timedelta(days=30))
    await save_approval(conn, lapsed)
    await save_approval(conn, lasting)
    assert await list_approvals(conn, now=NOW) == [lasting]
    assert await list_approvals(conn, include_expired=True, now=NOW) == [lasting, lapsed]


async def test_asking_again_counts_and_moves_the_request_up(conn: asyncpg.Connection) -> None:
    await record_request(conn, "left", None, "ci")
    await record_request(conn, "right", "1.0", "ci")
    await record_request(conn, "left", None, "bob")  # the same project-wide request: NULL matches
    pending = await fetch_pending(conn)
    assert [(r.project, r.version, r.requested_by, r.count) for r in pending] == [
        ("left", None, "bob", 2),
        ("right", "1.0", "ci", 1),
    ]
    assert await conn.fetchval("SELECT count(*) FROM approval_requests") == 2


async def test_a_decision_in_force_takes_a_request_off_the_pending_list(
    conn: asyncpg.Connection,
) -> None:
    for project, version in [("a", "1.0"), ("b", None), ("c", None), ("d", "2.0"), ("e", "1")]:
        await record_request(conn, project, version, "ci")
    await save_approval(conn, decision("a"))  # the whole project covers one release of it
    await save_approval(conn, decision("b", decision="denied"))  # a denial decides too
    await save_approval(conn, decision("c", "1.0"))  # one release does not cover the project
    await save_approval(conn, decision("d", expires_at=NOW - timedelta(days=1)))  # lapsed
    pending = await fetch_pending(conn, now=NOW)
    assert sorted((r.project, r.version) for r in pending) == [
        ("c", None),
        ("d", "2.0"),
        ("e", "1"),
    ]


async def test_facts_describe_the_requested_or_newest_stored_release(
    conn: asyncpg.Connection,
) -> None:
    await conn.execute(
        """
        INSERT INTO projects (normalized, name, ownership) VALUES
            ('demo', 'demo', '{"roles": [{"role": "Owner", "user": "alice"}]}');
        INSERT INTO releases (project, version, first_seen_source, uploaded_at, risk_score,
                              risk_severity) VALUES
            ('demo', '1.0', 'changelog', '2026-01-01', 5, 'info'),
            ('demo', '2.0', 'changelog', '2026-06-01', 60, 'high');
        """
    )
    for version in (None, "1.0", "9.9"):
        await record_request(conn, "demo", version, "ci")
    await record_request(conn, "unknown", None, "ci")
    facts = await fetch_facts(conn, await fetch_pending(conn))
    newest, pinned, missing = facts[("demo", None)], facts[("demo", "1.0")], facts[("demo", "9.9")]
    assert newest.release is not None
    assert pinned.release is not None
    assert (newest.release.version, newest.release.risk_severity) == ("2.0", "high")
    assert (pinned.release.version, pinned.release.risk_score) == ("1.0", 5)
    assert missing.release is None
    assert newest.first_uploaded_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert newest.ownership is not None
    assert newest.ownership.users == {"alice"}
    assert facts[("unknown", None)].release is None
    assert facts[("unknown", None)].ownership is None
