"""`python -m standin`: serve a stand-in PyPI on a port and keep publishing uploads."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from standin.generator import UploadSimulator, populate
from standin.pypi import StandInPyPI, utc_now
from standin.replay import load_recording, publish_recording

log = logging.getLogger("pypi_sentinel.standin")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m standin",
        description="Serve a stand-in PyPI (XML-RPC, RSS, JSON, Simple, integrity) with synthetic uploads.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=30.0, help="uploads per minute (0: none)")
    parser.add_argument(
        "--backfill", type=int, default=200, help="releases published before serving"
    )
    parser.add_argument(
        "--popular", type=Path, help="popular names: one per line, or top-pypi-packages JSON"
    )
    parser.add_argument(
        "--replay", type=Path, help="publish a recording of real PyPI (bench/record_pypi.py) first"
    )
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument("--access-log", action="store_true", help="log every request on stderr")
    return parser


def read_popular(path: Path | None) -> list[str]:
    """Names from a plain list, or hugovk's top-pypi-packages JSON or CSV; none without a path."""
    if path is None:
        return []
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return [str(row["project"]) for row in json.loads(text)["rows"]]
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    if lines and lines[0] == "download_count,project":
        return [line.split(",", 1)[1] for line in lines[1:]]
    return lines


async def serve(args: argparse.Namespace, popular: Sequence[str]) -> None:
    pypi = StandInPyPI(base_url=f"http://{args.host}:{args.port}")
    pypi.top_packages = [(name, 10_000_000 // (rank + 1)) for rank, name in enumerate(popular)]
    now = utc_now()
    if args.backfill:
        populate(
            pypi,
            seed=args.seed,
            releases=args.backfill,
            popular=popular,
            start=now - timedelta(hours=1),
            span=timedelta(hours=1),
        )
    if args.replay:
        published = publish_recording(pypi, load_recording(args.replay))
        log.info("replayed %d recorded releases from %s", len(published), args.replay)
    runner = web.AppRunner(pypi.app(), access_log=log if args.access_log else None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    log.info("stand-in PyPI at %s (last serial %d)", pypi.base_url, pypi.last_serial)
    try:
        if args.rate > 0:
            simulator = UploadSimulator(popular)
            await simulator.run(
                pypi, rate_per_minute=args.rate, duration=args.duration, seed=args.seed
            )
        else:
            await asyncio.sleep(args.duration if args.duration is not None else float("inf"))
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    try:
        popular = read_popular(args.popular)
    except (OSError, ValueError, KeyError) as exc:
        log.error("cannot read --popular %s: %s", args.popular, exc)
        return 2
    try:
        asyncio.run(serve(args, popular))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        log.error("cannot serve on %s:%s: %s", args.host, args.port, exc)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
