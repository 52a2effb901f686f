"""Latency from upload to stored release, with the default poll intervals.

    python bench/latency.py [--rate 60] [--duration 120]

A stand-in PyPI in this process receives uploads at `--rate` per minute for `--duration`
seconds; `pypi-sentinel run` (defaults: changelog every 5 s, RSS every 15 s) follows it in a
child process. For every release: seconds from its upload to its row being stored and analysed.
Target: p95 <= 20 s, so an alert arrives before most people could have installed the upload.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import statistics
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from bench.common import CLI, child_env, popular_names, serve
from collector.store.embedded import EmbeddedPostgres
from standin import Mix, StandInPyPI, UploadSimulator


async def main(args: argparse.Namespace) -> None:
    pypi = StandInPyPI()
    home = Path(tempfile.mkdtemp(prefix="bench-lat-"))
    try:
        async with serve(pypi) as base:
            env = child_env(home, base, PYPI_SENTINEL_LOG_LEVEL="WARNING")
            await asyncio.to_thread(
                subprocess.run, [CLI, "db", "upgrade"], env=env, check=True, capture_output=True
            )
            proc = await asyncio.create_subprocess_exec(
                CLI, "run", "--since-serial", str(pypi.last_serial), env=env
            )
            # No back-dated journal timestamps here: they would fake latency we did not cause.
            simulator = UploadSimulator(popular_names(), mix=Mix(backwards=0.0))
            published = await simulator.run(
                pypi, rate_per_minute=args.rate, duration=args.duration, seed=args.seed
            )
            print(f"published {published} uploads at {args.rate}/min over {args.duration}s")
            await asyncio.sleep(args.settle)
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
        await report(pypi, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def report(pypi: StandInPyPI, home: Path) -> None:
    uploaded = {
        (entry.name.lower().replace("_", "-").replace(".", "-"), entry.version): entry.timestamp
        for entry in pypi.journal
        if entry.action == "new release"
    }
    server = EmbeddedPostgres(home / "pg")
    conn = await asyncpg.connect(server.start())
    try:
        rows = await conn.fetch(
            "SELECT project, version, first_seen_at, first_seen_source, fetched_at FROM releases"
        )
    finally:
        await conn.close()
        server.stop()
    stored, seen, sources = [], [], {"changelog": 0, "rss": 0, "reconcile": 0}
    for row in rows:
        at = uploaded.get((row["project"], row["version"]))
        if at is None:
            continue
        seen.append((row["first_seen_at"] - at).total_seconds())
        sources[row["first_seen_source"]] += 1
        if row["fetched_at"] is not None:
            stored.append((row["fetched_at"] - at).total_seconds())
    missing = len(uploaded) - len(seen)
    print(
        f"releases uploaded {len(uploaded)}, seen {len(seen)} (first via {sources}), "
        f"stored {len(stored)}, never seen {missing}"
    )
    for label, values in (("upload -> first seen", seen), ("upload -> stored", stored)):
        if values:
            p95 = statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)
            print(
                f"  {label}: p50 {statistics.median(values):.1f}s  p95 {p95:.1f}s  max {max(values):.1f}s"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=60.0, help="uploads per minute")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of uploads")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to let it catch up")
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
