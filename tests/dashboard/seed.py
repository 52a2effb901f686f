"""A small, known store for the dashboard tests: squats of popular projects, a campaign, hostile
text, a triage history, a subscription with a secret webhook, collector health and a dead alert;
and, for the tests that ask, OSV records on two of its projects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from analysis.osv import parse_advisory
from collector.store import PgConnection
from collector.store.database import connect
from collector.store.osv import save_advisories

NOW = datetime.now(UTC)
WEBHOOK = "https://hooks.slack.com/services/T0000/B0000/SUPERSECRETTOKEN"
HOSTILE_SUMMARY = "<script>alert(1)</script> [click me](https://evil.example/x) **bold**"
HOSTILE_AUTHOR = "<img src=x onerror=alert(1)> :red[Mallory]"
FILLER = 60  # low-severity releases, for paging


@dataclass
class Seeded:
    ids: dict[str, int] = field(default_factory=dict)  # "project version" -> release id


def _squat_evidence(name: str, target: str, rule: str, edit: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "target": target,
        "imitated": target,
        "rule": rule,
        "distance": 1,
        "edit": edit,
        "target_downloads": 1_000_000_000,
        "candidate_downloads": None,
        "popularity_ratio": 1e6,
    }


async def _release(
    conn: PgConnection,
    seeded: Seeded,
    project: str,
    version: str,
    *,
    age: timedelta,
    severity: str | None = None,
    score: int = 0,
    summary: str = "",
    author: str = "",
    email: str = "",
    owners: tuple[str, ...] = (),
    findings: tuple[tuple[str, str, int, str, str | None, dict[str, Any]], ...] = (),
) -> int:
    seen = NOW - age
    await conn.execute(
        "INSERT INTO projects (normalized, name, first_seen_at) VALUES ($1, $1, $2) "
        "ON CONFLICT DO NOTHING",
        project,
        seen,
    )
    metadata = {
        "metadata": {
            "name": project,
            "version": version,
            "summary": summary,
            "author": author,
            "author_email": email,
            "description": f"Description of {project}.",
            "home_page": "https://evil.example/home",
            "project_urls": [["Source", "javascript:alert(1)"]],
            "requires_dist": ["requests>=2"],
            "license": "MIT",
        },
        "ownership": {
            "roles": [{"role": "Owner", "user": u} for u in owners],
            "organization": None,
        },
        "project_status": "active",
        "publishers": [],
    }
    release_id = await conn.fetchval(
        """
        INSERT INTO releases (project, version, first_seen_at, first_seen_source, uploaded_at,
                              fetched_at, summary, author, author_email, metadata, risk_score,
                              risk_severity, serial)
        VALUES ($1, $2, $3, 'changelog', $3, $3, $4, $5, $6, $7, $8, $9::severity, 900)
        RETURNING id
        """,
        project,
        version,
        seen,
        summary,
        author,
        email,
        metadata,
        score,
        severity,
    )
    seeded.ids[f"{project} {version}"] = int(release_id)
    if severity is not None:
        reasons = [f[3] for f in findings]
        checks = [f[0] for f in findings]
        aggregate = (
            "release.assessment",
            severity,
            score,
            f"{project} {version}: {severity}.",
            None,
            {"reasons": reasons, "checks": checks},
        )
        findings = (aggregate, *findings)
    for check_id, sev, points, text, target, evidence in findings:
        await conn.execute(
            """
            INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity,
                                  score, summary, target, evidence, first_seen_at, last_seen_at)
            VALUES ($1, $2, $3, $4, COALESCE($7, ''), $5::severity, $6, $8, $7, $9, $10, $10)
            """,
            release_id,
            project,
            version,
            check_id,
            sev,
            points,
            target,
            text,
            evidence,
            seen,
        )
    return int(release_id)


async def seed(conn: PgConnection) -> Seeded:
    seeded = Seeded()
    await _release(
        conn,
        seeded,
        "requests",
        "2.32.3",
        age=timedelta(days=20),
        summary="Python HTTP for Humans.",
        author="Kenneth Reitz",
        email="me@kennethreitz.org",
    )
    await _release(
        conn,
        seeded,
        "numpy",
        "2.0.0",
        age=timedelta(days=25),
        summary="Fundamental package for array computing in Python.",
        author="Travis E. Oliphant et al.",
    )
    await _release(
        conn,
        seeded,
        "reqeusts",
        "1.0.0",
        age=timedelta(hours=2),
        severity="critical",
        score=88,
        summary="Python HTTP for Humans.",
        author="Evil Corp",
        email="evil@mailinator.com",
        owners=("evil-account",),
        findings=(
            (
                "typosquat.swapped-chars",
                "low",
                70,
                "reqeusts swaps 'ue' in requests.",
                "requests",
                _squat_evidence(
                    "reqeusts",
                    "requests",
                    "typosquat.swapped-chars",
                    {"op": "swap", "position": 3, "intended": "ue", "typed": "eu"},
                ),
            ),
            (
                "metadata.copied-metadata",
                "medium",
                50,
                "summary copied from requests.",
                "requests",
                {
                    "target": "requests",
                    "fields": ["summary"],
                    "values": {"summary": "Python HTTP for Humans."},
                },
            ),
            (
                "metadata.disposable-email",
                "medium",
                40,
                "author_email is at mailinator.com, a throwaway-inbox or placeholder domain.",
                None,
                {"field": "author_email", "domain": "mailinator.com"},
            ),
        ),
    )
    await _release(
        conn,
        seeded,
        "requestss",
        "0.0.1",
        age=timedelta(hours=3),
        severity="high",
        score=66,
        summary="HTTP",
        author="Evil Corp",
        email="other@mailinator.com",
        owners=("evil-account",),
        findings=(
            (
                "typosquat.repeated-char",
                "low",
                65,
                "requestss repeats the 's' of requests.",
                "requests",
                _squat_evidence(
                    "requestss",
                    "requests",
                    "typosquat.repeated-char",
                    {"op": "repeat", "position": 8, "typed": "s"},
                ),
            ),
            (
                "metadata.disposable-email",
                "medium",
                40,
                "author_email is at mailinator.com.",
                None,
                {"field": "author_email", "domain": "mailinator.com"},
            ),
        ),
    )
    await _release(
        conn,
        seeded,
        "numpyy",
        "1.0",
        age=timedelta(days=2),
        severity="medium",
        score=45,
        summary="numbers",
        author="Mallory",
        email="m@example.org",
        findings=(
            (
                "typosquat.repeated-char",
                "low",
                55,
                "numpyy repeats the 'y' of numpy.",
                "numpy",
                _squat_evidence(
                    "numpyy",
                    "numpy",
                    "typosquat.repeated-char",
                    {"op": "repeat", "position": 5, "typed": "y"},
                ),
            ),
        ),
    )
    await _release(
        conn,
        seeded,
        "xss-pkg",
        "6.6.6",
        age=timedelta(hours=5),
        severity="low",
        score=25,
        summary=HOSTILE_SUMMARY,
        author=HOSTILE_AUTHOR,
        email="x@example.net",
        findings=(("metadata.empty-description", "low", 15, HOSTILE_SUMMARY, None, {"length": 0}),),
    )
    for i in range(FILLER):
        await _release(
            conn,
            seeded,
            f"filler-{i:03d}",
            "1.0",
            age=timedelta(hours=10, minutes=i),
            severity="low",
            score=21,
            summary="filler",
            author=f"Author {i}",
            findings=(("metadata.no-project-urls", "low", 10, "No home page.", None, {}),),
        )
    await _release(
        conn,
        seeded,
        "old-squat",
        "1.0",
        age=timedelta(days=60),
        severity="high",
        score=61,
        summary="old",
        author="Old Evil",
    )
    await _extras(conn, seeded)
    return seeded


async def _extras(conn: PgConnection, seeded: Seeded) -> None:
    reqeusts = seeded.ids["reqeusts 1.0.0"]
    await conn.execute(
        "INSERT INTO files (release_id, filename, packagetype, size, sha256, url, uploaded_at) "
        "VALUES ($1, 'reqeusts-1.0.0.tar.gz', 'sdist', 1234, $2, $3, $4)",
        reqeusts,
        "ab" * 32,
        "https://files.pythonhosted.org/packages/ab/cd/" + "e" * 60 + "/reqeusts-1.0.0.tar.gz",
        NOW,
    )
    await conn.execute(
        "INSERT INTO triage_verdicts (release_id, verdict, note, actor, created_at) "
        "VALUES ($1, 'needs_review', 'looks odd', 'alice', $2)",
        seeded.ids["requestss 0.0.1"],
        NOW - timedelta(hours=1),
    )
    await conn.execute(
        "INSERT INTO reports (release_id, project, version, kind, summary, status, actor) "
        "VALUES ($1, 'numpyy', '1.0', 'is_malware', 'numpyy imitates numpy.', 'prepared', 'bob')",
        seeded.ids["numpyy 1.0"],
    )
    sub = await conn.fetchval(
        "INSERT INTO subscriptions (name, channel, target, secret, min_severity) "
        "VALUES ('security-team', 'slack', $1, 'hmac-secret', 'high') RETURNING id",
        WEBHOOK,
    )
    finding = await conn.fetchval("SELECT min(id) FROM findings WHERE release_id = $1", reqeusts)
    await conn.execute(
        "INSERT INTO alert_outbox (subscription_id, finding_id, state, attempts, last_error) "
        "VALUES ($1, $2, 'dead', 8, $3)",
        sub,
        finding,
        f"HTTP 404 from {WEBHOOK}",
    )
    await conn.execute("INSERT INTO collector_cursor (name, serial) VALUES ('changelog', 1000)")
    await conn.execute(
        "INSERT INTO collector_health (source, last_attempt_at, last_success_at, upstream_serial, "
        "detail) VALUES ('changelog', now(), now(), 1010, $1)",
        {"caught_up_at": NOW.timestamp() - 120},
    )
    await conn.execute(
        "INSERT INTO collector_health (source, last_attempt_at, last_error_at, last_error, "
        "consecutive_failures) VALUES ('rss-packages', now(), now(), 'timeout after 10 s', 3)"
    )
    await conn.execute(
        "INSERT INTO jobs (project, version, reason, attempts, error_kind, last_error) VALUES "
        "('broken', '1.0', 'new release', 4, 'http', 'HTTP 500 from PyPI'), "
        "('fine', '2.0', 'new release', 0, NULL, NULL)"
    )


def seed_database(url: str) -> Seeded:
    async def go() -> Seeded:
        conn = await connect(url)
        try:
            return await seed(conn)
        finally:
            await conn.close()

    return asyncio.run(go())


def _osv_record(
    advisory_id: str,
    project: str,
    events: list[dict[str, str]],
    aliases: tuple[str, ...] = (),
    summary: str = "",
) -> dict[str, Any]:
    return {
        "id": advisory_id,
        "modified": "2025-01-02T03:04:05Z",
        "aliases": list(aliases),
        "summary": summary,
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": project},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


OSV_RECORDS = [
    _osv_record(
        "PYSEC-2099-1",
        "requests",
        [{"introduced": "0"}, {"fixed": "2.32.4"}],
        ("CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"),
        "Proxy credentials leak on redirect",
    ),
    _osv_record(
        "PYSEC-2099-2",
        "requests",
        [{"introduced": "0"}, {"fixed": "2.0"}],
        ("CVE-2099-0002",),
        "An old bug, fixed long ago",
    ),
    _osv_record(
        "MAL-2099-3", "reqeusts", [{"introduced": "0"}], (), "Malicious code in reqeusts (PyPI)"
    ),
]


def seed_osv(url: str, *sql: str) -> None:
    """OSV records on requests and reqeusts, stored as `osv sync` stores them; then `sql`."""

    async def go() -> None:
        conn = await connect(url)  # with the store's JSON codecs
        try:
            async with conn.transaction():
                await save_advisories(conn, [(parse_advisory(r), r) for r in OSV_RECORDS])
            for statement in sql:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(go())
