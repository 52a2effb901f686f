"""analysis/ is the functional core: an ast walk fails on any import or call that does I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[2] / "analysis"

# Top-level modules that do I/O, read the environment or the clock, or belong to the shell.
FORBIDDEN_MODULES = frozenset(
    {
        "aiohttp",
        "aiosmtplib",
        "apscheduler",
        "asyncio",
        "asyncpg",
        "collector",
        "dashboard",
        "feedparser",
        "ftplib",
        "glob",
        "http",
        "httpx",
        "os",
        "pathlib",
        "pgserver",
        "platformdirs",
        "random",
        "requests",
        "secrets",
        "shutil",
        "smtplib",
        "socket",
        "sqlite3",
        "ssl",
        "streamlit",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
        "xmlrpc",
    }
)
FORBIDDEN_CALLS = frozenset({"__import__", "breakpoint", "eval", "exec", "input", "open", "print"})
CLOCK_METHODS = frozenset({"fromtimestamp", "now", "today", "utcnow"})


def impurities(source: str, filename: str = "<src>") -> list[str]:
    """Every forbidden import or call in `source`, as 'file:line what'."""
    return [
        f"{filename}:{getattr(node, 'lineno', 0)} {problem}"
        for node in ast.walk(ast.parse(source, filename))
        for problem in _check_node(node)
    ]


def _check_node(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [
            f"imports {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES
        ]
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level == 0 and module.split(".")[0] in FORBIDDEN_MODULES:
            return [f"imports from {module}"]
        return []
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
            return [f"calls {func.id}()"]
        if isinstance(func, ast.Attribute) and func.attr in CLOCK_METHODS:
            return [f"reads the clock with .{func.attr}()"]
    return []


def test_analysis_package_exists() -> None:
    assert list(ANALYSIS.rglob("*.py")), "analysis/ has no modules to check"


@pytest.mark.parametrize("path", sorted(ANALYSIS.rglob("*.py")), ids=lambda p: p.name)
def test_module_is_pure(path: Path) -> None:
    assert impurities(path.read_text(), str(path.relative_to(ANALYSIS.parent))) == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import aiohttp", "imports aiohttp"),  # network client
        ("import os.path", "imports os.path"),  # file system and environment
        ("from urllib.request import urlopen", "imports from urllib.request"),
        ("from collector.store import database", "imports from collector.store"),  # the shell
        ("import streamlit as st", "imports streamlit"),
        ("data = open('corpus.json').read()", "calls open()"),  # file access
        ("from datetime import datetime\nnow = datetime.now()", "reads the clock with .now()"),
        ("import time", "imports time"),
    ],
)
def test_checker_catches(source: str, problem: str) -> None:
    found = impurities(source)
    assert found, f"{source!r} should be flagged"
    assert problem in found[0]


@pytest.mark.parametrize(
    "source",
    [
        "from dataclasses import dataclass",
        "from datetime import datetime, timedelta\ndef age(now: datetime) -> timedelta: ...",
        "from . import names",  # relative imports stay inside analysis/
        "import rapidfuzz",
        "from packaging.utils import canonicalize_name",
    ],
)
def test_checker_allows_pure_code(source: str) -> None:
    assert impurities(source) == []
