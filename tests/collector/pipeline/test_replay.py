"""Real PyPI metadata, recorded, replayed through the stand-in and the whole pipeline.

The recording (`bench/record_pypi.py`) keeps the shapes real uploads have and synthetic ones lack:
null fields, empty strings, yanked releases, odd versions, long classifier lists, license texts.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import asyncpg

from analysis.names import normalize
from standin import StandInPyPI
from standin.replay import RecordedRelease, load_recording, publish_recording
from tests.collector.pipeline.conftest import cli_environment

ROOT = Path(__file__).resolve().parents[3]
_TROUBLED_JOBS = """
    SELECT kind, project, version, filename, last_error FROM jobs
    WHERE state <> 'done' OR last_error IS NOT NULL
"""
_ANALYSED_RELEASES = """
    SELECT project, version FROM releases WHERE fetched_at IS NOT NULL AND risk_score IS NOT NULL
"""
RECORDING = ROOT / "tests" / "data" / "pypi_replay" / "recording.json.gz"


async def run_module_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """This checkout's CLI (`python -m collector`), not whichever one is installed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "collector",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_replayed_real_pypi_is_stored_analysed_and_inspected_without_errors(
    standin: tuple[StandInPyPI, str], database_url: str, tmp_path: Path
) -> None:
    pypi, base = standin
    start = pypi.last_serial
    published = publish_recording(pypi, load_recording(RECORDING))
    assert len(published) > 500  # a few hundred projects, several releases each
    env = cli_environment(database_url, base, tmp_path / "home")

    code, out, err = await run_module_cli(
        env, "run", "--once", "--since-serial", str(start), "--format", "json"
    )

    assert code == 0, err
    summary = json.loads(out)
    assert summary["failing"] == [], summary["failing"][:5]
    assert summary["cursor_serial"] == pypi.last_serial
    await _assert_everything_stored(database_url, published)


async def _assert_everything_stored(database_url: str, published: list[RecordedRelease]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        open_jobs = await conn.fetch(_TROUBLED_JOBS)
        assert [dict(r) for r in open_jobs][:5] == []
        stored = await conn.fetch(_ANALYSED_RELEASES)
        files = await conn.fetch("SELECT filename, inspection FROM files")
    finally:
        await conn.close()
    expected = {(normalize(r.name), r.version) for r in published}
    assert expected - {(r["project"], r["version"]) for r in stored} == set()
    outcome = {f["filename"]: f["inspection"] for f in files}
    for release in published:
        for file in release.files:
            assert outcome.get(file["filename"]) == _expected_inspection(file["filename"]), file


def _expected_inspection(filename: str) -> str:
    """Archives are read; the stand-in serves installers (.exe, .msi, .rpm, .dmg) as a few bytes
    of text, which inspection records as unreadable rather than leaving pending."""
    archive = filename.lower().endswith((".whl", ".egg", ".tar.gz", ".tgz", ".tar.bz2", ".zip"))
    return "inspected" if archive else "unreadable"
