"""Logging on stderr: one line per record, UTC timestamps, quiet third-party loggers."""

from __future__ import annotations

import logging
import sys
import time

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# Loggers that are chatty at INFO; they speak at WARNING unless we run at DEBUG.
_NOISY = ("pgserver", "apscheduler", "asyncio", "aiohttp.access")
_ONE_LINE = frozenset({"asyncpg"})  # libraries whose warnings come with a traceback attached


class _OneLine(logging.Filter):
    """A third party's warning about a server it cannot reach is one line, not a traceback
    (asyncpg's pool logs one with every failed attempt to refill itself); DEBUG keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        third_party = record.name.split(".", 1)[0] in _ONE_LINE
        if third_party and record.exc_info and record.levelno < logging.ERROR:
            record.msg = f"{record.getMessage()} ({record.exc_info[1] or 'no detail'})"
            record.args = None
            record.exc_info = None
        return True


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
    if level > logging.DEBUG:
        handler.addFilter(_OneLine())
