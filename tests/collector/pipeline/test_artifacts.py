"""Inspecting every file of every release through the stand-in PyPI: late files, the size cap,
digest mismatches, and readers that die, each recorded on the file and in the verdict."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from analysis.artifact import ArtifactRef
from collector.pipeline.inspector import InspectionFailed, ProcessInspector
from collector.pipeline.runner import Collector
from standin import Fault, StandInPyPI
from tests.collector.pipeline.conftest import CollectorFactory

# Harmless: the payload decodes to print(1). It is only ever read, never run.
PAYLOAD = 'import base64\nexec(base64.b64decode("cHJpbnQoMSk="))\n'
DECODE_EXEC = "code.decode-exec"


@contextlib.contextmanager
def inspecting(make_collector: CollectorFactory, **overrides: object) -> Iterator[Collector]:
    """A collector with file inspection on; its reader processes stop at the end."""
    collector = make_collector(inspect=True, **overrides)
    try:
        yield collector
    finally:
        collector.close()


async def _files(pool: asyncpg.Pool, project: str) -> dict[str, asyncpg.Record]:
    rows = await pool.fetch(
        "SELECT f.* FROM files f JOIN releases r ON r.id = f.release_id WHERE r.project = $1",
        project,
    )
    return {row["filename"]: row for row in rows}


async def _findings(pool: asyncpg.Pool, project: str, prefix: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM findings WHERE project = $1 AND check_id LIKE $2 || '%' ORDER BY id",
        project,
        prefix,
    )


async def _verdict(pool: asyncpg.Pool, project: str) -> str:
    return str(
        await pool.fetchval("SELECT risk_severity FROM releases WHERE project = $1", project)
    )


async def test_a_late_wheel_carrying_a_payload_is_read_and_raises_the_verdict(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("tidy-helpers", "1.0", files=["tidy_helpers-1.0.tar.gz"])
    with inspecting(make_collector) as collector:
        first = await collector.run_once(since_serial=start)
        files = await _files(pool, "tidy-helpers")
        assert files["tidy_helpers-1.0.tar.gz"]["inspection"] == "inspected"
        assert files["tidy_helpers-1.0.tar.gz"]["inspected_members"] >= 2
        assert await _findings(pool, "tidy-helpers", "code.") == []
        assert await _verdict(pool, "tidy-helpers") == "info"
        assert first.drained.files_processed == 1

        wheel = "tidy_helpers-1.0-py3-none-any.whl"
        pypi.add_file("tidy-helpers", "1.0", wheel, module_code=PAYLOAD)
        second = await collector.run_once()
    assert second.drained.files_processed == 2  # counted since start: the wheel only, now
    jobs = await pool.fetch("SELECT filename FROM jobs WHERE kind = 'artifact' ORDER BY id")
    assert [j["filename"] for j in jobs] == ["tidy_helpers-1.0.tar.gz", wheel]  # never read twice
    assert (await _files(pool, "tidy-helpers"))[wheel]["inspection"] == "inspected"
    (hit,) = [
        f for f in await _findings(pool, "tidy-helpers", "code.") if f["check_id"] == DECODE_EXEC
    ]
    evidence = hit["evidence"]
    assert evidence["filename"] == wheel
    assert evidence["path"] == "tidy_helpers/__init__.py"
    assert evidence["line"] == 2
    assert "b64decode" in evidence["snippet"]
    assert evidence["inspector_url"].startswith(
        "https://inspector.pypi.io/project/tidy-helpers/1.0/packages/"
    )
    assert evidence["inspector_url"].endswith(f"/{wheel}/tidy_helpers/__init__.py#line.2")
    assert hit["severity"] == "high"  # decode->exec on import (critical when run at install)
    assert await _verdict(pool, "tidy-helpers") == "high"
    aggregate = await pool.fetchrow(
        "SELECT severity::text, evidence FROM findings "
        "WHERE project = 'tidy-helpers' AND check_id = 'release.assessment'"
    )
    assert aggregate is not None
    assert aggregate["severity"] == "high"
    assert DECODE_EXEC in aggregate["evidence"]["checks"]


async def test_a_release_refetched_later_keeps_its_file_findings_in_the_verdict(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("quiet-tool", "2.0", files=["quiet_tool-2.0-py3-none-any.whl"], module_code=PAYLOAD)
    with inspecting(make_collector) as collector:
        await collector.run_once(since_serial=start)
        assert await _verdict(pool, "quiet-tool") == "high"
        pypi.yank(
            "quiet-tool", "2.0", "oops"
        )  # a new event: the release's metadata is fetched again
        await collector.run_once()
    status = await pool.fetchval("SELECT status FROM releases WHERE project = 'quiet-tool'")
    assert status == "yanked"
    assert await _verdict(pool, "quiet-tool") == "high"


async def test_a_file_over_the_cap_is_recorded_not_inspected(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("big-thing", "1.0", files=["big_thing-1.0.tar.gz"])
    with inspecting(make_collector, max_file_size=100) as collector:
        await collector.run_once(since_serial=start)
    row = (await _files(pool, "big-thing"))["big_thing-1.0.tar.gz"]
    assert row["inspection"] == "too_large"
    assert "100-byte cap" in row["inspection_error"]
    (finding,) = await _findings(pool, "big-thing", "archive.")
    assert finding["check_id"] == "archive.too-large"
    assert "not inspected: too large" in finding["summary"]
    assert finding["evidence"]["filename"] == "big_thing-1.0.tar.gz"


async def test_bytes_that_never_match_the_digest_become_a_finding_after_retries(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("swapped", "1.0", files=["swapped-1.0.tar.gz"])
    pypi.faults.add("files", Fault.garbage(b"not the file you listed"), times=None)
    with inspecting(make_collector) as collector:
        result = await collector.run_once(since_serial=start)
    assert result.drained.files_stuck == 0
    row = (await _files(pool, "swapped"))["swapped-1.0.tar.gz"]
    assert row["inspection"] == "digest_mismatch"
    (finding,) = await _findings(pool, "swapped", "archive.")
    assert finding["check_id"] == "archive.digest-mismatch"
    assert finding["severity"] == "high"
    assert await _verdict(pool, "swapped") == "high"


async def test_a_transient_download_failure_is_retried_then_inspected(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("flaky-cdn", "1.0", files=["flaky_cdn-1.0.tar.gz"])
    pypi.faults.add("files", Fault.status(503), times=4)  # more than one download's retries
    with inspecting(make_collector) as collector:
        await collector.run_once(since_serial=start)
    assert (await _files(pool, "flaky-cdn"))["flaky_cdn-1.0.tar.gz"]["inspection"] == "inspected"
    errors = await pool.fetchval(
        "SELECT attempts FROM jobs WHERE kind = 'artifact' AND filename = 'flaky_cdn-1.0.tar.gz'"
    )
    assert errors >= 2


async def test_a_reader_that_runs_out_of_time_is_replaced() -> None:
    inspector = ProcessInspector(1, deadline=0.001)
    ref = ArtifactRef("x", "1", "x-1.tar.gz")
    try:
        # A fresh reader process cannot even start within 1 ms.
        with pytest.raises(InspectionFailed, match="longer than"):
            await inspector.inspect(ref, b"\x1f\x8b" + b"\0" * 100, None)
        inspector.deadline = 60.0
        result = await inspector.inspect(ref, b"garbage", None)  # a fresh pool answers
        assert not result.complete
        assert result.findings
    finally:
        inspector.close()
        await asyncio.sleep(0)


async def test_readers_are_recycled_after_their_share_of_files() -> None:
    inspector = ProcessInspector(2, recycle_after=2)
    ref = ArtifactRef("x", "1", "x-1.tar.gz")
    try:
        first = await asyncio.gather(*(inspector.inspect(ref, b"junk", None) for _ in range(2)))
        old = inspector._executor
        assert old is not None
        old_pids = set(old._processes)  # type: ignore[attr-defined]
        third = await inspector.inspect(ref, b"junk", None)
        assert inspector._executor is not old
        assert all(not r.complete for r in [*first, third])
        for _ in range(100):  # the retired processes exit once their files are done
            if not any(
                psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in old_pids
            ):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("retired readers still run")
    finally:
        inspector.close()
        await asyncio.sleep(0)


async def test_close_returns_with_the_pool_stopped_so_exit_cannot_race_it() -> None:
    """A manager thread still closing its pipes when the interpreter exits made `scan` print
    "Exception ignored ... Bad file descriptor" now and then: close() waits for it."""
    inspector = ProcessInspector(2)
    ref = ArtifactRef("x", "1", "x-1.tar.gz")
    await asyncio.gather(*(inspector.inspect(ref, b"junk", None) for _ in range(2)))
    executor = inspector._executor
    assert executor is not None
    manager = executor._executor_manager_thread  # type: ignore[attr-defined]
    inspector.close()
    assert manager is None or not manager.is_alive()
    assert not multiprocessing.active_children()


ORPHAN = """
import asyncio, os, signal
from analysis.artifact import ArtifactRef
from collector.pipeline.inspector import ProcessInspector

