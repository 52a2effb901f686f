"""The error trees are whole: every exception class of the program is drawn in the docstring of
collector/errors.py or analysis/errors.py, and no error exits with the findings code."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import analysis.errors
import collector
import collector.errors
from collector.errors import SentinelError

ROOT = Path(__file__).resolve().parents[1]
SHELL = ("collector", "dashboard")


def exception_classes(folder: str) -> list[tuple[str, str]]:
    """(module path, class name) of each public class whose bases name an Error or Exception."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            bases = [ast.unparse(b) for b in node.bases]
            if any(b.endswith(("Error", "Exception", "Failed")) or b in drawn() for b in bases):
                found.append((str(path.relative_to(ROOT)), node.name))
    return found


def drawn() -> str:
    return (collector.errors.__doc__ or "") + (analysis.errors.__doc__ or "")


@pytest.mark.parametrize("folder", [*SHELL, "analysis"])
def test_every_exception_class_is_drawn_in_a_tree(folder: str) -> None:
    missing = [f"{path}: {name}" for path, name in exception_classes(folder) if name not in drawn()]
    assert not missing, "exceptions not drawn in an errors.py docstring:\n" + "\n".join(missing)


def test_the_finder_sees_classes_outside_the_errors_modules() -> None:
    names = {name for _, name in exception_classes("collector")}
    assert {"CursorMoved", "DeliveryError", "InspectionFailed", "UpstreamError"} <= names


def test_no_error_exits_with_the_findings_code() -> None:
    """Exit 1 means findings at or above --fail-on; an unclassified error is usage (2)."""
    for module in pkgutil.walk_packages(collector.__path__, "collector."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)  # every subclass, wherever it is defined
    assert SentinelError.exit_code == 2
    pending = list(SentinelError.__subclasses__())
    while pending:
        cls = pending.pop()
        assert cls.exit_code in (2, 3), cls
        pending += cls.__subclasses__()
    assert {"CursorMoved", "RefusedReport"} <= {c.__name__ for c in seen(SentinelError)}


def seen(root: type) -> set[type]:
    found = set(root.__subclasses__())
    for cls in list(found):
        found |= seen(cls)
    return found
