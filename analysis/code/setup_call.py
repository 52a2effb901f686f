"""What a setup.py's `setup(...)` call declares: cmdclass overrides and console scripts."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from analysis.code.hits import Hit, Reach
from analysis.code.names import Names
from analysis.model import Severity

HOOKED = frozenset(
    {
        "bdist_egg",
        "bdist_wheel",
        "build",
        "build_clib",
        "build_ext",
        "build_py",
        "develop",
        "easy_install",
        "egg_info",
        "install",
        "install_lib",
        "install_scripts",
        "sdist",
    }
)


@dataclass(frozen=True, slots=True)
class SetupPy:
    """A parsed setup.py: its `setup(...)` calls and module-level dicts, found once."""

    calls: tuple[ast.Call, ...]
    dicts: dict[str, ast.Dict]
    names: Names

    @classmethod
    def read(cls, tree: ast.Module, names: Names) -> SetupPy:
        calls = tuple(
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and (names.qualname(node.func) or "").rsplit(".", 1)[-1] == "setup"
        )
        return cls(calls, module_dicts(tree), names)


def _keyword(call: ast.Call, name: str, dicts: dict[str, ast.Dict]) -> ast.Dict | None:
    for kw in call.keywords:
        if kw.arg == name:
            value = kw.value
            if isinstance(value, ast.Name):
                return dicts.get(value.id)
            return value if isinstance(value, ast.Dict) else None
    return None


def module_dicts(tree: ast.Module) -> dict[str, ast.Dict]:
    """NAME = {...} at module level, for setup(cmdclass=cmdclass)."""
    found: dict[str, ast.Dict] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
    return found


def cmdclass_hits(setup: SetupPy) -> Iterator[Hit]:
    names = setup.names
    for call in setup.calls:
        table = _keyword(call, "cmdclass", setup.dicts)
        for key, value in zip(table.keys, table.values, strict=True) if table else ():
            command = names.fold(key) if key is not None else None
            if command in HOOKED:
                what = f"overrides the {command!r} command with its own class"
                line = value.lineno
                hit = Hit(
                    "code.cmdclass-override",
                    Severity.INFO,
                    line,
                    value.end_lineno or line,
                    ast.unparse(value)[:200],
                    what,
                    Reach.INSTALL,
                    {"command": command},
                )
                yield hit


def console_scripts(setup: SetupPy) -> Iterator[tuple[str, str, int]]:
    """(command, target, line) from setup(entry_points={'console_scripts': [...]})."""
    names = setup.names
    for call in setup.calls:
        table = _keyword(call, "entry_points", setup.dicts)
        for key, value in zip(table.keys, table.values, strict=True) if table else ():
            if key is None or names.fold(key) not in {"console_scripts", "gui_scripts"}:
                continue
            for element in value.elts if isinstance(value, ast.List | ast.Tuple) else ():
                text = names.fold(element)
                if text and "=" in text:
                    command, target = text.split("=", 1)
                    yield command.strip(), target.strip(), element.lineno
