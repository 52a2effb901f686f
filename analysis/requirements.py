"""Dependency names from requirements.txt, pyproject.toml and pylock.toml text (parsing only)."""

from __future__ import annotations

import email.parser
import re
import shlex
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement

from analysis.errors import AnalysisError
from analysis.licences import Licence, normalize_licence
from analysis.metadata import parse_requirement
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
    source: str | None = None  # the file that declares it, when the caller knows
    licence: Licence | None = None  # what an installed distribution's metadata says


def pinned_version(spec: str) -> str | None:
    """The one version a requirement allows (`name==1.2`, `name===1.2`), else None: a range,
    a wildcard (`==1.*`), a URL or no version at all leave the version to the installer."""
    requirement = parse_requirement(spec)
    if requirement is None:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or requirement.url:
        return None
    (only,) = specifiers
    if only.operator not in ("==", "===") or only.version.endswith(".*"):
        return None
    return only.version


def parse_dependency_file(filename: str, text: str) -> tuple[Dependency, ...]:
    """Pick the parser from the file name: *.toml as pyproject or pylock, anything else as pip's."""
    base = filename.rsplit("/", 1)[-1].lower()
    if base.endswith(".lock"):
        return parse_lock(_toml(text))
    if base.endswith(".toml"):
        document = _toml(text)
        if base.startswith("pylock") or "lock-version" in document:
            return parse_pylock(document)
        return parse_pyproject(document)
    return parse_requirements_txt(text)


def is_dependency_document(filename: str) -> bool:
    """Whether the file is one TOML document (pyproject, pylock, uv.lock, poetry.lock) rather
    than pip's requirements format."""
    return filename.lower().endswith((".toml", ".lock"))


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementsError(f"not valid TOML: {exc}") from exc


# pip's comment rule: `#` at the start of a line or after whitespace (so `url#egg=x` is no comment).
_COMMENT = re.compile(r"(^|\s+)#.*$")
# pip expands only `${NAME}` with an upper-case POSIX name; anything else stays as written.
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
# Options pip accepts after a requirement on the same line (`--hash` is what lock files use).
_PER_REQUIREMENT = frozenset({"--config-settings", "--global-option", "--hash"})
# File-wide options pip accepts; True when the option takes a value.
_FILE_OPTIONS = {
    "--extra-index-url": True,
    "--find-links": True,
    "--index-url": True,
    "--no-binary": True,
    "--no-index": False,
    "--only-binary": True,
    "--pre": False,
    "--prefer-binary": False,
    "--require-hashes": False,
    "--trusted-host": True,
    "--use-feature": True,
}
_SHORT = {
    "-c": "--constraint",
    "-e": "--editable",
    "-f": "--find-links",
    "-i": "--index-url",
    "-r": "--requirement",
}
_INCLUDES = {"--constraint": "constraint", "--requirement": "requirement"}
_KNOWN = _FILE_OPTIONS | dict.fromkeys([*_SHORT.values(), *_PER_REQUIREMENT], True)
_ARCHIVE = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")


@dataclass(frozen=True, slots=True)
class Include:
    """A `-r FILE` (more requirements) or `-c FILE` (constraints only) line, path as written."""

    kind: Literal["requirement", "constraint"]
    target: str
    line: int


@dataclass(frozen=True, slots=True)
class RequirementsFile:
    """What one requirements file declares, in file order; the caller reads what it includes."""

    entries: tuple[Dependency | Include, ...]

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        return tuple(e for e in self.entries if isinstance(e, Dependency))

    @property
    def includes(self) -> tuple[Include, ...]:
        return tuple(e for e in self.entries if isinstance(e, Include))


