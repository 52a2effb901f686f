"""Reading archives in separate processes: CPU-bound work off the event loop, on every core, and
isolated, so a hostile file that finds a bug in a decompressor costs a reader process, never the
collector. Each reader has an address-space cap and every call a deadline; a reader that blows
either is killed and replaced, and the caller gets InspectionFailed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from analysis.artifact import ArtifactRef
from analysis.inspect import FileInspection, inspect_file
from analysis.model import ReleaseMetadata

log = logging.getLogger(__name__)

READER_MEMORY = 2 * 1024**3  # bytes of address space per reader process
READER_DEADLINE = 120.0  # seconds for one file
# Files one pool reads before fresh processes take over: reading a 500 MB wheel leaves a
# fragmented heap behind, and a reader that lives for days would only grow. (The pool's own
# max_tasks_per_child deadlocks on Python 3.11: CPython gh-115634.)
READER_FILES = 500


class InspectionFailed(Exception):
    """A reader process died or ran out of time on one file."""


def _limit_reader(parent: int) -> None:
    """Runs in each reader process at start: cap its memory (a bomb fails there, not here), and
    exit when the collector is gone (killed with -9, it cannot stop its readers itself). The
    collector's pid comes in: a reader still starting when the collector was killed is already
    the child of another process, and watching its own parent would keep it alive forever.
    Ctrl-C reaches the whole process group; the collector stops its readers itself, so they
    ignore it rather than die mid-file with a traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since its start
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (READER_MEMORY, READER_MEMORY))
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked while a reader may be started: the new process inherits the mask, so a
    Ctrl-C that lands while it is still importing (before _limit_reader) cannot kill it with a
    traceback; _limit_reader ignores SIGINT, then unblocks it. The parent loses nothing: a
    signal that arrives meanwhile is delivered when the mask is restored."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exit_with(parent: int) -> None:
    while _alive(parent):
        time.sleep(1.0)
    os._exit(0)


def _alive(pid: int) -> bool:
    """Whether the collector still runs. Readers are forked by the fork server, not by the
    collector, so their parent says nothing; signal 0 asks the kernel instead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user took the number: ours is gone
        return False
    return True


def _context() -> multiprocessing.context.BaseContext:
    """Readers are forked from a fork server that imported the analysis once.

    Spawning each reader afresh re-ran the program's main module in it (the whole command line,
    about a second of CPU), once per reader and again whenever the pool was recycled: a third of
    a busy day's CPU. The fork server is a clean single-threaded process started on first use (a
    fork of the collector itself, with its event loop and threads, would not be safe); it imports
    the analysis and the command line once, and every reader is a cheap fork of it. Each reader
    still runs the console script's few lines (Python 3.11's fork server never preloads a
    script's `__main__`), whose one import is then already loaded. It exits with the collector."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["analysis.inspect", "collector.cli"])
    return context


class ProcessInspector:
    """A pool of reader processes, started on first use."""

    def __init__(
        self,
        processes: int,
        *,
        deadline: float = READER_DEADLINE,
        recycle_after: int = READER_FILES,
    ) -> None:
        self.processes = processes
        self.deadline = deadline
        self.recycle_after = recycle_after
        self._executor: ProcessPoolExecutor | None = None
        self._served = 0  # files handed to the current pool

    async def inspect(
        self, ref: ArtifactRef, data: bytes, metadata: ReleaseMetadata | None
    ) -> FileInspection:
        executor = self._pool()
        try:
            async with asyncio.timeout(self.deadline):
                with _sigint_blocked():  # a reader starts here, on demand: see _sigint_blocked
                    future = executor.submit(inspect_file, ref, data, metadata)
                return await asyncio.wrap_future(future)
        except TimeoutError:
            self._discard(executor)
            raise InspectionFailed(f"reading took longer than {self.deadline:.0f}s") from None
        except (BrokenProcessPool, MemoryError) as exc:
            self._discard(executor)
            raise InspectionFailed(f"the reader process died ({type(exc).__name__})") from exc

    def close(self) -> None:
        """Stop the readers; a file still being read is abandoned (its job is retried).

        Waits for the pool's manager thread: one still closing its wake-up pipe while the
        interpreter exits races the exit hook that writes to that pipe ("Exception ignored ...
        Bad file descriptor"). The readers are killed first, so the wait is short."""
        if self._executor is not None:
            self._discard(self._executor, quiet=True, wait=True)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is not None and self._served >= self.recycle_after:
            # files in flight finish in the old processes, which then exit
            self._executor.shutdown(wait=False)
            self._executor = None
        if self._executor is None:
            self._served = 0
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=_context(),
                initializer=_limit_reader,
                initargs=(os.getpid(),),
            )
        self._served += 1
        return self._executor

    def _discard(
        self, executor: ProcessPoolExecutor, *, quiet: bool = False, wait: bool = False
    ) -> None:
        """Kill the pool's processes (a stuck reader cannot be cancelled any other way); the
        next call starts a fresh pool. Other files in flight fail and are retried."""
        if self._executor is executor:
            self._executor = None
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            with contextlib.suppress(ProcessLookupError, AttributeError):
                process.kill()
        executor.shutdown(wait=wait, cancel_futures=True)
        if not quiet:
            log.warning("reader processes replaced (%d killed)", len(processes))
