"""Dependency names from requirements.txt, pyproject.toml and pylock.toml text (parsing only)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from analysis.errors import AnalysisError
from analysis.names import fast_normalize

_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


class RequirementsError(AnalysisError, ValueError):
    """A dependency file that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Dependency:
    """One dependency: its normalized name and where it was declared."""

    name: str
    spec: str  # the requirement as written
    where: str  # e.g. "line 3", "project.dependencies", "packages[2]"
    url: str | None = None


def parse_dependency_file(filename: str, text: str) -> tuple[Dependency, ...]:
    """Pick the parser from the file name: *.toml as pyproject or pylock, anything else as pip's."""
    base = filename.rsplit("/", 1)[-1].lower()
    if base.endswith(".toml"):
        document = _toml(text)
        if base.startswith("pylock") or "lock-version" in document:
            return parse_pylock(document)
        return parse_pyproject(document)
    return parse_requirements_txt(text)


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementsError(f"not valid TOML: {exc}") from exc


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def parse_requirements_txt(text: str) -> tuple[Dependency, ...]:
    """pip's requirements format: one requirement a line; options, paths and includes skipped."""
    found = []
    for number, line in _logical_lines(text):
        if not line:
            continue
        if line.startswith("-"):
            egg = _EGG.search(line)
            option, _, url = line.partition(" ")
            if egg and option in ("-e", "--editable"):
                found.append(
                    Dependency(fast_normalize(egg[1]), line, f"line {number}", url.strip())
                )
            continue
        dependency = _requirement(line, f"line {number}")
        if dependency is not None:
            found.append(dependency)
    return tuple(found)


def _requirement(spec: str, where: str) -> Dependency | None:
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        egg = _EGG.search(spec)
        if egg:  # a bare VCS or archive URL naming its project
            return Dependency(fast_normalize(egg[1]), spec, where, spec)
        return None  # a local path or an unparseable line names no PyPI project
    return Dependency(fast_normalize(requirement.name), spec, where, requirement.url)


def _specs(value: object, where: str) -> Iterator[Dependency]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                dependency = _requirement(item, f"{where}[{i}]")
                if dependency is not None:
                    yield dependency


def parse_pyproject(document: Mapping[str, Any]) -> tuple[Dependency, ...]:
    """PEP 621 dependencies and extras, PEP 735 groups, build requirements and Poetry's tables."""
    found: list[Dependency] = []
    project = document.get("project") or {}
    found += _specs(project.get("dependencies"), "project.dependencies")
    for extra, specs in (project.get("optional-dependencies") or {}).items():
        found += _specs(specs, f"project.optional-dependencies.{extra}")
    for group, specs in (document.get("dependency-groups") or {}).items():
        found += _specs(specs, f"dependency-groups.{group}")
    found += _specs((document.get("build-system") or {}).get("requires"), "build-system.requires")
    poetry = (document.get("tool") or {}).get("poetry") or {}
    found += _poetry(poetry.get("dependencies"), "tool.poetry.dependencies")
    for group, table in (poetry.get("group") or {}).items():
        found += _poetry((table or {}).get("dependencies"), f"tool.poetry.group.{group}")
    return tuple(found)


def _poetry(table: object, where: str) -> Iterable[Dependency]:
    if not isinstance(table, dict):
        return ()
    return tuple(
        Dependency(fast_normalize(name), f"{name} = {spec!r}", f"{where}.{name}")
        for name, spec in table.items()
        if name.lower() != "python"
    )


def parse_pylock(document: Mapping[str, Any]) -> tuple[Dependency, ...]:
    """PEP 751 lock files: every locked package."""
    found = []
    for i, package in enumerate(document.get("packages") or []):
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            name = package["name"]
            version = package.get("version")
            spec = f"{name}=={version}" if version else name
            found.append(Dependency(fast_normalize(name), spec, f"packages[{i}]"))
    return tuple(found)
