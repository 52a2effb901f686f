"""`pypi-sentinel deny NAME[==VERSION] --reason TEXT`: keep a project (or one release) out of the
vetted index."""

from __future__ import annotations

import argparse
from typing import Any

from collector.commands.approve import add_decision_parser


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    return add_decision_parser(subparsers, "denied")
