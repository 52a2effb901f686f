"""Argument types for numeric flags: a bad number is a one-line usage error (exit 2) at parse time,
never a value that reaches the database or a socket and fails there with a traceback."""

from __future__ import annotations

import argparse
import math
from typing import NoReturn, TypeVar

_Number = TypeVar("_Number", int, float)


def non_negative_int(text: str) -> int:
    """A count, a limit or a serial: 0 or more."""
    value = _parse(int, text, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def positive_float(text: str) -> float:
    """A rate or a duration: more than 0, finite."""
    value = _parse(float, text, "a number")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text}")
    return value


def port(text: str) -> int:
    """A TCP port to listen on: 1 to 65535."""
    value = _parse(int, text, "a port number")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, got {text}")
    return value


def _parse(kind: type[_Number], text: str, what: str) -> _Number:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


class OneLineErrors(argparse.ArgumentParser):
    """A usage error is one line naming the fix, not the usage block of every flag above it."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")