class RequirementsLineError(RequirementsError):
    """A requirements.txt line pip would refuse; carries its line number for the message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


def _joined_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's join_lines: a trailing backslash continues a line, unless the line is a comment."""
    start, pending = 0, list[str]()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.endswith("\\") or _COMMENT.match(line):
            if pending:
                yield start, "".join([*pending, " " + line if _COMMENT.match(line) else line])
                pending = []
            else:
                yield number, line
        else:
            start = start if pending else number
            pending.append(line.strip("\\"))
    if pending:
        yield start, "".join(pending)


def _logical_lines(text: str, environ: Mapping[str, str]) -> Iterator[tuple[int, str]]:
    for number, raw in _joined_lines(text):
        line = _COMMENT.sub("", raw).strip()
        if line:
            yield number, _ENV_VAR.sub(lambda m: environ.get(m[1]) or m[0], line)


def parse_requirements_txt(text: str) -> tuple[Dependency, ...]:
    """pip's requirements format, without following `-r`/`-c` (see parse_requirements_file)."""
    return parse_requirements_file(text).dependencies


def parse_requirements_file(
    text: str, environ: Mapping[str, str] | None = None
) -> RequirementsFile:
    """Read requirements.txt as pip does: continuations, comments, `${VAR}`, options, hashes.

    Markers are kept, not evaluated: a dependency for another platform is still one to vet.
    A line pip would reject raises RequirementsLineError; local paths name no PyPI project."""
    entries: list[Dependency | Include] = []
    for number, line in _logical_lines(text, environ or {}):
        parse = _option_line if line.startswith("-") else _requirement_line
        entry = parse(number, line)
        if entry is not None:
            entries.append(entry)
    return RequirementsFile(tuple(entries))


