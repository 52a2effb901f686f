"""check_code: the code checks over one archive's members, from reach planning to findings."""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from analysis.artifact import ArchiveContents, Member
from analysis.code import layout as layouts
from analysis.code import obfuscation, report, text
from analysis.code.calls import link
from analysis.code.facts import Scope, collect
from analysis.code.hits import Hit, Reach, lower
from analysis.code.names import Names
from analysis.code.setup_call import SetupPy, cmdclass_hits, console_scripts
from analysis.code.survey import MAX_PARSE
from analysis.code.threats import Threats
from analysis.model import Finding

FOLLOWED = (Reach.INSTALL, Reach.STARTUP, Reach.IMPORT)


def check_code(contents: ArchiveContents) -> tuple[Finding, ...]:
    """Every code finding for one distribution file, worst first."""
    with _no_cyclic_gc():
        return _check_code(contents)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parse trees hold no reference cycles, but a big module makes hundreds of thousands of
    nodes, and every collection the allocations trigger walks all the trees held so far:
    that made the time per module grow with the number of modules before it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_code(contents: ArchiveContents) -> tuple[Finding, ...]:
    plan = layouts.plan(contents)
    trees: dict[str, ast.Module | None] = {}
    roots = [m for m in contents.members if plan.reach.get(m.path) in FOLLOWED]
    for member in roots:
        _follow(plan, member, trees)
    _run_by_name(plan, contents.members)
    hits = [(path, hit) for path, found in plan.hits.items() for hit in found]
    for member in contents.members:
        found = _member_hits(plan, member, trees)
        if layouts.NOT_SHIPPED.search(plan.rel(member.path)):
            found = (_demoted(hit) for hit in found)  # tests and docs run only on request
        hits += [(member.path, hit) for hit in found]
    return report.findings(contents.filename, hits)


RUNS_FILES = (b"python", b"exec", b"subprocess", b"system(", b"Popen", b"runpy")


def _run_by_name(plan: layouts.Layout, members: tuple[Member, ...]) -> None:
    """A Python file that install-time code names and runs (`python pre_install.py`,
    exec(open('stage.py').read())) runs at install time too, wherever pip would put it."""
    hooks = [m for m in members if plan.reach.get(m.path) in (Reach.INSTALL, Reach.STARTUP)]
    hooks = [m for m in hooks if any(w in m.data for w in RUNS_FILES)]
    if not hooks:
        return
    for member in members:
        base = member.path.rpartition("/")[2]
        if base.endswith(".py") and base != "__init__.py" and member not in hooks:
            for hook in hooks:
                if _runs_named(hook.data, base.encode()):
                    plan.raise_to(member.path, plan.reach[hook.path])


RUN_WINDOW = 3  # lines from where a file is named to where it is run: script = ...; call(script)


def _runs_named(data: bytes, base: bytes) -> bool:
    """Whether a file's name is written near a call that runs files (a list of files to
    compile or package names it without running it)."""
    if base not in data:
        return False
    lines = data.splitlines()
    for at, line in enumerate(lines):
        if base in line:
            near = b"\n".join(lines[at : at + RUN_WINDOW])
            if any(w in near for w in RUNS_FILES):
                return True
    return False


def _demoted(hit: Hit) -> Hit:
    """Tests, docs and a virtualenv shipped by mistake run only when someone runs them on
    purpose: what they do when called counts two levels lower."""
    return replace(hit, severity=lower(hit.severity, 2)) if hit.reach is Reach.RUNTIME else hit


def _parse(member: Member, trees: dict[str, ast.Module | None]) -> ast.Module | None:
    if member.path not in trees:
        source = _pth_source(member.data) if member.path.endswith(".pth") else member.data
        try:
            trees[member.path] = ast.parse(source) if len(source) <= MAX_PARSE else None
        except (SyntaxError, ValueError, RecursionError):
            # Python 2, not Python, or nested past the parser's stack: the regex pass takes over
            trees[member.path] = None
    return trees[member.path]


def _pth_source(data: bytes) -> bytes:
    """The executable lines of a .pth file, other lines blanked so line numbers stay right."""
    return b"\n".join(
        line if line.startswith((b"import ", b"import\t")) else b"" for line in data.splitlines()
    )


def _follow(plan: layouts.Layout, member: Member, trees: dict[str, ast.Module | None]) -> None:
    """One level: modules of this distribution imported at module level share its reach."""
    tree = _parse(member, trees) if member.path.endswith((".py", ".pth")) else None
    if tree is None:
        return
    reach = plan.reach[member.path]
    package = _package(plan, member.path)
    dynamic = b"__import__" in member.data or b"import_module" in member.data
    for module in _module_imports(tree, package, dynamic):
        for candidate in (module, module.rsplit(".", 1)[0]):
            target = plan.modules.get(candidate)
            if target and target != member.path:
                plan.raise_to(target, reach)
                break
    _imported_calls(plan, tree, package)
    if plan.rel(member.path) == "setup.py":
        _setup_py(plan, member, tree)


def _setup_py(plan: layouts.Layout, member: Member, tree: ast.Module) -> None:
    names = Names()
    names.learn(tree.body)
    setup = SetupPy.read(tree, names)
    plan.hits.setdefault(member.path, []).extend(cmdclass_hits(setup))
    dist = layouts.distribution_name(member.path.split("/", 1)[0] + ".tar.gz")
    for command, target, line in console_scripts(setup):
        layouts.shadow(plan, member.path, command, dist, line, target)


