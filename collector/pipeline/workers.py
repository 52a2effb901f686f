"""Workers: claim jobs from the shared queue and process them with bounded concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import psutil

from collector.store import PgConnection
from collector.store.artifacts import ArtifactTarget, load_artifact_targets
from collector.store.database import DB_ERRORS
from collector.store.jobs import (
    Job,
    claim_jobs,
    count_stuck,
    count_waiting,
    lease_holders,
    release_leases,
    retry_job,
)
from collector.store.releases import claim_jobs_with_history

log = logging.getLogger(__name__)


def lease_owner(kind: str = "release") -> str:
    """This process's name on the leases it holds: host:pid (host/artifact:pid for the
    inspection workers, so each pool hands back only its own leases)."""
    host = socket.gethostname() if kind == "release" else f"{socket.gethostname()}/{kind}"
    return f"{host}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class DrainResult:
    processed: int
    stuck: int  # jobs still failing after the attempts allowed
    files_processed: int = 0  # artifact jobs, when `run --once` also inspects files
    files_stuck: int = 0


class JobProcessor(Protocol):
    async def process(self, job: Job, history: Any) -> object: ...


async def _claim_artifacts(
    conn: PgConnection, limit: int, lease_seconds: float, owner: str
) -> list[tuple[Job, ArtifactTarget | None]]:
    """Artifact jobs, each with its file and release loaded alongside (None: the file row is
    gone, or the job names no file), in two queries for the whole batch."""
    jobs = await claim_jobs(conn, limit, lease_seconds, owner, "artifact")
    names = [job.filename for job in jobs if job.filename is not None]
    targets = await load_artifact_targets(conn, names) if names else {}
    return [(job, targets.get(job.filename or "")) for job in jobs]


class WorkerPool:
    """Workers for one kind of job: 'release' (with each release's history claimed alongside)
    or 'artifact'."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        processor: JobProcessor,
        *,
        kind: str = "release",
        concurrency: int = 16,
        lease_seconds: float = 120.0,
        idle_wait: float = 1.0,
    ) -> None:
        self.pool = pool
        self.processor = processor
        self.kind = kind
        self._claim = claim_jobs_with_history if kind == "release" else _claim_artifacts
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.idle_wait = idle_wait
        self.owner = lease_owner(kind)
        self.wake = asyncio.Event()
        self._active: set[asyncio.Task[None]] = set()
        self.processed = 0

    async def recover_leases(self) -> int:
        """Hand back jobs leased by processes of this host that no longer run (a crash)."""
        host = self.owner.rsplit(":", 1)[0] + ":"
        async with self.pool.acquire() as conn:
            holders = await lease_holders(conn, host)
            dead = [h for h in holders if not _alive(h)]
            released = await release_leases(conn, dead) if dead else 0
        if released:
            log.info("took back %d job(s) leased by exited processes %s", released, dead)
        return released

    async def run(self, stop: asyncio.Event) -> None:
        """Process jobs until `stop` is set; in-flight jobs finish, nothing new is claimed."""
        while not stop.is_set():
            claimed = await self._dispatch()
            if not claimed:
                await self._idle(stop)
        await self._finish()

    async def drain(self, max_attempts: int = 5) -> DrainResult:
        """Process until no job is left that is due or worth waiting for (`run --once`)."""
        while True:
            if await self._dispatch():
                continue
            if self._active:
                await asyncio.wait(self._active, return_when=asyncio.FIRST_COMPLETED)
                continue
            waiting, next_due = await self._waiting(max_attempts)
            if waiting == 0:
                return DrainResult(self.processed, await self._stuck(max_attempts))
            delay = max(0.05, min(60.0, next_due))
            log.info("%d job(s) waiting for a retry; next in %.1fs", waiting, delay)
            await asyncio.sleep(delay)

    async def abandon(self, grace: float = 5.0) -> None:
        """Stop now (Ctrl-C): cancel the jobs in flight, whose transactions roll back, and hand
        their leases back, so the next run takes them up at once and nothing is half-stored."""
        for task in self._active:
            task.cancel()
        if self._active:
            await asyncio.wait(self._active, timeout=grace)
        with contextlib.suppress(*DB_ERRORS, TimeoutError):
            async with asyncio.timeout(grace), self.pool.acquire() as conn:
                await release_leases(conn, [self.owner])

    async def _dispatch(self) -> int:
        free = self.concurrency - len(self._active)
        if free < max(1, self.concurrency // 4) and self._active:
            # Claim in batches: wait for a few slots rather than one query per job.
            await asyncio.wait(self._active, return_when=asyncio.FIRST_COMPLETED)
            return -1  # capacity was full: not idle
        try:
            async with self.pool.acquire() as conn:
                jobs: list[tuple[Job, Any]] = await self._claim(
                    conn, free, self.lease_seconds, self.owner
                )
        except DB_ERRORS as exc:
            log.warning("cannot claim jobs (%s); retrying", exc)
            await asyncio.sleep(self.idle_wait)
            return -1
        for job, history in jobs:
            task = asyncio.create_task(self._process(job, history), name=f"job-{job.id}")
            self._active.add(task)
            task.add_done_callback(self._active.discard)
        return len(jobs)

    async def _process(self, job: Job, history: Any) -> None:
        try:
            async with asyncio.timeout(self.lease_seconds * 0.8):
                await self.processor.process(job, history)
            self.processed += 1
        except TimeoutError:
            await self._give_back(job, "overran", "processing took longer than the lease")
        except DB_ERRORS as exc:
            # The job's transaction rolled back; its lease runs out and it is claimed again.
            log.warning("job %s: database error (%s); it will be retried", job.id, exc)

    async def _give_back(self, job: Job, kind: str, error: str) -> None:
        with contextlib.suppress(*DB_ERRORS):
            async with self.pool.acquire() as conn:
                await retry_job(conn, job.id, kind=kind, error=error, delay_seconds=5.0)

    async def _idle(self, stop: asyncio.Event) -> None:
        self.wake.clear()
        waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=self.idle_wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _finish(self) -> None:
        if self._active:
            await asyncio.wait(self._active)
        with contextlib.suppress(*DB_ERRORS):
            async with self.pool.acquire() as conn:
                await release_leases(conn, [self.owner])

    async def _waiting(self, max_attempts: int) -> tuple[int, float]:
        """Jobs still worth waiting for, and seconds until the next is due."""
        async with self.pool.acquire() as conn:
            return await count_waiting(conn, self.kind, max_attempts)

    async def _stuck(self, max_attempts: int) -> int:
        async with self.pool.acquire() as conn:
            return await count_stuck(conn, self.kind, max_attempts)


def _alive(holder: str) -> bool:
    pid = holder.rsplit(":", 1)[-1]
    return pid.isdigit() and psutil.pid_exists(int(pid))
