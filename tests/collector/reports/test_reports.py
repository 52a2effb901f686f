"""Reports to PyPI: built from findings, submitted once to a stand-in observations API, recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from collector.config import Settings
from collector.errors import UpstreamError, UsageError
from collector.reports.build import FileRef, ReportFinding, build_report, inspector_url
from collector.reports.service import RefusedReport, report_release
from collector.store.database import create_pool
from standin import Fault, StandInPyPI

HASH_URL = "https://files.pythonhosted.org/packages/67/5e/e646abc/reqeusts-1.0.tar.gz"


def test_summary_is_10_to_2000_characters_and_names_the_release() -> None:
    findings = [
        ReportFinding("release.assessment", "high", 85, "x", {}),
        ReportFinding("typosquat.swapped-chars", "low", 75, "reqeusts swaps 'ue' in requests.", {}),
    ]
    report = build_report(
        "reqeusts",
        "1.0",
        "is_malware",
        findings,
        [FileRef("reqeusts-1.0.tar.gz", HASH_URL, "sdist")],
    )
    assert report.summary.startswith(
        "pypi-sentinel flagged reqeusts 1.0 as high risk (score 85/100)."
    )
    assert "[typosquat.swapped-chars]" in report.summary
    long = [ReportFinding(f"c.{i}", "low", 1, "y" * 300, {}) for i in range(20)]
    assert 10 <= len(build_report("p", "1", "is_spam", long, []).summary) <= 2000
    assert len(build_report("p", "1", "is_spam", [], []).summary) >= 10
    with pytest.raises(ValueError, match="kind must be one of"):
        build_report("p", "1", "is_evil", [], [])


@pytest.mark.parametrize(
    ("findings", "files", "expected"),
    [
        ([], [], "https://inspector.pypi.io/project/reqeusts/1.0/"),  # nothing better
        (
            [],
            [
                FileRef(
                    "reqeusts-1.0-py3-none-any.whl",
                    HASH_URL.replace(".tar.gz", "-py3-none-any.whl"),
                    "bdist_wheel",
                ),
                FileRef("reqeusts-1.0.tar.gz", HASH_URL, "sdist"),
            ],
            "https://inspector.pypi.io/project/reqeusts/1.0/packages/67/5e/e646abc/reqeusts-1.0.tar.gz/",
        ),  # the sdist first
        (
            [
                ReportFinding(
                    "code.exec",
                    "high",
                    90,
                    "x",
                    {
                        "filename": "reqeusts-1.0.tar.gz",
                        "path": "reqeusts-1.0/setup.py",
                        "line": 12,
                    },
                )
            ],
            [FileRef("reqeusts-1.0.tar.gz", HASH_URL, "sdist")],
            "https://inspector.pypi.io/project/reqeusts/1.0/packages/67/5e/e646abc/reqeusts-1.0.tar.gz/reqeusts-1.0/setup.py#line.12",
        ),
        (
            [
                ReportFinding(
                    "code.decode-exec",
                    "critical",
                    95,
                    "x",
                    {
                        "filename": "w.whl",
                        "inspector_url": "https://inspector.pypi.io/project/reqeusts/1.0/packages/aa/bb/cc/w.whl/r/__init__.py#line.3-4",
                    },
                ),
                ReportFinding(
                    "release.assessment",
                    "critical",
                    90,
                    "x",
                    {"inspector_url": "https://evil.example/"},
                ),
            ],
            [FileRef("reqeusts-1.0.tar.gz", HASH_URL, "sdist")],
            "https://inspector.pypi.io/project/reqeusts/1.0/packages/aa/bb/cc/w.whl/r/__init__.py#line.3-4",
        ),  # the line the file finding links, never a foreign URL
    ],
)
def test_inspector_link_points_at_the_exact_file_and_line(
    findings: list[ReportFinding], files: list[FileRef], expected: str
) -> None:
    assert inspector_url("reqeusts", "1.0", findings, files) == expected


@pytest.fixture
async def observations() -> AsyncIterator[tuple[StandInPyPI, str]]:
    pypi = StandInPyPI()
    server = TestServer(pypi.app(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    pypi.base_url = base
    pypi.upload("reqeusts", "1.0")  # the observations API knows only existing projects
    yield pypi, base
    await server.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "test", max_size=4)
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO projects (normalized, name) VALUES ('reqeusts', 'reqeusts')"
        )
        release = await conn.fetchval(
            "INSERT INTO releases (project, version, first_seen_source) VALUES ('reqeusts', '1.0', 'changelog') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO files (release_id, filename, url, packagetype) VALUES ($1, 'reqeusts-1.0.tar.gz', $2, 'sdist')",
            release,
            HASH_URL,
        )
        await conn.execute(
            "INSERT INTO findings (release_id, project, version, check_id, severity, score, summary) "
            "VALUES ($1, 'reqeusts', '1.0', 'release.assessment', 'high', 85, 'reqeusts 1.0: high risk.')",
            release,
        )
    yield pool
    await pool.close()


def _settings(tmp_path: Path, base: str, token: str | None) -> Settings:
    return Settings(home=tmp_path, pypi_url=base, pypi_api_token=token)


async def _report_row(pool: asyncpg.Pool) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM reports")
    assert row is not None
    return row


async def test_without_a_token_the_form_is_prefilled_and_recorded(
    pool: asyncpg.Pool, observations: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = observations
    outcome = await report_release(
        pool, _settings(tmp_path, base, None), "reqeusts", "1.0", "is_malware", "alice"
    )
    assert outcome.status == "prepared"
    assert outcome.submit_url == f"{base}/project/reqeusts/submit-malware-report/"
    assert outcome.inspector_url.endswith("/packages/67/5e/e646abc/reqeusts-1.0.tar.gz/")
    row = await _report_row(pool)
    assert (row["status"], row["actor"], row["kind"]) == ("prepared", "alice", "is_malware")
    assert pypi.observations == []


async def test_submitted_once_and_never_twice(
    pool: asyncpg.Pool, observations: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = observations
    settings = _settings(tmp_path, base, "pypi-token")
    outcome = await report_release(pool, settings, "reqeusts", "1.0", "is_malware", "alice")
    assert (outcome.status, outcome.http_status) == ("submitted", 202)
    (sent,) = pypi.observations
    assert sent.kind == "is_malware"
    assert "reqeusts 1.0" in sent.summary
    assert sent.inspector_url.startswith("https://inspector.pypi.io/project/reqeusts/1.0/")
    row = await _report_row(pool)
    assert (row["status"], row["http_status"], row["response"]["thanks"]) == (
        "submitted",
        202,
        "for the observation",
    )
    with pytest.raises(UsageError, match="already reported"):
        await report_release(pool, settings, "reqeusts", "1.0", "is_spam", "bob")
    assert len(pypi.observations) == 1


async def test_refusals_are_recorded_and_a_later_try_may_succeed(
    pool: asyncpg.Pool, observations: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = observations
    settings = _settings(tmp_path, base, "pypi-token")
    missing = (
        b'{"error": "missing required fields", "missing": ["inspector_url"], "project": "reqeusts"}'
    )
    pypi.faults.add("observations", Fault.status(400, body=missing))
    with pytest.raises(RefusedReport, match="missing required fields"):
        await report_release(pool, settings, "reqeusts", "1.0", "is_malware", "alice")
    assert (await _report_row(pool))["status"] == "failed"
    pypi.faults.add("observations", Fault.status(401))
    with pytest.raises(RefusedReport, match="token was refused"):
        await report_release(pool, settings, "reqeusts", "1.0", "is_malware", "alice")
    pypi.faults.add("observations", Fault.status(429))  # retried in place
    outcome = await report_release(pool, settings, "reqeusts", "1.0", "is_malware", "alice")
    assert outcome.status == "submitted"
    row = await _report_row(pool)
    assert (row["status"], row["attempts"]) == ("submitted", 3)


async def test_pypi_down_is_an_upstream_error_and_recorded(
    pool: asyncpg.Pool, observations: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = observations
    pypi.faults.add("observations", Fault.status(503), times=10)
    with pytest.raises(UpstreamError) as info:
        await report_release(
            pool, _settings(tmp_path, base, "t"), "reqeusts", "1.0", "is_malware", "a"
        )
    assert info.value.exit_code == 3
    row = await _report_row(pool)
    assert row["status"] == "failed"
    assert "503" in row["last_error"]


async def test_unknown_release_is_a_usage_error(pool: asyncpg.Pool, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not in the store"):
        await report_release(pool, Settings(home=tmp_path), "nope", "1.0", "is_malware", "a")


@pytest.mark.parametrize(
    ("dashboard_url", "link"),
    [
        ("http://127.0.0.1:8501", None),  # the default: useless to PyPI's admins
        ("http://localhost:8501", None),
        ("http://10.1.2.3:8501", None),
        ("http://sentinel.internal", None),
        ("http://dashboard:8501", None),  # a name only a local network resolves
        ("https://sentinel.example.org/", "https://sentinel.example.org/release?release="),
    ],
)
async def test_a_report_links_the_dashboard_only_when_it_is_public(
    pool: asyncpg.Pool,
    observations: tuple[StandInPyPI, str],
    tmp_path: Path,
    dashboard_url: str,
    link: str | None,
) -> None:
    pypi, base = observations
    settings = _settings(tmp_path, base, "pypi-token").replace(dashboard_url=dashboard_url)
    await report_release(pool, settings, "reqeusts", "1.0", "is_malware", "alice")
    (sent,) = pypi.observations
    if link is None:
        assert "Details:" not in sent.summary
        assert "http://" not in sent.summary.replace(base, "")
    else:
        assert f"Details: {link}" in sent.summary
