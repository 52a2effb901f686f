"""Calls between the functions of one module: what a helper returns and where its arguments go.

Real payloads hide behind small helpers: `def b64(s): return b64decode(s)` before the decoded
text is written and run, `def run(cmd): Popen(cmd, shell=True)` before `run("powershell ...")`,
`def send(data): sock.sendto(data, addr)` before the host name is sent. Each function gets a
summary (the kinds of data its return value carries; which kinds of call each parameter reaches),
and every call of it, by name or as `self.name(...)`, adds to the calling scope the facts the
helper stands for, at the call: a decode where its result is used, a spawn of the argument given.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from analysis.code.facts import FLOWING, Fact, FactKind, Scope, propagate
from analysis.code.vocab import CONNECTS

# What a parameter can reach inside a helper; data flowing there through a call counts as if
# the caller made that call itself.
REACHED: frozenset[FactKind] = frozenset({"put", "send", "sink", "spawn"})
ROUNDS = 2  # a helper calling a helper: enough for the wrappers seen in real code


@dataclass(frozen=True, slots=True)
class Summary:
    """What calling one function does, seen from the caller."""

    name: str
    params: tuple[str, ...]
    returns: tuple[Fact, ...]  # facts whose data the return value carries
    into: tuple[tuple[str, Fact], ...]  # (parameter, the call it reaches)


def link(scopes: list[Scope]) -> None:
    """Add to each scope the facts its calls of the module's own functions stand for."""
    functions: dict[str, list[Scope]] = {}
    for scope in scopes[1:]:  # two classes may both define run(): either may be the one called
        functions.setdefault(scope.name, []).append(scope)
    called = {_callee(site)[0] for scope in scopes for site in scope.sites}
    functions = {name: found for name, found in functions.items() if name in called}
    summaries: dict[str, Summary] = {}
    changed = set(functions)
    for _ in range(ROUNDS):
        for name in changed:  # a summary changes only when its functions gained facts
            summary = summarize(functions[name])
            if summary.returns or summary.into:
                summaries[name] = summary
        grown = _apply(scopes, summaries)
        changed = {name for name, found in functions.items() if any(id(s) in grown for s in found)}
        if not grown:
            return


def _apply(scopes: list[Scope], summaries: dict[str, Summary]) -> set[int]:
    """Add the facts calls stand for; the ids of the scopes that gained some."""
    grown = set()
    for scope in scopes:
        if not scope.sites or not summaries:
            continue
        known = {_key(f) for f in scope.facts}
        new = [
            f
            for call in scope.sites
            for f in _facts_at(call, summaries, scope)
            if _key(f) not in known
        ]
        if new:
            scope.facts.extend(new)
            propagate(scope)
            grown.add(id(scope))
    return grown


def summarize(scopes: list[Scope]) -> Summary:
    """One summary for the functions of one name."""
    returns = tuple(
        f
        for s in scopes
        for value in s.returns
        for f in s.flows(value, FLOWING)
        if f.kind != "shady" or "://" in f.detail  # a URL reached through a variable is not named
    )
    into = tuple(pair for s in scopes for pair in _into(s))
    return Summary(scopes[0].name, scopes[0].params, returns, into)


def _into(scope: Scope) -> Iterator[tuple[str, Fact]]:
    if not scope.params or not any(f.kind in REACHED for f in scope.facts):
        return  # most functions hand nothing of their arguments to a sink
    origins = _origins(scope)
    params = set(scope.params)
    for fact in scope.of(*REACHED):
        if fact.kind == "send" and fact.detail.rpartition(".")[2] in CONNECTS:
            continue  # where a socket connects is not what it sends
        reached = _program(scope, fact.node) if fact.kind == "spawn" else fact.node
        for param in sorted(_used(reached, origins) & params):
            yield param, fact
    for fact in scope.of("put"):  # download_file(url, path): path names a file of payload
        carried = payload(scope, fact.node)
        receiver = getattr(fact.node.func, "value", None)  # type: ignore[attr-defined]
        if carried is not None and receiver is not None:
            for param in sorted(_used(receiver, origins) & params):
                yield param, Fact("drop", fact.node, carried)


def payload(scope: Scope, put: ast.AST) -> str | None:
    """'download' or 'decode' when a write puts fetched or decoded data into its file."""
    data = put_data(put)
    if data is None:
        return None
    if scope.flows(data, frozenset({"download", "send"})):
        return "download"
    return "decode" if scope.flows(data, frozenset({"decode"})) else None


def put_data(node: ast.AST) -> ast.AST | None:
    """The data a write call puts: its first argument (or data=/text= keyword)."""
    if not isinstance(node, ast.Call):
        return None
    if node.args:
        return node.args[0]
    return next((k.value for k in node.keywords if k.arg in {"data", "text", "s"}), None)


