"""The `pypi-sentinel` command line: parse, load Settings once, dispatch, map errors to exit codes.

Exit codes: 0 fine; 1 findings at or above --fail-on (one-shot commands); 2 usage or
configuration error; 3 PyPI or the database unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from collector.commands import audit, check, dashboard, db, releases, run, status
from collector.config import Settings, add_setting_flags, flags_from_namespace
from collector.errors import SentinelError
from collector.logs import setup_logging

log = logging.getLogger("pypi_sentinel")

Handler = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNAVAILABLE = 0, 1, 2, 3

# Commands that later work fills in; until then they say so and exit 2.
_PLANNED = {
    "up": "run the collector and the dashboard together (the main job)",
    "findings": "list findings",
    "demo": "replay sample data into a scratch store and open the dashboard",
    "subscribe": "manage alert subscriptions",
    "report": "report a release to PyPI",
}
_ORDER = ("up", "run", "check", "audit", "findings", "releases", "status", "dashboard", "demo",
          "subscribe", "report", "db")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pypi-sentinel",
        description="A watchtower over PyPI: follows every upload and flags typosquats and "
        "suspicious releases.",
        epilog="exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or configuration "
        "error, 3 PyPI or database unavailable",
    )
    add_setting_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, Any] = {
        "status": status, "db": db, "run": run, "releases": releases, "check": check, "audit": audit,
        "dashboard": dashboard,
    }  # fmt: skip
    for name in _ORDER:
        if name in modules:
            sub = modules[name].add_parser(subparsers)
        else:
            sub = _add_planned(subparsers, name, _PLANNED[name])
        add_setting_flags(sub)
        _add_setting_flags_to_children(sub)
    return parser


def _add_planned(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text)
    sub.set_defaults(handler=_not_implemented(name), accepts_any=True)
    return sub


def _add_setting_flags_to_children(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:  # argparse has no public accessor for nested subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_setting_flags(child)


def _not_implemented(name: str) -> Handler:
    async def handler(settings: Settings, args: argparse.Namespace) -> int:
        print(f"pypi-sentinel {name}: not implemented yet", file=sys.stderr)
        return EXIT_USAGE

    return handler


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
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "accepts_any", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        settings = Settings.load(os.environ, flags_from_namespace(args))
    except SentinelError as exc:
        print(f"pypi-sentinel: {exc}", file=sys.stderr)
        return exc.exit_code
    setup_logging(settings.log_level_number)
    handler: Handler = args.handler
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(handler(settings, args))
    except SentinelError as exc:
        print(f"pypi-sentinel: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
