"""The `pypi-sentinel` command line: parse, load Settings once, dispatch, map errors to exit codes.

Exit codes: 0 fine; 1 findings at or above --fail-on (one-shot commands); 2 usage or
configuration error; 3 PyPI or the database unavailable; 130 interrupted (Ctrl-C); 141 the reader
of stdout went away (`... | head`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from collector.arguments import OneLineErrors
from collector.config import (
    ALERTS,
    DASHBOARD,
    FOLLOW,
    GENERAL,
    INDEX,
    INSPECT,
    KNOWN,
    NAMES,
    OPTIONS,
    POLICY,
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

# Order of `--help`: the main job first, maintenance last. Each is a module of collector.commands,
# imported when it is run or listed: `check` need not load the collector's pipeline to start.
_COMMANDS = (
    "up",
    "run",
    "check",
    "audit",
    "findings",
    "releases",
    "status",
    "dashboard",
    "demo",
    "subscribe",
    "report",
    "scan",
    "osv",
    "index",
    "approve",
    "deny",
    "pending",
    "approvals",
    "db",
)


EVERYTHING = tuple(opt.field for opt in OPTIONS)
# The settings a command reads, so that its --help lists those and no others.
SETTINGS_OF: dict[str, tuple[str, ...]] = {
    "up": EVERYTHING,
    "run": EVERYTHING,
    "demo": EVERYTHING,
    "check": GENERAL + NAMES,
    "audit": GENERAL + NAMES + POLICY,
    "findings": GENERAL,
    "releases": GENERAL,
    "db": GENERAL,
    "osv": GENERAL + KNOWN,
    "status": GENERAL + FOLLOW,
    "dashboard": GENERAL + DASHBOARD + SERVER,
    "subscribe": GENERAL + ALERTS,
    "report": GENERAL + NAMES + REPORTS,
    "scan": GENERAL + NAMES + INSPECT,
    "approve": GENERAL,
    "deny": GENERAL,
    "pending": GENERAL,
    "approvals": GENERAL,
    "index": GENERAL + INDEX,
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser; with `only`, that one in full and the others as bare names."""
    parser = OneLineErrors(
        prog="pypi-sentinel",
        description="A watchtower over PyPI: follows every upload and flags typosquats and "
        "suspicious releases.",
        epilog="exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or configuration "
        "error, 3 PyPI or database unavailable",
    )
    add_setting_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        if only is not None and name != only:
            subparsers.add_parser(name, add_help=False)  # its arguments send us to the full parse
            continue
        sub = importlib.import_module(f"collector.commands.{name}").add_parser(subparsers)
        add_setting_flags(sub, SETTINGS_OF[name])
        _add_setting_flags_to_children(sub, SETTINGS_OF[name])
    return parser


def _add_setting_flags_to_children(parser: argparse.ArgumentParser, fields: Sequence[str]) -> None:
    for action in parser._actions:  # argparse has no public accessor for nested subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_setting_flags(child, fields)


# Commands that run on asyncio's own loop: the index serves cached files with sendfile(2), which
# uvloop's loop does not offer (aiohttp then copies each file through Python, 3x slower).
STANDARD_LOOP = frozenset({"index"})


def _loop_factory(command: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (not on Windows): the same asyncio, less CPU per I/O."""
    if command in STANDARD_LOOP:
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Parse with only the named command's module loaded; all of them when that guess is wrong
    (`--home run check`) or no command is named (`--help`)."""
    named = next((arg for arg in argv if arg in _COMMANDS), None)
    if named is not None and not {"-h", "--help"} & set(argv[: argv.index(named)]):
        args, unknown = build_parser(named).parse_known_args(argv)
        if args.command == named and not unknown:
            return args
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else list(argv))
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
        with asyncio.Runner(loop_factory=_loop_factory(args.command)) as runner:
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
