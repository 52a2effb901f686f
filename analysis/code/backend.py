"""The PEP 517 build system an sdist names: in-tree backends and URL build requirements."""

from __future__ import annotations

import re
from typing import Any

from analysis.code.hits import Hit, Reach
from analysis.model import Severity

KNOWN_BACKENDS = frozenset(
    {
        "backend",
        "dunamai",
        "enscons.api",
        "flit.buildapi",
        "flit_core.buildapi",
        "flit_scm:buildapi",
        "hatchling.build",
        "hatchling.ouroboros",
        "jupyter_packaging.build_api",
        "maturin",
        "mesonpy",
        "mina.backend",
        "pbr.build",
        "pdm.backend",
        "pdm.pep517.api",
        "poetry.core.masonry.api",
        "poetry.masonry.api",
        "poetry_dynamic_versioning.backend",
        "py_build_cmake.build",
        "scikit_build_core.build",
        "scikit_build_core.setuptools.build_meta",
        "setuptools.build_meta",
        "setuptools.build_meta:__legacy__",
        "setuptools_rust.build_meta",
        "sipbuild.api",
        "sphinx_theme_builder",
        "trampolim",
        "uv_build",
        "whey",
    }
)
URL_REQUIREMENT = re.compile(r"@\s*\S+://|^\s*(?:https?|git\+\w+|file)://", re.IGNORECASE)


def check_build_system(system: dict[str, Any], text: str) -> tuple[list[Hit], list[str]]:
    """Hits about `[build-system]` and the dotted modules of an in-tree backend."""
    hits: list[Hit] = []
    backend = system.get("build-backend")
    backend = backend if isinstance(backend, str) else ""
    paths = [p for p in system.get("backend-path") or () if isinstance(p, str)]
    for requirement in system.get("requires") or ():
        if isinstance(requirement, str) and URL_REQUIREMENT.search(requirement):
            what = f"needs {requirement!r} from a URL to build, outside PyPI"
            hits.append(_hit(text, requirement, Severity.MEDIUM, what, requirement=requirement))
    if paths and backend:
        what = f"builds with its own in-tree backend {backend!r} (backend-path {paths})"
        hits.append(_hit(text, "backend-path", Severity.LOW, what, backend=backend))
        return hits, _modules(backend, paths)
    if backend and backend not in KNOWN_BACKENDS:
        what = f"builds with the uncommon backend {backend!r}"
        hits.append(_hit(text, "build-backend", Severity.INFO, what, backend=backend))
    return hits, []


def _modules(backend: str, paths: list[str]) -> list[str]:
    module = backend.split(":", 1)[0].strip()
    found = []
    for path in paths:
        prefix = path.strip().strip("./").removeprefix("src").strip("/").replace("/", ".")
        dotted = f"{prefix}.{module}" if prefix else module
        found += [dotted, *_parents(dotted)]
    return found


def _parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _hit(text: str, needle: str, severity: Severity, what: str, **extra: str) -> Hit:
    line = text[: text.find(needle)].count("\n") + 1 if needle in text else 1
    snippet = next((s for s in text.splitlines()[line - 1 : line] if s), needle)
    return Hit(
        "code.build-backend", severity, line, line, snippet[:200], what, Reach.INSTALL, extra
    )
