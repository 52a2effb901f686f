"""The monitor and public reports, as a user runs it: a sync that brings a known-malware record for
a release we stored turns its verdict critical and alerts subscribers; our lead over the report
is recorded; a withdrawn record takes the finding back; a vulnerability record alerts only the
subscriptions that ask for `known.` on the project; a release uploaded after its project was
reported is caught when it is analysed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg

from collector.store.database import connect
from standin import StandInPyPI
from tests.collector.pipeline.conftest import cli_environment, run_cli
from tests.servers import Sink

PUBLISHED = "2099-01-01T00:00:00Z"  # a report published after we flagged: a lead for us


def _malware(
    advisory_id: str,
    project: str,
    *,
    versions: list[str] | None = None,
    modified: str = "2026-01-01T00:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": project}}
    if versions is None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
    else:
        affected["versions"] = versions
    return {
        "id": advisory_id,
        "modified": modified,
        "published": PUBLISHED,
        "summary": f"Malicious code in {project} (PyPI)",
        "affected": [affected],
        **extra,
    }


def _vulnerability(advisory_id: str, project: str, fixed: str) -> dict[str, Any]:
    events = [{"introduced": "0"}, {"fixed": fixed}]
    return {
        "id": advisory_id,
        "modified": "2026-01-01T00:00:00Z",
        "aliases": ["CVE-2026-0001"],
        "summary": "Header injection",
        "published": "2026-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": project},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


async def _cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    code, out, err = await run_cli(env, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


async def _ok(env: dict[str, str], *args: str) -> None:
    code, _, err = await run_cli(env, *args)
    assert code == 0, err


async def _verdicts(url: str) -> dict[tuple[str, str], tuple[str | None, bool]]:
    conn: asyncpg.Connection = await connect(url)
    try:
        rows = await conn.fetch(
            "SELECT project, version, risk_severity::text AS severity, flagged_at FROM releases"
        )
    finally:
        await conn.close()
    return {
        (r["project"], r["version"]): (r["severity"], r["flagged_at"] is not None) for r in rows
    }


async def _known(url: str) -> list[tuple[str, str, str, str, str]]:
    conn: asyncpg.Connection = await connect(url)
    try:
        rows = await conn.fetch(
            "SELECT project, version, check_id, fingerprint, severity::text AS severity "
            "FROM findings WHERE check_id LIKE 'known.%' ORDER BY project, version, check_id"
        )
    finally:
        await conn.close()
    return [tuple(r.values()) for r in rows]  # type: ignore[misc]


def _texts(sink: Sink, path: str) -> list[str]:
    return [r.body.decode() for r in sink.at(path)]


async def test_a_report_on_a_stored_release_turns_it_critical_and_alerts(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path, sink: Sink
) -> None:
    pypi, base = standin
    env = cli_environment(database_url, base, tmp_path / "home")
    await _ok(env, "subscribe", "add", "all", "--webhook", f"{sink.base}/all")
    start = pypi.last_serial
    pypi.upload("tidy-widgets", "1.0", owner="ann")  # nothing wrong that we can see
    pypi.upload(
        "requests",
        "2.32.3",
        owner="psf",
        metadata={"summary": "Python HTTP for Humans.", "author": "Kenneth Reitz"},
    )
    pypi.upload(
        "reqeusts",
        "0.0.1",
        owner="mallory",
        metadata={
            "summary": "Python HTTP for Humans.",
            "description": "",
            "author": "Kenneth Reitz",
            "author_email": "x@mailinator.com",
            "home_page": "",
            "project_urls": None,
        },
    )
    await _cli(env, "run", "--once", "--since-serial", str(start))
    before = await _verdicts(database_url)
    assert before[("tidy-widgets", "1.0")][1] is False  # clean: never flagged
    assert before[("reqeusts", "0.0.1")][1] is True  # our own verdict: medium or above
    assert not any("tidy-widgets" in text for text in _texts(sink, "/all"))

    pypi.osv_records["MAL-2026-1"] = _malware("MAL-2026-1", "tidy-widgets", versions=["1.0"])
    pypi.osv_records["MAL-2026-2"] = _malware("MAL-2026-2", "reqeusts")
    synced = await _cli(env, "osv", "sync")
    (source,) = synced["sources"]
    assert source["releases_reported_malicious"] == 2
    after = await _verdicts(database_url)
    assert after[("tidy-widgets", "1.0")][0] == "critical"
    assert after[("reqeusts", "0.0.1")][0] == "critical"
    assert await _known(database_url) == [
        ("reqeusts", "0.0.1", "known.malicious", "MAL-2026-2", "critical"),
        ("tidy-widgets", "1.0", "known.malicious", "MAL-2026-1", "critical"),
    ]

    # The alert the sync planned leaves with the next run, naming the release in plain text.
    await _cli(env, "run", "--once")
    reported = [t for t in _texts(sink, "/all") if "tidy-widgets" in t]
    assert len(reported) == 1
    assert "tidy-widgets 1.0" in reported[0]
    assert "MAL-2026-1" in reported[0]

    # Our lead: reqeusts was flagged by our own verdict before the report; tidy-widgets was not.
    status = await _cli(env, "status")
    lead = status["osv"]["lead_time"]
    assert (lead["reported_malicious"], lead["flagged_before_report"]) == (2, 1)
    assert lead["flagged_before_publication"] == 1
    assert lead["lead_hours"]["median"] > 24 * 365  # published in 2099
    code, text, _ = await run_cli(env, "status")
    assert code == 0
    assert "2 stored release(s) reported malicious" in text

    # A re-analysis (the release is yanked: PyPI's page changed) keeps the public report.
    pypi.yank("tidy-widgets", "1.0", "malware")
    await _cli(env, "run", "--once")
    assert (await _verdicts(database_url))[("tidy-widgets", "1.0")][0] == "critical"

    # OSV withdraws the record: the finding stays for the record, at info, and the verdict is
    # our own again.
    pypi.osv_records["MAL-2026-1"] = _malware(
        "MAL-2026-1",
        "tidy-widgets",
        versions=["1.0"],
        modified="2026-02-01T00:00:00Z",
        withdrawn="2026-02-01T00:00:00Z",
    )
    synced = await _cli(env, "osv", "sync")
    assert synced["sources"][0]["findings_withdrawn"] == 1
    restored = (await _verdicts(database_url))[("tidy-widgets", "1.0")][0]
    assert restored == before[("tidy-widgets", "1.0")][0]
    assert restored in ("info", "low")
    assert ("tidy-widgets", "1.0", "known.malicious", "MAL-2026-1", "info") in await _known(
        database_url
    )


async def test_a_release_uploaded_after_its_project_was_reported_is_caught_on_arrival(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    env = cli_environment(database_url, base, tmp_path / "home")
    pypi.osv_records["MAL-2026-3"] = _malware("MAL-2026-3", "quiet-helper")  # every version
    await _cli(env, "osv", "sync")
    start = pypi.last_serial
    pypi.upload("quiet-helper", "0.2", owner="eve")
    await _cli(env, "run", "--once", "--since-serial", str(start))
    assert (await _verdicts(database_url))[("quiet-helper", "0.2")][0] == "critical"
    assert await _known(database_url) == [
        ("quiet-helper", "0.2", "known.malicious", "MAL-2026-3", "critical")
    ]
    # Reported before we saw it: no lead to claim.
    lead = (await _cli(env, "status"))["osv"]["lead_time"]
    assert (lead["reported_malicious"], lead["flagged_before_report"]) == (1, 0)


async def test_a_vulnerability_alerts_only_subscriptions_that_ask_for_known_checks(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path, sink: Sink
) -> None:
    pypi, base = standin
    env = cli_environment(database_url, base, tmp_path / "home")
    await _ok(
        env,
        "subscribe",
        "add",
        "vulns",
        "--webhook",
        f"{sink.base}/vulns",
        "--watch",
        "sturdy-http",
        "--check",
        "known.",
    )
    await _ok(
        env,
        "subscribe",
        "add",
        "plain",
        "--webhook",
        f"{sink.base}/plain",
        "--watch",
        "sturdy-http",
    )
    await _ok(
        env,
        "subscribe",
        "add",
        "other",
        "--webhook",
        f"{sink.base}/other",
        "--watch",
        "flask",
        "--check",
        "known.",
    )
    start = pypi.last_serial
    pypi.upload("sturdy-http", "2.0", owner="ann")
    pypi.upload("sturdy-http", "2.1", owner="ann")
    await _cli(env, "run", "--once", "--since-serial", str(start))
    assert sink.received == []  # nothing to say about them yet

    pypi.osv_records["PYSEC-2026-7"] = _vulnerability("PYSEC-2026-7", "sturdy-http", "2.2")
    synced = await _cli(env, "osv", "sync")
    assert (
        synced["sources"][0]["vulnerability_findings"],
        synced["sources"][0]["alerts_planned"],
    ) == (1, 1)
    await _cli(env, "run", "--once")
    (text,) = _texts(sink, "/vulns")
    # The newest affected release, named in plain text, with the record and the fix.
    assert "sturdy-http 2.1" in text
    assert "PYSEC-2026-7" in text
    assert "2.2" in text
    assert _texts(sink, "/plain") == []
    assert _texts(sink, "/other") == []
    # A flaw is not malice: the verdict is untouched.
    assert (await _verdicts(database_url))[("sturdy-http", "2.1")][1] is False

    # The same record again (unchanged) plans nothing; an edit refreshes without a new alert.
    await _cli(env, "osv", "sync")
    record = {**pypi.osv_records["PYSEC-2026-7"], "modified": "2026-03-01T00:00:00Z"}
    pypi.osv_records["PYSEC-2026-7"] = record
    synced = await _cli(env, "osv", "sync")
    assert synced["sources"][0]["alerts_planned"] == 0
    await _cli(env, "run", "--once")
    assert len(_texts(sink, "/vulns")) == 1
