"""The `pypi-sentinel` command line: parse, load Settings once, dispatch, map errors to exit codes.

Exit codes: 0 fine; 1 findings at or above --fail-on (one-shot commands); 2 usage or
configuration error; 3 PyPI or the database unavailable; 130 interrupted (Ctrl-C); 141 the reader
of stdout went away (`... | head`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from collector.arguments import OneLineErrors
from collector.commands import (
    audit,
    check,
    dashboard,
    db,
    demo,
    findings,
    releases,
    report,
    run,
    scan,
    status,
    subscribe,
    up,
)  # fmt: skip
from collector.config import (
    ALERTS,
    DASHBOARD,
    FOLLOW,
    GENERAL,
    INSPECT,
    NAMES,
    OPTIONS,
    REPORTS,
    SERVER,
    Settings,
    add_setting_flags,
    flags_from_namespace,
    unknown_variables,
)
from collector.errors import SentinelError
from collector.logs import setup_logging

log = logging.getLogger("pypi_sentinel")

Handler = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141

# Order of `--help`: the main job first, maintenance last.
_COMMANDS: dict[str, Any] = {
    "up": up, "run": run, "check": check, "audit": audit, "findings": findings,
    "releases": releases, "status": status, "dashboard": dashboard, "demo": demo,
    "subscribe": subscribe, "report": report, "scan": scan, "db": db,
}  # fmt: skip


EVERYTHING = tuple(opt.field for opt in OPTIONS)
# The settings a command reads, so that its --help lists those and no others.
SETTINGS_OF: dict[str, tuple[str, ...]] = {
    "up": EVERYTHING,
    "run": EVERYTHING,
    "demo": EVERYTHING,
    "check": GENERAL + NAMES,
    "audit": GENERAL + NAMES,
    "findings": GENERAL,
    "releases": GENERAL,
    "db": GENERAL,
    "status": GENERAL + FOLLOW,
    "dashboard": GENERAL + DASHBOARD + SERVER,
    "subscribe": GENERAL + ALERTS,
    "report": GENERAL + NAMES + REPORTS,
    "scan": GENERAL + NAMES + INSPECT,
}


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="pypi-sentinel",
        description="A watchtower over PyPI: follows every upload and flags typosquats and "
        "suspicious releases.",
        epilog="exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or configuration "
        "error, 3 PyPI or database unavailable",
    )
    add_setting_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in _COMMANDS.items():
        sub = module.add_parser(subparsers)
        add_setting_flags(sub, SETTINGS_OF[name])
        _add_setting_flags_to_children(sub, SETTINGS_OF[name])
    return parser


def _add_setting_flags_to_children(parser: argparse.ArgumentParser, fields: Sequence[str]) -> None:
    for action in parser._actions:  # argparse has no public accessor for nested subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_setting_flags(child, fields)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (not on Windows): the same asyncio, less CPU per I/O."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.load(os.environ, flags_from_namespace(args))
    except SentinelError as exc:
        print(f"pypi-sentinel: {exc}", file=sys.stderr)
        return exc.exit_code
    setup_logging(settings.log_level_number)
    for line in unknown_variables(os.environ):
        print(f"pypi-sentinel: warning: {line}", file=sys.stderr)
    handler: Handler = args.handler
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            code = runner.run(handler(settings, args))
        sys.stdout.flush()  # here, where a closed pipe can still be handled
        return code
    except SentinelError as exc:
        print(f"pypi-sentinel: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _stdout_closed()


def _stdout_closed() -> int:
    """The reader went away (`... | head`): stop quietly, as Unix tools do, with the status of a
    process ended by SIGPIPE (128 + 13). Output still buffered would fail again at exit, so
    stdout now points at /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE
