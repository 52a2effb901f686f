"""Logging on stderr: one line per record, UTC timestamps, quiet third-party loggers."""

from __future__ import annotations

import logging
import sys
import time

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Loggers that are chatty at INFO; they speak at WARNING unless we run at DEBUG.
_NOISY = ("pgserver", "apscheduler", "asyncio", "aiohttp.access")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (it may be swapped, e.g. under test)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def setup_logging(level: int) -> None:
    handler = _StderrHandler()
    formatter = logging.Formatter(_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.WARNING)
    # "skipped: maximum number of running instances reached" is expected while a poll catches
    # up; our own tick wrapper logs every failure of a job.
    logging.getLogger("apscheduler").setLevel(level if level <= logging.DEBUG else logging.ERROR)
