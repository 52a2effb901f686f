"""House rules a reader relies on, checked on the whole tree.

SQL lives in the store: an ast walk fails on any SQL string outside `collector/store/` and the
dashboard's `dashboard/queries/`, so a query is found by where it belongs, not by grep (the bench
scripts are measuring instruments that seed and count rows directly; they are left out).

The formatter owns the layout: a comment that switches it off for a line or a block fails.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "collector", "dashboard", "standin")
FORMATTED = (*PACKAGES, "bench", "tests")
HOMES = (ROOT / "collector" / "store", ROOT / "dashboard" / "queries")

# A statement's first words, upper case as the code base writes SQL: prose that starts with
# "Update the ..." or "select a row" is not matched.
SQL = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\("
    r"|CREATE\s+(TABLE|INDEX|UNIQUE|TYPE|EXTENSION)\s|ALTER\s+TABLE\s|DROP\s|TRUNCATE\s"
    r"|LISTEN\s|NOTIFY\s)"
)


def sql_strings(source: str, filename: str = "<src>") -> Iterator[str]:
    """Every string constant, or leading f-string part, of `source` that starts a statement."""
    tree = ast.parse(source, filename)
    in_f_strings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        if id(node) in in_f_strings:
            continue  # read with its f-string, from the start
        part = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
        if isinstance(part, ast.Constant) and isinstance(part.value, str) and SQL.match(part.value):
            yield f"{filename}:{node.lineno} {part.value.strip().splitlines()[0][:60]}"


def _outside_homes() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not any(path.is_relative_to(home) for home in HOMES):
                yield path


def test_no_sql_outside_the_store_and_the_dashboards_queries() -> None:
    found = [
        hit
        for path in _outside_homes()
        for hit in sql_strings(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []


def test_the_guard_sees_queries_in_every_shape_and_leaves_prose_alone() -> None:
    source = '''
a = "SELECT 1"
b = """
    UPDATE jobs SET state = 'done' WHERE id = $1
"""
c = f"DELETE FROM findings WHERE id = {x}"
d = "WITH t AS (SELECT 1) SELECT * FROM t"
e = "Update the cursor; select the rows worth it"
f = f"the {name} of a SELECT"
'''
    assert [hit.split(" ", 1)[1] for hit in sql_strings(source)] == [
        "SELECT 1",
        "UPDATE jobs SET state = 'done' WHERE id = $1",
        "DELETE FROM findings WHERE id =",
        "WITH t AS (SELECT 1) SELECT * FROM t",
    ]


def test_the_homes_hold_the_queries() -> None:
    """The guard would pass vacuously if it read nothing: the store itself is full of SQL."""
    store = [
        hit for path in sorted(HOMES[0].rglob("*.py")) for hit in sql_strings(path.read_text())
    ]
    assert len(store) > 50


FORMATTER_OFF = re.compile(r"#\s*(fmt|yapf)\s*:\s*(skip|off|disable)\b")


def formatter_switches(source: str, filename: str = "<src>") -> Iterator[str]:
    """Every comment of `source` that turns the formatter off (strings are not comments)."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and FORMATTER_OFF.search(token.string):
            yield f"{filename}:{token.start[0]} {token.string}"


def test_the_formatter_owns_the_layout() -> None:
    found = [
        hit
        for folder in FORMATTED
        for path in sorted((ROOT / folder).rglob("*.py"))
        for hit in formatter_switches(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert found == []


def test_the_layout_guard_reads_comments_not_strings() -> None:
    marker = "fmt" + ": skip"
    source = f"""
x = [1,2]  # {marker}
y = "# {marker} inside a string is text"
# fmt:off
z = 3  # formatted
"""
    assert [hit.split(" ", 1)[0] for hit in formatter_switches(source)] == ["<src>:2", "<src>:4"]
