"""`pypi-sentinel dashboard`: serve the Streamlit dashboard until stopped.

`start_dashboard()` is also what `up` and `demo` call to run it beside the collector: a child
process `streamlit run dashboard/app.py`, headless, with the settings passed in its environment.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from collector.arguments import port
from collector.config import ENV_PREFIX, OPTIONS, Settings
from collector.errors import UsageError

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
STOP_TIMEOUT = 10.0
_STREAMLIT_LOG_LEVELS = {
    "DEBUG": "debug",
    "INFO": "info",
    "WARNING": "warning",
    "ERROR": "error",
    "CRITICAL": "error",
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dashboard", help="start the web dashboard"
    )
    parser.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"address to listen on (default {DEFAULT_ADDRESS})",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT})",
    )
    parser.set_defaults(handler=run)
    return parser


def app_path() -> Path:
    """dashboard/app.py of the installed package."""
    return Path(str(resources.files("dashboard") / "app.py"))


def streamlit_command(settings: Settings, address: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "type",  # never a traceback with local values in a page
        "--logger.level",
        _STREAMLIT_LOG_LEVELS[settings.log_level],
    ]


def settings_environment(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """`base` without our variables, plus every setting as the variable Settings.load reads."""
    env = {k: v for k, v in base.items() if not k.startswith(ENV_PREFIX)}
    for opt in OPTIONS:
        value = getattr(settings, opt.field)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "on" if value else "off"
        env[opt.env] = str(value)
    return env


def start_dashboard(
    settings: Settings,
    address: str = DEFAULT_ADDRESS,
    port: int = DEFAULT_PORT,
    *,
    environ: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start the dashboard as a child process; stop it with `stop_dashboard`.

    With no database URL the dashboard joins the embedded Postgres in HOME/pg, which the
    collector process shares.
    """
    check_port_free(address, port)
    env = settings_environment(settings, os.environ if environ is None else environ)
    log.info("dashboard on http://%s:%d/", address, port)
    if not settings.dashboard_password:
        log.info("dashboard is read-only: set PYPI_SENTINEL_DASHBOARD_PASSWORD to enable actions")
    # Our own interpreter and arguments, no shell.
    return subprocess.Popen(streamlit_command(settings, address, port), env=env)  # noqa: S603


def check_port_free(address: str, port: int) -> None:
    """Fail before announcing a URL that would not answer: Streamlit finds a busy port only after
    its start, and then exits with a message lost among its own logs. SO_REUSEADDR as Streamlit
    binds, so a socket in TIME_WAIT from a previous run does not count as busy."""
    with socket.socket(_family(address), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"fails: {exc}"
            raise UsageError(
                f"cannot serve the dashboard: {address}:{port} {reason} (choose another --port)"
            ) from exc


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def stop_dashboard(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> int:
    """Ask the dashboard to stop, wait, kill it if it does not; return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


async def run(settings: Settings, args: argparse.Namespace) -> int:
    process = start_dashboard(settings, args.address, args.port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    waiter = asyncio.ensure_future(asyncio.to_thread(process.wait))
    stopper = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopping.is_set():
        await asyncio.to_thread(stop_dashboard, process)
        await waiter
        stopper.cancel()
        return 0
    stopper.cancel()
    code = process.returncode
    if code:
        log.error("the dashboard exited with code %d", code)
        return 3
    return 0
