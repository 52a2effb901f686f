"""Backfill a synthetic PyPI day from the stand-in, end to end, and report throughput and memory.

    python bench/backfill.py [--releases 15000] [--workers 32] [--inspect off] [--database-url URL]

The stand-in runs in this process on a real port; the collector is `pypi-sentinel run --once`
in a child process (so its memory is measured alone) against an embedded Postgres in a scratch
home, or the database you name. Every file is downloaded and read, as `run` does by default.
Target for the day (about 40,000 events, 20,000 files) on a 2-core machine: <= 180 s end to end,
>= 225 events/s, collector RSS <= 400 MB. `--inspect off` measures the metadata pipeline alone
(its old target: >= 1,000 events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import psutil

from bench.common import CLI, PeakRss, child_env, popular_names, serve
from standin import StandInPyPI, populate


async def main(args: argparse.Namespace) -> None:
    pypi = StandInPyPI()
    started = time.perf_counter()
    population = populate(
        pypi,
        seed=args.seed,
        releases=args.releases,
        popular=popular_names(),
        start=datetime(2026, 11, 20, tzinfo=UTC),
        span=timedelta(days=1),
    )
    print(
        f"stand-in: {population.releases} releases, {population.events} events, "
        f"{population.projects} projects in {time.perf_counter() - started:.1f}s"
    )
    home = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        async with serve(pypi) as base:
            extra = {
                "PYPI_SENTINEL_WORKERS": str(args.workers),
                "PYPI_SENTINEL_LOG_LEVEL": args.log_level,
                "PYPI_SENTINEL_INSPECT": args.inspect,
            }
            if args.database_url:
                extra["PYPI_SENTINEL_DATABASE_URL"] = args.database_url
            env = child_env(home, base, **extra)
            await asyncio.to_thread(
                subprocess.run, [CLI, "db", "upgrade"], env=env, check=True, capture_output=True
            )
            since = pypi.last_serial - population.events
            await _run(env, since, population.events, population.releases)
            await _verify(env, pypi, since)
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def _run(env: dict[str, str], since: int, events: int, releases: int) -> None:
    began = time.perf_counter()
    started_cpu = time.process_time()
    machine = psutil.cpu_times()
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "run",
        "--once",
        "--since-serial",
        str(since),
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    postgres = asyncio.create_task(_postgres_cpu(env["PYPI_SENTINEL_HOME"], seen := {}))
    with PeakRss(proc.pid) as rss:
        _, err = await proc.communicate()
    postgres.cancel()
    elapsed = time.perf_counter() - began
    (Path(tempfile.gettempdir()) / "bench-collector.log").write_bytes(err)
    if proc.returncode != 0:
        raise SystemExit(f"collector failed ({proc.returncode}): {err.decode()[-2000:]}")
    print(f"collector: {events} events, {releases} releases in {elapsed:.1f}s")
    print(f"  throughput: {events / elapsed:,.0f} events/s, {releases / elapsed:,.0f} releases/s")
    print(
        f"  peak RSS of the collector process: {rss.megabytes:.0f} MB; "
        f"its CPU: {rss.cpu_seconds:.1f}s ({rss.cpu_seconds / elapsed:.0%} of one core)"
    )
    print(
        f"  its reader processes: peak RSS {rss.helpers_megabytes:.0f} MB together, "
        f"CPU {rss.helpers_cpu_seconds:.1f}s ({rss.helpers_cpu_seconds / elapsed:.0%} of one core)"
    )
    if seen:
        pg = sum(seen.values())
        print(f"  embedded Postgres CPU meanwhile: {pg:.1f}s ({pg / elapsed:.0%} of one core)")
    own = time.process_time() - started_cpu
    print(f"  stand-in (this process) CPU meanwhile: {own:.1f}s ({own / elapsed:.0%} of one core)")
    after = psutil.cpu_times()
    busy = sum(after) - sum(machine) - (after.idle - machine.idle) - (after.iowait - machine.iowait)
    print(f"  whole machine: {busy:.1f} CPU-seconds busy of {psutil.cpu_count() * elapsed:.1f}")


async def _postgres_cpu(home: str, seen: dict[int, float]) -> None:
    """CPU of the embedded Postgres in `home` (its server and backends), sampled every second
    until cancelled: pid -> CPU seconds as last seen."""
    server = None
    while server is None:
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] == "postgres" and home in " ".join(
                process.info["cmdline"] or ()
            ):
                server = process
                break
        else:
            await asyncio.sleep(0.5)
    while True:
        with contextlib.suppress(psutil.Error):
            for member in (server, *server.children()):
                with contextlib.suppress(psutil.Error):
                    times = member.cpu_times()
                    seen[member.pid] = times.user + times.system
        await asyncio.sleep(1.0)


async def _verify(env: dict[str, str], pypi: StandInPyPI, since: int) -> None:
    url = env.get("PYPI_SENTINEL_DATABASE_URL")
    if url is None:
        from collector.store.embedded import EmbeddedPostgres

        server = EmbeddedPostgres(Path(env["PYPI_SENTINEL_HOME"]) / "pg")
        url = server.start()
    else:
        server = None
    conn = await asyncpg.connect(url)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM changelog_events")
        fetched = await conn.fetchval("SELECT count(*) FROM releases WHERE fetched_at IS NOT NULL")
        gone = await conn.fetchval("SELECT count(*) FROM releases WHERE fetched_at IS NULL")
        open_jobs = await conn.fetchval("SELECT count(*) FROM jobs WHERE state <> 'done'")
        inspected = await conn.fetch(
            "SELECT inspection, count(*) AS n FROM files WHERE inspection IS NOT NULL GROUP BY 1"
        )
    finally:
        await conn.close()
        if server is not None:
            server.stop()
    journal = sum(1 for e in pypi.journal if e.serial > since)
    print(
        f"  check: {stored}/{journal} events stored once, {fetched} releases analysed, "
        f"{gone} never fetchable (removed/quarantined first), {open_jobs} jobs open"
    )
    if inspected:
        print("  files: " + ", ".join(f"{r['n']} {r['inspection']}" for r in inspected))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=15_000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument(
        "--inspect",
        choices=["on", "off"],
        default="on",
        help="download and read every file (off: the metadata pipeline alone)",
    )
    # The stand-in runs on uvloop here, as the collector does: PyPI's own servers are not
    # ours to measure, so its stand-in should cost as little of this machine as it can.
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(parser.parse_args()))
