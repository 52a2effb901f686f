"""The vetted index under load: Simple pages and file downloads through `pypi-sentinel index`.

    .venv/bin/python -m bench.index [--projects 50] [--requests 2000] [--seconds 5]
                                    [--concurrency 16] [--file-mb 40]

A stand-in PyPI in this process publishes `--projects` projects (three releases each, ten days
old) and one large wheel; `pypi-sentinel run --once` stores our verdicts on them in a scratch
home's embedded Postgres, then `pypi-sentinel index` serves them, a child process as a user runs
it. An aiohttp client in this process then measures, for HTML and for PEP 691 JSON:

- latency of a cached project page: `--requests` sequential GETs over the projects, p50/p95/p99;
- throughput: `--concurrency` clients GETting pages for `--seconds`, pages per second;
- file streaming: the large wheel downloaded once from upstream through the index (cold), then
  from the index's cache, against the same file from a bare aiohttp file server and read from
  disk, each with one plain reader (a socket or the file read into one buffer).

Goals: a cached page in <= 5 ms p95 and >= 500 pages/s on this machine; a cached file within
10 % of reading it directly. Over a socket "directly" can only mean a server that does nothing
else: a file in the page cache reads from disk faster than any loopback transfer can carry it,
so both ratios are printed. Results go to bench/results/index.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bench.common import CLI, REPO, child_env, serve, serve_app
from standin import StandInPyPI

RESULTS = REPO / "bench" / "results" / "index.json"
JSON = "application/vnd.pypi.simple.v1+json"
HTML = "text/html"
CHUNK = 1 << 16
BUFFER = 1 << 20  # the plain readers' buffer, for the socket and the file alike
ROUNDS = 21
SMALL = 200  # downloads of a small cached file (the wheel's metadata): the per-download cost


def publish(pypi: StandInPyPI, projects: int, file_mb: int) -> tuple[list[str], str]:
    """Old, clean projects, and one big wheel; returns the project names and the big wheel's."""
    old = datetime.now(UTC) - timedelta(days=10)
    names = [f"bench-project-{i:03d}" for i in range(projects)]
    for name in names:
        for version in ("1.0", "1.1", "2.0"):
            pypi.upload(name, version, timestamp=old)
    # Random bytes in base64: a wheel that stays about as big as its module once deflated.
    blob = base64.b64encode(random.Random(1).randbytes(file_mb * 1000**2 * 3 // 4)).decode()
    upload = pypi.upload("bench-big", "1.0", timestamp=old, module_code=f'DATA = "{blob}"\n')
    wheel = next(f.filename for f in upload.files if f.filename.endswith(".whl"))
    return names, wheel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running_index(env: dict[str, str], port: int) -> AsyncIterator[str]:
    proc = await asyncio.create_subprocess_exec(
        CLI, "index", env={**env, "PYPI_SENTINEL_INDEX_PORT": str(port)}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{base}/simple/") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("the index never answered")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)


async def latency(
    session: aiohttp.ClientSession, base: str, names: list[str], media: str, requests: int
) -> dict[str, float]:
    """Sequential GETs of cached pages: milliseconds per page, p50/p95/p99."""
    for name in names:  # warm: upstream's page fetched once, within its reuse window
        await _page(session, base, name, media)
    times = []
    for i in range(requests):
        began = time.perf_counter()
        await _page(session, base, names[i % len(names)], media)
        times.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return {"p50_ms": cuts[49], "p95_ms": cuts[94], "p99_ms": cuts[98]}


async def throughput(
    session: aiohttp.ClientSession,
    base: str,
    names: list[str],
    media: str,
    args: argparse.Namespace,
) -> float:
    """Pages per second with `--concurrency` clients for `--seconds`."""
    deadline = time.perf_counter() + args.seconds
    done = 0

    async def client(offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < deadline:
            await _page(session, base, names[i % len(names)], media)
            done += 1
            i += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(args.concurrency)))
    return done / (time.perf_counter() - began)


async def _page(session: aiohttp.ClientSession, base: str, name: str, media: str) -> None:
    async with session.get(f"{base}/simple/{name}/", headers={"Accept": media}) as response:
        if response.status != 200:
            raise SystemExit(f"{name}: HTTP {response.status}")
        await response.read()


async def streaming(
    session: aiohttp.ClientSession, base: str, wheel: str, cache_dir: Path
) -> dict[str, float]:
    """Seconds to fetch the big wheel: cold (from upstream), cached, and read from disk. The
    cached download and the disk read use the same plain reader (a socket or a file read into
    one buffer), so the difference is what the index adds, not the client's own cost."""
    path = f"/files/bench-big/{wheel}"
    cold = await _download(session, base + path)
    cached_file = await asyncio.to_thread(_cached, cache_dir)
    rounds: list[tuple[float, float, float]] = []
    async with static_server(cached_file) as static:
        for _ in range(ROUNDS):  # in turn, so that each ratio compares one moment's machine
            rounds.append(
                (
                    await asyncio.to_thread(_raw_download, base, path),
                    await asyncio.to_thread(_raw_download, static, "/file"),
                    await asyncio.to_thread(_read, cached_file),
                )
            )
    cached, bare, disk = (statistics.median(r[i] for r in rounds) for i in range(3))
    await _download(session, base + path + ".metadata")  # cached from here on
    small = [await _download(session, base + path + ".metadata") for _ in range(SMALL)]
    size = cached_file.stat().st_size
    return {
        "small_ms": statistics.median(small) * 1000,
        "size_mb": size / 1000**2,
        "cold_s": cold,
        "cached_s": cached,
        "static_s": bare,
        "disk_s": disk,
        "cached_over_static": statistics.median(c / b for c, b, _ in rounds),
        "cached_over_disk": statistics.median(c / d for c, _, d in rounds),
    }


@contextlib.asynccontextmanager
async def static_server(path: Path) -> AsyncIterator[str]:
    """The cached file behind a bare aiohttp file server: the cost of any HTTP server at all."""

    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/file", handler)
    async with serve_app(app) as base:
        yield base


async def _download(session: aiohttp.ClientSession, url: str) -> float:
    began = time.perf_counter()
    async with session.get(url) as response:
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status}")
        async for _ in response.content.iter_chunked(CHUNK):
            pass
    return time.perf_counter() - began


def _cached(cache_dir: Path) -> Path:
    return next(p for p in cache_dir.glob("??/*") if p.is_file())


def _raw_download(base: str, path: str) -> float:
    """GET over a plain socket, read into one reused buffer until the server closes."""
    where = urlsplit(base)
    buffer = memoryview(bytearray(BUFFER))
    began = time.perf_counter()
    with socket.create_connection((where.hostname or "", where.port or 80)) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {where.netloc}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        first = sock.recv_into(buffer)
        if not bytes(buffer[:first]).startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"{path}: {bytes(buffer[:60])!r}")
        while sock.recv_into(buffer):
            pass
    return time.perf_counter() - began