def _tokens(number: int, line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise RequirementsLineError(number, f"cannot split {line!r}: {exc}") from exc


def _options(number: int, tokens: list[str]) -> Iterator[tuple[str, str | None]]:
    """`-rFILE`, `-r FILE`, `--requirement=FILE`, `--requirement FILE` as (long name, value)."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name, eq, value = token.partition("=")
        if not token.startswith("--") and token[:2] in _SHORT:
            name, eq, value = _SHORT[token[:2]], "=" if len(token) > 2 else "", token[2:]
        takes = _KNOWN.get(name)
        if takes is None:
            raise RequirementsLineError(number, f"unknown option {token!r}")
        if takes and not eq:
            i += 1
            if i == len(tokens):
                raise RequirementsLineError(number, f"{name} needs a value")
            value = tokens[i]
        yield name, value if takes else None
        i += 1


def _option_line(number: int, line: str) -> Dependency | Include | None:
    result: Dependency | Include | None = None
    for name, value in _options(number, _tokens(number, line)):
        if name in _PER_REQUIREMENT:
            raise RequirementsLineError(number, f"{name} must follow a requirement")
        if name in _INCLUDES and value is not None:
            result = Include(_INCLUDES[name], value, number)  # type: ignore[arg-type]
        elif name == "--editable" and value is not None:
            result = _editable(number, value)
    return result


def _editable(number: int, target: str) -> Dependency | None:
    egg = _EGG.search(target)
    if egg:
        return Dependency(fast_normalize(egg[1]), f"-e {target}", f"line {number}", target)
    if _is_local(target):
        return None
    raise RequirementsLineError(number, f"-e {target!r} is neither a path nor a URL")


def _is_local(spec: str) -> bool:
    """A path or plain URL: pip installs it, but it names no PyPI project to vet."""
    return (
        spec.startswith((".", "/", "~", "file:"))
        or "/" in spec
        or "\\" in spec
        or spec.lower().endswith(_ARCHIVE)
    )


def _split_args(line: str) -> tuple[str, str]:
    """pip's break_args_options: the requirement ends at the first space-separated `-` token."""
    tokens = line.split(" ")
    cut = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
    return " ".join(tokens[:cut]).strip(), " ".join(tokens[cut:])


def _requirement_line(number: int, line: str) -> Dependency | None:
    spec, options = _split_args(line)
    for name, _ in _options(number, _tokens(number, options)):
        if name not in _PER_REQUIREMENT:
            raise RequirementsLineError(number, f"{name} is not allowed after a requirement")
    dependency = _requirement(spec, f"line {number}")
    if dependency is None and not _is_local(spec):
        raise RequirementsLineError(number, f"not a requirement: {spec!r}")
    return dependency


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
    project = _table(document.get("project"))
    found += _specs(project.get("dependencies"), "project.dependencies")
    for extra, specs in _table(project.get("optional-dependencies")).items():
        found += _specs(specs, f"project.optional-dependencies.{extra}")
    for group, specs in _table(document.get("dependency-groups")).items():
        found += _specs(specs, f"dependency-groups.{group}")
    found += _specs(_table(document.get("build-system")).get("requires"), "build-system.requires")
    poetry = _table(_table(document.get("tool")).get("poetry"))
    found += _poetry(poetry.get("dependencies"), "tool.poetry.dependencies")
    for group, table in _table(poetry.get("group")).items():
        found += _poetry(_table(table).get("dependencies"), f"tool.poetry.group.{group}")
    return tuple(found)


def _table(value: object) -> Mapping[str, Any]:
    """A TOML table, or an empty one in place of a missing key or a value of another type: a
    file of the wrong shape names no dependency there, as a list of specs that is not a list."""
    return value if isinstance(value, dict) else {}


def _array(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _poetry(table: object, where: str) -> Iterable[Dependency]:
    if not isinstance(table, dict):
        return ()
    return tuple(
        Dependency(fast_normalize(name), f"{name} = {spec!r}", f"{where}.{name}")
        for name, spec in table.items()
        if name.lower() != "python"
    )


# Where a locked package comes from when it is not an index: the project itself or a local
# checkout (uv's editable/virtual/directory, Poetry's directory/file/git) is not on PyPI.
_LOCAL_SOURCES = frozenset({"directory", "editable", "file", "git", "path", "virtual"})


def parse_lock(document: Mapping[str, Any]) -> tuple[Dependency, ...]:
    """uv.lock and poetry.lock: every `[[package]]` with its locked version, local ones left out."""
    found = []
    for i, package in enumerate(_array(document.get("package"))):
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        if _local(package.get("source")):
            continue
        name, version = package["name"], package.get("version")
        spec = f"{name}=={version}" if isinstance(version, str) and version else name
        found.append(Dependency(fast_normalize(name), spec, f"package[{i}]"))
    return tuple(found)


def _local(source: object) -> bool:
    if not isinstance(source, dict):
        return False
    kind = source.get("type")  # poetry: {type = "directory", url = "..."}
    return kind in _LOCAL_SOURCES or bool(_LOCAL_SOURCES & set(source))  # uv: {editable = "."}


def parse_installed(distributions: Iterable[tuple[str, str]]) -> tuple[Dependency, ...]:
    """An installed environment: (dist-info folder, its METADATA text) pairs, as pip-audit reads
    site-packages; a METADATA without a Name or Version is left out."""
    found = []
    for where, text in distributions:
        headers = email.parser.HeaderParser().parsestr(text)
        name, version = headers.get("Name"), headers.get("Version")
        if name and version:
            licence = normalize_licence(
                headers.get("License-Expression") or "",
                headers.get("License") or "",
                headers.get_all("Classifier") or [],
            )
            spec = f"{name}=={version}"
            found.append(Dependency(fast_normalize(name), spec, where, licence=licence))
    return tuple(sorted(found, key=lambda d: d.name))


def parse_pylock(document: Mapping[str, Any]) -> tuple[Dependency, ...]:
    """PEP 751 lock files: every locked package."""
    found = []
    for i, package in enumerate(_array(document.get("packages"))):
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            name = package["name"]
            version = package.get("version")
            spec = f"{name}=={version}" if version else name
            found.append(Dependency(fast_normalize(name), spec, f"packages[{i}]"))
    return tuple(found)