async def main():
    inspector = ProcessInspector(1)
    await inspector.inspect(ArtifactRef("x", "1", "x-1.tar.gz"), b"junk", None)
    print(next(iter(inspector._executor._processes)), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    asyncio.run(main())
"""


async def test_readers_exit_when_the_collector_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "killed_collector.py"
    script.write_text(ORPHAN)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == -9, err.decode()[-2000:]
    reader = int(out)
    for _ in range(50):  # the reader notices its parent is gone within a second or two
        if not psutil.pid_exists(reader) or psutil.Process(reader).status() == "zombie":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"reader {reader} outlived the killed collector")


STARTED_LATE = """
import sys, time
from collector.pipeline.inspector import _limit_reader

_limit_reader(int(sys.argv[1]))  # as a reader runs it, its collector already gone
time.sleep(60)
"""


async def test_a_reader_that_starts_after_the_collector_was_killed_exits_too(
    tmp_path: Path,
) -> None:
    """Killed while its readers were still starting, the collector left them running forever:
    they watched their own parent, which by then was init."""
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # a collector pid that no longer runs
    script = tmp_path / "late_reader.py"
    script.write_text(STARTED_LATE)
    reader = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(gone.pid), stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await asyncio.wait_for(reader.communicate(), 20)  # a bound, not a measurement
    finally:
        if reader.returncode is None:
            reader.kill()
            await reader.wait()
    assert reader.returncode == 0, err.decode()[-2000:]


async def test_run_once_takes_back_file_jobs_a_killed_process_still_leases(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("left-behind", "1.0", files=["left_behind-1.0.tar.gz"])
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()  # a pid that no longer runs: a collector killed with -9
    with inspecting(make_collector) as collector:
        await collector.run_once(since_serial=start)
        await pool.execute(
            "UPDATE jobs SET state = 'running', leased_by = $1, "
            "leased_until = now() + interval '1 hour' WHERE kind = 'artifact'",
            f"{socket.gethostname()}/artifact:{dead.pid}",
        )
        async with asyncio.timeout(60):  # without recovery it would wait out the hour-long lease
            result = await collector.run_once()
    assert result.drained.files_stuck == 0
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE state <> 'done'") == 0


async def test_run_once_reads_files_while_releases_are_still_being_fetched(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("early-bird", "1.0", files=["early_bird-1.0.tar.gz"])
    pypi.upload("slow-page", "1.0", files=["slow_page-1.0.tar.gz"])
    pypi.faults.add("release_json", Fault.delay(4.0), project="slow-page")
    with inspecting(make_collector) as collector:
        await collector.run_once(since_serial=start)
    read = await pool.fetchval(
        "SELECT inspected_at FROM files WHERE filename = 'early_bird-1.0.tar.gz'"
    )
    fetched = await pool.fetchval("SELECT fetched_at FROM releases WHERE project = 'slow-page'")
    assert read is not None
    assert fetched is not None
    assert read < fetched, "the first release's file waited for every release to be fetched"


async def test_a_file_without_findings_never_waits_for_its_releases_lock(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload("plain-lib", "1.0", files=["plain_lib-1.0.tar.gz"])
    with inspecting(make_collector) as collector:
        await collector.run_once(since_serial=start)
        verdict = await _verdict(pool, "plain-lib")
        await pool.execute(
            "UPDATE jobs SET state = 'pending', run_after = now() WHERE kind = 'artifact'"
        )
        await pool.execute("UPDATE files SET inspection = NULL, inspected_at = NULL")
        async with pool.acquire() as holder, holder.transaction():
            # e.g. the release being analysed again at this moment
            await holder.execute("SELECT 1 FROM releases WHERE project = 'plain-lib' FOR UPDATE")
            assert collector.inspection is not None
            before = collector.inspection.processed
            async with asyncio.timeout(30):  # a bound, not a measurement: it would wait forever
                result = await collector.inspection.drain()
    assert result.processed == before + 1
    assert (await _files(pool, "plain-lib"))["plain_lib-1.0.tar.gz"]["inspection"] == "inspected"
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE state <> 'done'") == 0
    assert await _verdict(pool, "plain-lib") == verdict


async def test_claimed_file_jobs_come_with_their_files_loaded_in_one_query(
    standin: tuple[StandInPyPI, str], pool: asyncpg.Pool, make_collector: CollectorFactory
) -> None:
    from collector.pipeline.workers import _claim_artifacts

    pypi, _ = standin
    start = pypi.last_serial
    pypi.upload(
        "batch-lib", "1.0", files=["batch_lib-1.0.tar.gz", "batch_lib-1.0-py3-none-any.whl"]
    )
    with inspecting(make_collector) as collector:
        await collector.run_once(since_serial=start)
    await pool.execute(
        "UPDATE jobs SET state = 'pending', run_after = now() WHERE kind = 'artifact'"
    )
    async with pool.acquire() as conn:
        claimed = await _claim_artifacts(conn, 10, 60.0, "test:1")
    assert sorted(job.filename or "" for job, _ in claimed) == [
        "batch_lib-1.0-py3-none-any.whl",
        "batch_lib-1.0.tar.gz",
    ]
    for job, target in claimed:
        assert target is not None
        assert (target.filename, target.project, target.version) == (
            job.filename,
            "batch-lib",
            "1.0",
        )