def _origins(scope: Scope) -> dict[str, set[str]]:
    """Variable -> the parameters its value was computed from (two passes, as for taint)."""
    origins: dict[str, set[str]] = {p: {p} for p in scope.params}
    for _ in range(2):
        for targets, value in scope.assigns:
            found = _used(value, origins)
            for name in targets:
                origins.setdefault(name, set()).update(found)
    return origins


def _program(scope: Scope, spawn: ast.AST) -> ast.AST:
    """The part of a spawn that names what runs: its command, or the first item of its
    argument list (also when the list was built in a variable first). A parameter that only
    fills in an argument (a file for pandoc) does not make the helper run what it is given."""
    command = command_of(spawn)
    if command is None:
        return ast.Constant(None)
    if isinstance(command, ast.Name):
        built = [v for targets, v in scope.assigns if targets == [command.id]]
        # the list written first; later extends and += only add arguments after the program
        command = next((v for v in built if isinstance(v, ast.List | ast.Tuple)), command)
    if isinstance(command, ast.BinOp) and isinstance(command.left, ast.List | ast.Tuple):
        command = _spliced(command.left, command)
    if not isinstance(command, ast.List | ast.Tuple):
        return command
    first = command.elts[:1]
    program = first[0].value if first and isinstance(first[0], ast.Constant) else None
    if isinstance(program, str) and program.lower() not in INTERPRETERS:
        return first[0]  # ['pandoc', path]: pandoc runs
    return ast.List(elts=command.elts[:2], ctx=ast.Load())  # [python, script]: the script runs


def _spliced(head: ast.List | ast.Tuple, command: ast.BinOp) -> ast.expr:
    """[c] + args: the program is in the list written out, unless it is only an interpreter
    whose script comes in the arguments added to it."""
    first = head.elts[0] if len(head.elts) == 1 else None
    if isinstance(first, ast.Constant) and str(first.value).lower() in INTERPRETERS:
        return command
    return head


def command_of(spawn: ast.AST) -> ast.expr | None:
    """What a process call runs: its first argument, or args= / cmd= / command=."""
    if not isinstance(spawn, ast.Call):
        return None
    if spawn.args:
        return spawn.args[0]
    return next((k.value for k in spawn.keywords if k.arg in {"args", "cmd", "command"}), None)


# Programs that run the file named after them.
INTERPRETERS = frozenset(
    {
        "bash",
        "cmd",
        "cmd.exe",
        "cscript",
        "node",
        "perl",
        "powershell",
        "powershell.exe",
        "py",
        "python",
        "python3",
        "pythonw",
        "ruby",
        "sh",
        "start",
        "wscript",
    }
)


def _used(node: ast.AST, origins: dict[str, set[str]]) -> set[str]:
    arguments = _arguments(node) if isinstance(node, ast.Call) else [node]
    found: set[str] = set()
    for argument in arguments:
        for n in ast.walk(argument):
            if type(n) is ast.Name and n.id in origins:
                found |= origins[n.id]
    return found


def _arguments(call: ast.Call) -> list[ast.AST]:
    """What a call is given, its receiver included: `f.write(data)` puts data into f."""
    func = call.func
    receiver = [func.value] if isinstance(func, ast.Attribute) else []
    return [*receiver, *call.args, *(k.value for k in call.keywords)]


def _facts_at(call: ast.Call, summaries: dict[str, Summary], caller: Scope) -> Iterator[Fact]:
    name, method = _callee(call)
    summary = summaries.get(name)
    if summary is None or summary.name == caller.name:
        return
    for fact in summary.returns:
        yield Fact(fact.kind, call, fact.detail)
    given = _given(call, summary.params[1:] if method else summary.params)
    for param, fact in summary.into:
        argument = given.get(param)
        if argument is not None:
            yield Fact(fact.kind, _stand_in(call, argument), fact.detail)


def _callee(call: ast.Call) -> tuple[str, bool]:
    """The function's name, and whether it is a method (a site is f(...) or self.f(...))."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id, False
    return func.attr, True  # type: ignore[attr-defined]


def _given(call: ast.Call, params: tuple[str, ...]) -> dict[str, ast.expr]:
    given = dict(zip(params, call.args, strict=False))
    given |= {k.arg: k.value for k in call.keywords if k.arg is not None}
    return given


def _stand_in(call: ast.Call, argument: ast.expr) -> ast.Call:
    """A call of the helper with only the argument that reaches the inner call, placed where
    the helper is called: the rules read it as they would read the inner call itself."""
    node = ast.Call(func=call.func, args=[argument], keywords=[])
    return ast.copy_location(node, call)


def _key(fact: Fact) -> tuple[str, str, int, int]:
    node = fact.node
    return fact.kind, fact.detail, getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