def _imported_calls(plan: layouts.Layout, tree: ast.Module, package: str) -> None:
    """`from .installer import install` then `install()` at module level: that function of the
    other module runs whenever this one does."""
    imported: dict[str, tuple[str, str]] = {}  # local name -> (member path, function name)
    statements = list(_top_statements(tree.body))
    for node in statements:
        if isinstance(node, ast.ImportFrom):
            target = plan.modules.get(_absolute(node, package))
            if target:
                imported.update((a.asname or a.name, (target, a.name)) for a in node.names)
    if not imported:
        return  # most modules import nothing of their own distribution by name
    for node in statements:
        if isinstance(node, ast.Expr | ast.Assign):
            for n in ast.walk(node):
                if (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Name)
                    and n.func.id in imported
                ):
                    target, name = imported[n.func.id]
                    plan.called.setdefault(target, set()).add(name)


def _package(plan: layouts.Layout, path: str) -> str:
    dotted = plan.dotted.get(path, "")
    return dotted if path.endswith("__init__.py") else dotted.rpartition(".")[0]


def _module_imports(tree: ast.Module, package: str, dynamic: bool) -> Iterator[str]:
    """What the module imports at module level; `dynamic`: its text names __import__ or
    import_module, so its statements are searched for calls of them too."""
    for node in _top_statements(tree.body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            yield from (f"{base}.{alias.name}".lstrip(".") for alias in node.names)
        elif dynamic and isinstance(node, ast.Expr | ast.Assign):
            yield from _dynamic_imports(node)


def _dynamic_imports(node: ast.stmt) -> Iterator[str]:
    """__import__('pkg.mod') and importlib.import_module('pkg.mod') of a written-out name."""
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and call.args:
            func = call.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = call.args[0]
            if name in {"__import__", "import_module"} and isinstance(first, ast.Constant):
                yield str(first.value)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    parent = ".".join(parts[: len(parts) - node.level + 1])
    return f"{parent}.{node.module}" if node.module else parent


def _top_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at module level: into if/try/with blocks, not into defs."""
    for node in body:
        yield node
        if isinstance(node, ast.If | ast.Try | ast.With):
            for block in (getattr(node, f, []) for f in ("body", "orelse", "finalbody")):
                yield from _top_statements(block)
            for handler in getattr(node, "handlers", []):
                yield from _top_statements(handler.body)


def _member_hits(
    plan: layouts.Layout, member: Member, trees: dict[str, ast.Module | None]
) -> Iterator[Hit]:
    path = member.path
    python = path.endswith((".py", ".pyw"))
    if not (python or path.endswith(".pth")):
        return
    reach = plan.reach.get(path, Reach.RUNTIME)
    yield from text.text_hits(member.data, reach, python)
    obfuscated = obfuscation.worth_reading(member.data, reach)
    threats = text.worth_parsing(member.data, reach)
    if not (obfuscated or threats):
        return
    tree = _parse(member, trees)
    if tree is None:  # not Python 3, or too big to parse: padding must not hide a payload
        if threats:
            yield from text.fallback_hits(member.data.decode("utf-8", "replace"), reach)
        return
    # setup.py, what it imports or runs, in-tree build backends, .pth lines: the install (or
    # every start) is what all their functions are there for
    whole = reach in (Reach.COMMAND, Reach.INSTALL, Reach.STARTUP) or member.path.endswith(".pth")
    # an imported module's functions run only when called: read them closely only when
    # they could hold a runtime threat
    deep = reach is not Reach.IMPORT or whole or text.worth_parsing(member.data, Reach.RUNTIME)
    called = plan.called.get(member.path, set())
    layer = 0 if obfuscated else None
    yield from _module_hits(tree, member.data, reach, whole, deep, called, layer)


MAX_LAYERS = 10  # code hidden in code hidden in code...: deeper layers are not read


def _module_hits(
    tree: ast.Module,
    data: bytes,
    reach: Reach,
    whole: bool,
    deep: bool,
    called: set[str],
    layer: int | None,
) -> Iterator[Hit]:
    """The threats of one parsed module (`called`: its functions other modules call as they
    load); its obfuscation too unless `layer` is None (a file without its ingredients),
    reading what its literals hide `layer` layers down."""
    names = Names()
    names.learn(tree.body)
    scopes = collect(tree, names, deep=deep)
    link(scopes)
    lines = data.decode("utf-8", "replace").splitlines()
    threats = Threats(names, lines)
    running = _run_with_module(scopes, called)
    for scope in scopes:
        own = reach if whole or scope.top or scope.name in running else Reach.RUNTIME
        yield from threats.scope(scope, own)
    if layer is None:
        return
    module = obfuscation.Module(tree, data, names, reach, whole, frozenset(running))
    yield from obfuscation.check_obfuscation(module, _reader(layer + 1))


def _reader(layer: int) -> obfuscation.Reader | None:
    """How to read code found inside a literal: like a module of its own, at the reach of the
    code that holds it."""
    if layer > MAX_LAYERS:
        return None

    def read(tree: ast.Module, source: bytes, reach: Reach) -> Iterator[Hit]:
        yield from text.text_hits(source, reach, True)
        whole = reach in (Reach.COMMAND, Reach.INSTALL, Reach.STARTUP)
        yield from _module_hits(tree, source, reach, whole, True, set(), layer)

    return read


def _run_with_module(scopes: list[Scope], called: set[str]) -> set[str]:
    """The functions the module's own statements (or an importer's, `called`) call or hand to a
    call (a thread's target, a timer, atexit), and those these call in turn: they run when the
    module runs."""
    by_name: dict[str, list[Scope]] = {}
    for scope in scopes[1:]:
        by_name.setdefault(scope.name, []).append(scope)
    running: set[str] = set()
    todo = list(scopes[0].calls | scopes[0].refs | called)
    while todo:
        name = todo.pop()
        if name in running or name not in by_name:
            continue
        running.add(name)
        todo += [n for s in by_name[name] for n in s.calls | s.refs]
    return running