def _read(path: Path) -> float:
    buffer = memoryview(bytearray(BUFFER))
    began = time.perf_counter()
    with path.open("rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass
    return time.perf_counter() - began


async def main(args: argparse.Namespace) -> None:
    pypi = StandInPyPI()
    names, wheel = publish(pypi, args.projects, args.file_mb)
    home = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        async with serve(pypi) as base:
            env = child_env(
                home, base, PYPI_SENTINEL_LOG_LEVEL="WARNING", PYPI_SENTINEL_INSPECT="off"
            )
            collect = [CLI, "run", "--once", "--since-serial", "0"]
            await asyncio.to_thread(subprocess.run, collect, env=env, check=True)
            async with (
                running_index(env, free_port()) as index,
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
            ):
                figures = {}
                for label, media in (("html", HTML), ("json", JSON)):
                    figures[label] = {
                        **await latency(session, index, names, media, args.requests),
                        "pages_per_s": await throughput(session, index, names, media, args),
                    }
                figures["file"] = await streaming(session, index, wheel, home / "cache" / "index")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report(figures, args)


def report(figures: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    for label in ("html", "json"):
        f = figures[label]
        print(
            f"{label:4} page: p50 {f['p50_ms']:.2f} ms, p95 {f['p95_ms']:.2f} ms, "
            f"p99 {f['p99_ms']:.2f} ms; {f['pages_per_s']:,.0f} pages/s "
            f"({args.concurrency} clients)"
        )
    f = figures["file"]
    print(
        f"file {f['size_mb']:.1f} MB: cold {f['cold_s']:.3f} s, cached {f['cached_s']:.3f} s "
        f"({f['size_mb'] / f['cached_s']:,.0f} MB/s), a bare file server {f['static_s']:.3f} s, "
        f"the disk {f['disk_s']:.3f} s; cached/bare server {f['cached_over_static']:.2f}, "
        f"cached/disk {f['cached_over_disk']:.2f}"
    )
    print(f"small cached file (the wheel's .metadata): {f['small_ms']:.2f} ms median a download")
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "args": vars(args),
        **figures,
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--file-mb", type=int, default=40)
    asyncio.run(main(parser.parse_args()))
