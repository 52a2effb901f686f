"""Every fetched release goes through analysis/; its findings are stored with the release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest

from analysis import build_index, parse_corpus
from analysis.model import ReleaseMetadata, ReleaseSnapshot
from collector.pipeline.analyzer import EngineAnalyzer, dependency_names
from collector.pipeline.fetcher import Fetched
from collector.pipeline.snapshot import build_snapshot, pypi_history
from collector.pypi.http import Http, PyPIUrls
from collector.pypi.json_api import ReleasePage
from collector.pypi.simple import SimpleFile, SimpleProject
from collector.store.jobs import Job
from collector.store.releases import History
from standin import StandInPyPI
from tests.collector.pipeline.conftest import CollectorFactory

POPULAR = {
    "requests": 900_000_000,
    "numpy": 500_000_000,
    "flask": 100_000_000,
    "django": 50_000_000,
}


@pytest.fixture
def index():  # type: ignore[no-untyped-def]
    rows = [{"download_count": n, "project": name} for name, n in POPULAR.items()]
    return build_index(parse_corpus({"rows": rows}))


async def test_a_typosquat_with_suspicious_metadata_is_stored_high(
    standin: tuple[StandInPyPI, str],
    pool: asyncpg.Pool,
    make_collector: CollectorFactory,
    index,  # type: ignore[no-untyped-def]
) -> None:
    pypi, base = standin
    pypi.upload(
        "requests",
        "2.32.3",
        metadata={"summary": "Python HTTP for Humans.", "author": "Kenneth Reitz"},
        owner="psf",
    )
    start = pypi.last_serial
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
    pypi.upload(
        "serious-tool",
        "1.0",
        metadata={
            "summary": "Does a serious thing",
            "author_email": "dev@serious-tool.org",
            "description": "A serious tool. " * 20,
            "home_page": "https://serious-tool.org",
            "license_expression": "MIT",
            "classifiers": ["Programming Language :: Python :: 3"],
        },
    )
    collector = make_collector(analyzer=None)
    engine = EngineAnalyzer(index, collector.rss.http, PyPIUrls(base))
    collector = make_collector(analyzer=engine)
    await collector.run_once(since_serial=start)
    async with pool.acquire() as conn:
        release = await conn.fetchrow(
            "SELECT id, risk_severity::text AS sev, risk_score FROM releases WHERE project='reqeusts'"
        )
        findings = await conn.fetch(
            "SELECT check_id, severity::text AS sev, target, evidence, project, version "
            "FROM findings WHERE release_id = $1",
            release["id"],
        )
        clean = await conn.fetchval(
            "SELECT risk_severity::text FROM releases WHERE project='serious-tool'"
        )
    checks = {f["check_id"] for f in findings}
    assert release["sev"] in ("high", "critical")
    assert any(c.startswith("typosquat.") for c in checks)
    assert (
        "metadata.copied-summary" in checks
        or "metadata.copied-metadata" in checks
        or any("copied" in c for c in checks)
    )
    assert any(f["target"] == "requests" for f in findings)
    assert all((f["project"], f["version"]) == ("reqeusts", "0.0.1") for f in findings)
    assert clean in ("info", "low")  # an ordinary new project is not an alarm


def test_dependency_names_are_normalized_and_bad_lines_skipped() -> None:
    meta = ReleaseMetadata(
        name="x",
        version="1",
        requires_dist=(
            "Requests[socks]>=2 ; python_version > '3.8'",
            "Zope.Interface",
            "not a ! requirement",
            "requests",
        ),
    )
    snapshot = ReleaseSnapshot(project="x", version="1", metadata=meta)
    assert dependency_names(snapshot) == ["requests", "zope-interface"]


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _simple(*files: tuple[str, str, int]) -> SimpleProject:
    parsed = {
        name: SimpleFile(name, None, False, T0 + timedelta(days=day), version)
        for name, version, day in files
    }
    return SimpleProject("pkg", "active", tuple(sorted({v for _, v, _ in files})), parsed, 10)


@pytest.mark.parametrize(
    ("files", "version", "uploaded_day", "others", "prior", "first_day"),
    [
        ([("pkg-1.0.tar.gz", "1.0", 0)], "1.0", 0, 0, None, 0),  # a brand-new project
        ([("pkg-1.0.tar.gz", "1.0", 0), ("pkg-2.0.tar.gz", "2.0", 400)], "2.0", 400, 1, "1.0", 0),
        # a later file of an old version does not make it the prior release of a newer one
        (
            [
                ("pkg-1.0.tar.gz", "1.0", 0),
                ("pkg-1.0-py3-none-any.whl", "1.0", 500),
                ("pkg-2.0.tar.gz", "2.0", 400),
            ],
            "2.0",
            400,
            1,
            None,
            0,
        ),
        # versions compare canonically: 2.0.0-rc1 is 2.0.0rc1
        ([("pkg-2.0.0rc1.tar.gz", "2.0.0rc1", 3)], "2.0.0-rc1", 3, 0, None, 3),
    ],
)
def test_pypi_history_from_the_simple_page(
    files: list[tuple[str, str, int]],
    version: str,
    uploaded_day: int,
    others: int,
    prior: str | None,
    first_day: int,
) -> None:
    history = pypi_history(_simple(*files), version, T0 + timedelta(days=uploaded_day))
    assert history.other_versions == others
    assert (history.prior.version if history.prior else None) == prior
    assert history.first_upload == T0 + timedelta(days=first_day)


def _fetched(simple: SimpleProject | None) -> Fetched:
    page = ReleasePage(ReleaseMetadata(name="pkg", version="2.0"), (), None, 10)
    return Fetched(page, simple, ())


@pytest.mark.parametrize(
    ("simple", "history", "known", "count"),
    [
        (None, History(None, 0, None), False, 0),  # nothing says: not a "first release"
        (None, History(None, 0, None, creation_seen=True), True, 0),  # we saw it created
        (
            _simple(("pkg-1.0.tar.gz", "1.0", 0), ("pkg-2.0.tar.gz", "2.0", 9)),
            History(None, 0, None),
            True,
            1,
        ),
    ],
)
def test_history_is_known_only_when_someone_knows_it(
    simple: SimpleProject | None, history: History, known: bool, count: int
) -> None:
    job = Job(1, "pkg", "2.0", 10, "new release", 1)
    snapshot = build_snapshot(job, _fetched(simple), history)
    assert snapshot.history_known is known
    assert snapshot.prior_release_count == count


NOW = datetime(2026, 11, 21, tzinfo=UTC)
DAY = timedelta(days=1)


# (uploads of the look-alike dependency as (version, days before now), verdict, reason)
DEPENDENCY_CASES = [
    ([("0.0.1", 2)], "high", "a squat uploaded two days ago: where the payload hides"),
    (
        [(f"1.{i}", 2000 - 60 * i) for i in range(12)],
        "info",
        "a namesake that has released for five years (a v2 fork of a popular library)",
    ),
    ([], "low", "not on PyPI: the release fails to install, nothing runs"),
]


@pytest.mark.parametrize(("uploads", "severity", "reason"), DEPENDENCY_CASES)
async def test_a_lookalike_dependency_is_judged_by_its_own_page_on_pypi(
    standin: tuple[StandInPyPI, str],
    session: aiohttp.ClientSession,
    index,  # type: ignore[no-untyped-def]
    uploads: list[tuple[str, int]],
    severity: str,
    reason: str,
) -> None:
    pypi, base = standin
    for version, days in uploads:
        pypi.upload("reqeusts", version, owner="someone", timestamp=NOW - days * DAY)
    meta = ReleaseMetadata(name="http-session-kit", version="1.0", requires_dist=("reqeusts>=0",))
    snapshot = ReleaseSnapshot("http-session-kit", "1.0", meta, uploaded_at=NOW)
    engine = EngineAnalyzer(index, Http(session), PyPIUrls(base), clock=lambda: NOW)
    for _ in range(2):  # the second release naming it is judged from the cached page
        verdict = await engine.assess(snapshot, None)
    (found,) = [f for f in verdict.findings if f.check_id == "metadata.typosquat-dependency"]
    assert found.severity.label == severity, reason
    assert found.evidence["dependency_standing"]["releases"] == len(uploads)
    looked_up = [r for r in pypi.requests if r.path == "/pypi/reqeusts/json"]
    assert len(looked_up) == 1, "one lookup per dependency, then the cache"
