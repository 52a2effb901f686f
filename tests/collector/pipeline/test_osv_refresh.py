"""`run`'s daily OSV refresh against the stand-in's dump: sync when the copy is old, not before."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg
import pytest

from collector.osv import refresh_osv
from collector.store.osv import fetch_advisories
from standin import StandInPyPI


def _malware(advisory_id: str, project: str, modified: str) -> dict[str, object]:
    return {
        "id": advisory_id,
        "modified": modified,
        "summary": f"Malicious code in {project} (PyPI)",
        "affected": [{"package": {"ecosystem": "PyPI", "name": project}, "versions": ["1.0"]}],
    }


async def test_the_refresh_syncs_a_day_old_copy_and_leaves_a_fresh_one(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool
) -> None:
    pypi, base = standin
    source = f"{base}/osv/PyPI/all.zip"
    pypi.osv_records["MAL-0000-1"] = _malware("MAL-0000-1", "evil-one", "2024-01-01T00:00:00Z")
    first = await refresh_osv(pool, source)
    assert first is not None
    assert (first.counts.records, first.counts.added) == (1, 1)

    pypi.osv_records["MAL-0000-2"] = _malware("MAL-0000-2", "evil-two", "2024-01-02T00:00:00Z")
    assert await refresh_osv(pool, source) is None  # synced moments ago: not again
    again = await refresh_osv(pool, source, every=0.0)  # a day later
    assert again is not None
    assert (again.counts.added, again.unchanged) == (1, 1)
    async with pool.acquire() as conn:
        (found,) = await fetch_advisories(conn, ["evil-two"])
    assert found.malicious


async def test_a_missing_local_dump_is_a_warning_not_a_crash(
    pool: asyncpg.Pool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="collector.osv"):
        assert await refresh_osv(pool, str(tmp_path / "absent.zip")) is None
    assert "OSV advisories not refreshed" in caplog.text
