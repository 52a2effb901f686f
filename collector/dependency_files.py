"""Reading dependency files from disk, following requirements.txt's `-r` and `-c` includes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from analysis.requirements import (
    Dependency,
    Include,
    RequirementsError,
    RequirementsLineError,
    is_dependency_document,
    parse_dependency_file,
    parse_installed,
    parse_requirements_file,
)
from collector.errors import UsageError


def read_dependencies(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[Dependency, ...]:
    """Every dependency `path` declares; for requirements files, also those of `-r` includes.

    Constraint files (`-c`) are read and checked for errors but add no dependency: pip only
    uses them to pin what something else requires."""
    environ = os.environ if environ is None else environ
    if is_dependency_document(path.name):
        try:
            return tuple(
                replace(d, source=str(path))
                for d in parse_dependency_file(path.name, _read(path, None))
            )
        except RequirementsError as exc:
            raise UsageError(f"audit: {path}: {exc}") from exc
    found: list[Dependency] = []
    _follow(path, environ, found, chain=(), constraint=False, top=path)
    return tuple(found)


def _read(path: Path, included_from: str | None) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        origin = f" (included from {included_from})" if included_from else ""
        raise UsageError(f"audit: cannot read {path}{origin}: {reason}") from exc


def _follow(
    path: Path,
    environ: Mapping[str, str],
    found: list[Dependency],
    *,
    chain: tuple[tuple[Path, str], ...],
    constraint: bool,
    top: Path,
) -> None:
    """Read one file and, depth first, what it includes (paths relative to the including file,
    as pip resolves them); an include cycle is an error rather than endless recursion."""
    key = path.resolve()
    if any(seen == key for seen, _ in chain):
        loop = " -> ".join([*(where for _, where in chain), str(path)])
        raise UsageError(f"audit: include cycle: {loop}")
    text = _read(path, chain[-1][1] if chain else None)
    try:
        parsed = parse_requirements_file(text, environ)
    except RequirementsLineError as exc:
        raise UsageError(f"audit: {path}:{exc.line}: {exc.reason}") from exc
    except RequirementsError as exc:
        raise UsageError(f"audit: {path}: {exc}") from exc
    for entry in parsed.entries:
        if isinstance(entry, Include):
            _follow(
                path.parent / entry.target,
                environ,
                found,
                chain=(*chain, (key, f"{path}:{entry.line}")),
                constraint=constraint or entry.kind == "constraint",
                top=top,
            )
        elif not constraint:
            found.append(_located(entry, path, top))


def _located(dependency: Dependency, path: Path, top: Path) -> Dependency:
    where = dependency.where if path == top else f"{path} {dependency.where}"
    return replace(dependency, where=where, source=str(path))


def read_installed(site_packages: Path) -> tuple[Dependency, ...]:
    """Every distribution installed in `site_packages`, from its `*.dist-info/METADATA`: nothing
    is imported or run, the way pip-audit audits an environment."""
    if not site_packages.is_dir():
        raise UsageError(f"audit: --path {site_packages}: not a directory")
    found = []
    for folder in sorted(site_packages.glob("*.dist-info")):
        try:
            text = (folder / "METADATA").read_text(errors="replace")
        except OSError:
            continue  # a half-removed distribution: pip would not list it either
        found.append((folder.name, text))
    return tuple(replace(d, source=str(site_packages)) for d in parse_installed(found))
