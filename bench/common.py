"""Shared pieces of the benchmarks: the corpus and ../shared/eval sets, the stand-in on a real port,
a child process's peak RSS."""

from __future__ import annotations

import asyncio
import csv
import itertools
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import psutil
from aiohttp import web

from analysis import Corpus, parse_corpus
from analysis.corpus import PopularProject
from standin import StandInPyPI

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"
CLI = str(Path(sys.executable).parent / "pypi-sentinel")


def popular_names(limit: int = 5000) -> list[str]:
    """The most downloaded projects, from the evaluation list beside the repository."""
    return top_names()[:limit]


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """`app` on a free loopback port for the block; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve(pypi: StandInPyPI) -> AsyncIterator[str]:
    """The stand-in on a real port, told its own base URL (its pages link to it)."""
    async with serve_app(pypi.app()) as base:
        pypi.base_url = base
        yield base


def child_env(home: Path, base: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPI_SENTINEL_")}
    env.update(PYPI_SENTINEL_HOME=str(home), PYPI_SENTINEL_PYPI_URL=base)
    env.update(PYPI_SENTINEL_OSV_SOURCE=f"{base}/osv/PyPI/all.zip")
    env.update(extra)
    env.setdefault("XDG_RUNTIME_DIR", str(home / "run"))
    (home / "run").mkdir(parents=True, exist_ok=True)
    return env


class PeakRss:
    """Samples a process's resident memory and CPU, and apart from it its helper processes (the
    archive readers and their fork server); Postgres is not counted (measured apart)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.cpu_seconds = 0.0
        self.helpers_peak = 0  # sum of the helpers' RSS (over-counts pages they share)
        self._helper_cpu: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        helpers: list[psutil.Process] = []
        for tick in itertools.count():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
                times = self.process.cpu_times()
                self.cpu_seconds = times.user + times.system
                if tick % 10 == 0:  # listing children reads all of /proc: once a second
                    helpers = [
                        c
                        for c in self.process.children(recursive=True)
                        if "postgres" not in c.name()
                    ]
            except psutil.Error:
                return
            total = 0
            for helper in helpers:
                try:
                    total += helper.memory_info().rss
                    times = helper.cpu_times()
                    self._helper_cpu[helper.pid] = times.user + times.system
                except psutil.Error:
                    continue
            self.helpers_peak = max(self.helpers_peak, total)
            await asyncio.sleep(0.1)

    def __enter__(self) -> PeakRss:
        self._task = asyncio.create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    @property
    def megabytes(self) -> float:
        return self.peak / 1e6

    @property
    def helpers_megabytes(self) -> float:
        return self.helpers_peak / 1e6

    @property
    def helpers_cpu_seconds(self) -> float:
        """CPU of every helper seen (as last sampled: up to 0.1 s of each one's end is missed)."""
        return sum(self._helper_cpu.values())


def shipped_corpus() -> Corpus:
    data = resources.files("analysis").joinpath("data/top-pypi-packages.min.json").read_bytes()
    return parse_corpus(data)


def read_tsv(name: str) -> list[dict[str, str]]:
    path = EVAL / name
    if not path.exists():
        raise SystemExit(f"{path} not found: the evaluation sets live in ../shared/eval/")
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def top_names() -> list[str]:
    rows = sorted(read_tsv("top.tsv"), key=lambda row: int(row["rank"]))
    return [row["normalized"] for row in rows]


def top_corpus(shipped: Corpus) -> Corpus:
    """top.tsv has ranks only: give rank r the shipped corpus's download count at rank r."""
    counts = [p.downloads for p in shipped.projects]
    names = top_names()
    projects = tuple(
        PopularProject(name, counts[min(i, len(counts) - 1)]) for i, name in enumerate(names)
    )
    aliases = {a: p for a, p in shipped.aliases.items() if p in set(names)}
    return Corpus(projects=projects, aliases=aliases, source="eval top.tsv")
