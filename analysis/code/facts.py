"""Collect what each scope of a parsed module can do (read secrets, send, decode, run code)."""

from __future__ import annotations

import ast
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from analysis.code import vocab
from analysis.code.names import BUILTIN_HOLDERS, PATH_JOINS, UNKNOWN, Names, is_reverse_slice

# What a piece of code can do, as the threat rules ask for it: a misspelt kind is a type error,
# not a rule that never fires.
FactKind = Literal[
    "ask",  # input() or getpass: asks the person installing
    "blob",  # a long opaque literal
    "chmod",  # makes a file executable
    "cred",  # names a credential store (SSH keys, browser data, tokens)
    "decode",  # base64, zlib, marshal, a reversed string...
    "download",  # fetches a URL into a file
    "drop",  # a helper's parameter that reaches a file write
    "dup2",  # wires a socket to the standard streams (a reverse shell)
    "env",  # reads one environment variable
    "env-all",  # takes the whole environment
    "host",  # the machine's identity: user, host name, addresses
    "imds",  # the cloud instance metadata service
    "keys",  # reads key material
    "persist",  # autostart entries, shell profiles, browser command lines
    "put",  # writes data into a file
    "recv",  # reads from a socket
    "registry",  # the Windows registry
    "send",  # sends over the network
    "shady",  # an address worth a second look (webhooks, paste sites, raw IPs)
    "sink",  # runs code: exec, eval, compile
    "spawn",  # starts a process
    "trick",  # reaches builtins by a detour
    "write",  # opens a file for writing
]

ENV_TAKE_ALL = frozenset({"copy", "items", "keys", "values"})
PUTS = frozenset({"write", "write_bytes", "write_text", "writelines"})  # data into a file
RECEIVES = frozenset({"makefile", "recv", "recv_into", "recvfrom"})
SOURCES: frozenset[FactKind] = frozenset({"cred", "env", "env-all", "host", "imds", "keys"})
STRONG_SOURCES: frozenset[FactKind] = frozenset({"cred", "env-all", "imds", "keys"})


@dataclass(frozen=True, slots=True)
class Fact:
    kind: FactKind
    node: ast.AST
    detail: str


@dataclass(slots=True)
class Scope:
    """One function body, or the module body with its class bodies (`top`)."""

    name: str
    top: bool
    facts: list[Fact] = field(default_factory=list)
    taint: dict[str, set[FactKind]] = field(default_factory=dict)  # variable -> kinds flowing in
    assigns: list[tuple[list[str], ast.AST]] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)  # plain names called here
    refs: set[str] = field(default_factory=set)  # plain names handed to calls (callbacks)
    local: dict[str, str] = field(default_factory=dict)  # name -> network object it holds
    strings: dict[str, str] = field(default_factory=dict)  # name -> literal text assigned
    params: tuple[str, ...] = ()  # a function's parameters, in order
    returns: list[ast.AST] = field(default_factory=list)  # what its return statements give
    sites: list[ast.Call] = field(default_factory=list)  # calls of f(...) and self.f(...)

    def kinds(self) -> set[FactKind]:
        return {f.kind for f in self.facts}

    def of(self, *kinds: FactKind) -> list[Fact]:
        return [f for f in self.facts if f.kind in kinds]

    def flows(self, node: ast.AST, kinds: frozenset[FactKind]) -> list[Fact]:
        """Facts of `kinds` inside `node`, directly or through a variable assigned in scope."""
        inside = {id(n) for n in ast.walk(node)}
        found = [f for f in self.facts if f.kind in kinds and id(f.node) in inside]
        found += [
            Fact(min(self.taint[n.id] & kinds), n, n.id)
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and self.taint.get(n.id, set()) & kinds
        ]
        return found


def collect(tree: ast.Module, names: Names, *, deep: bool = True) -> list[Scope]:
    """Every scope of `tree`, module first, with its facts and tainted variables. Not `deep`:
    only the code that runs on import, the module's statements and the functions they call by
    name; the rest of a big module is skipped when no threat's ingredients sit close in it."""
    module = Scope("<module>", top=True)
    scopes = [module]
    deferred: list[Frame] | None = None if deep else []
    _walk(tree, module, scopes, names, deferred)
    _walk_called(deferred or [], module, scopes, names)
    for scope in scopes:
        if any(f.kind in FLOWING for f in scope.facts):
            propagate(scope)
    return scopes


MAIN = "<main>"


def _main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    test = node.test  # type: ignore[attr-defined]
    if type(test) is not ast.Compare or len(test.ops) != 1 or type(test.ops[0]) is not ast.Eq:
        return False
    sides = {_plain(test.left), _plain(test.comparators[0])}
    return sides == {"__name__", "'__main__'"}


def _plain(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return repr(node.value) if isinstance(node, ast.Constant) else ""


def _walk_called(deferred: list[Frame], module: Scope, scopes: list[Scope], names: Names) -> None:
    """The deferred functions that code run on import calls, and those they call in turn."""
    waiting = {id(f[0]): f for f in deferred}
    called = module.calls | module.refs
    while waiting:
        ready = [f for f in waiting.values() if _function_name(f[0], f[1]) in called]
        if not ready:
            return
        for function, parent, _ in ready:
            del waiting[id(function)]
            before = len(scopes)
            _walk(function, module, scopes, names, None, parent)
            for scope in scopes[before:]:
                called |= (
                    scope.calls
                    | scope.refs
                    | {
                        site.func.attr
                        for site in scope.sites
                        if isinstance(site.func, ast.Attribute)
                    }
                )


def _function_name(node: ast.AST, parent: ast.AST) -> str | None:
    """A def's name, or the name a lambda is bound to (`b64 = lambda s: b64decode(s)`: helpers
    that hide what a call does); None for an inline lambda."""
    if type(node) is ast.Lambda:
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            return target.id if isinstance(target, ast.Name) else None
        return None
    return node.name  # type: ignore[attr-defined,no-any-return]


def _opened(node: ast.AST, name: str) -> Scope:
    args: ast.arguments = node.args  # type: ignore[attr-defined]
    params = tuple(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
    scope = Scope(name, top=False, params=params)
    if type(node) is ast.Lambda:
        scope.returns.append(node.body)
    return scope


# Fields that never hold a node with a fact: contexts (Load/Store), operators, identifiers and
# flags. Skipping them, and leaves without children, halves the walk.
QUIET_FIELDS = frozenset(
    {
        "arg",
        "attr",
        "conversion",
        "ctx",
        "id",
        "is_async",
        "kind",
        "kwd_attrs",
        "level",
        "module",
        "name",
        "names",
        "op",
        "ops",
        "rest",
        "type_comment",
        "type_ignores",
    }
)
LEAVES = (ast.Name, ast.Constant)
FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_FIELDS: dict[type, tuple[str, ...]] = {}
Frame = tuple[ast.AST, ast.AST, Scope]  # node, its parent, the scope it belongs to


def _walk(
    root: ast.AST,
    scope: Scope,
    scopes: list[Scope],
    names: Names,
    deferred: list[Frame] | None,
    parent: ast.AST | None = None,
) -> None:
    """Depth first in source order, without recursion (deeply nested generated code would
    overflow the stack): a def (or a lambda bound to a name) opens a new scope, or waits in
    `deferred` when one is given; a class body stays in the enclosing scope."""
    stack: list[Frame] = []
    if isinstance(root, ast.Module):
        _push(stack, root, scope)
    else:
        stack.append((root, parent or root, scope))
    while stack:
        node, parent, scope = stack.pop()
        kind = type(node)
        if kind in FUNCTIONS:
            name = _function_name(node, parent)
            if name is not None:
                if deferred is not None:
                    deferred.append((node, parent, scope))
                    continue
                inner = _opened(node, name)
                scopes.append(inner)
                _push(stack, node, inner)
                continue
        if kind is ast.If and scope.top and _main_guard(node):
            # runs when the file is started as a script, not when it is imported
            inner = Scope(MAIN, top=False)
            scopes.append(inner)
            stack.extend((child, node, inner) for child in reversed(node.body))  # type: ignore[attr-defined]
            stack.extend((child, node, scope) for child in reversed(node.orelse))  # type: ignore[attr-defined]
            continue
        if kind is ast.Expr and type(node.value) is ast.Constant:  # type: ignore[attr-defined]
            continue  # a docstring or a bare string: never runs
        names.local, names.local_strings = scope.local, scope.strings
        fact = CLASSIFIERS.get(kind)
        if fact is not None:
            scope.facts.extend(fact(node, parent, names))
        recorder = RECORDERS.get(kind)
        if recorder is not None:
            recorder(node, scope, names)
            if kind in BINDINGS:
                _bind_network(node, scope, names)
        if kind not in LEAVES:
            _push(stack, node, scope)


def _push(stack: list[Frame], node: ast.AST, scope: Scope) -> None:
    stack.extend((child, node, scope) for child in reversed(children(node)))


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes worth visiting, in order: ast.iter_child_nodes without the fields that
    hold only contexts, operators and identifiers, with the field list cached per node type."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in QUIET_FIELDS)
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            found += [v for v in value if isinstance(v, ast.AST)]
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


BINDINGS = frozenset({ast.Assign, ast.withitem})


def _bind_network(node: ast.AST, scope: Scope, names: Names) -> None:
    """`s = socket.socket()` or `with smtplib.SMTP(host) as s`: calls on s are sends. In a
    function, `token = '...'` too: later f-strings fold with it."""
    if isinstance(node, ast.Assign):
        target, value = (node.targets[0] if len(node.targets) == 1 else None), node.value
    else:
        target, value = node.optional_vars, node.context_expr  # type: ignore[attr-defined]
    if not isinstance(target, ast.Name):
        return
    if not scope.top and isinstance(value, ast.Constant) and isinstance(value.value, str):
        scope.strings[target.id] = value.value  # a token or URL kept in a local
        return
    if not isinstance(value, ast.Call):
        return
    if not scope.top and isinstance(value.args[0] if value.args else None, SPELLINGS):
        text = names.fold(value)  # a local spelled in character codes
        if text is not None:
            scope.strings[target.id] = text
            return
    if getattr(value.func, "attr", "") == "wrap_socket":  # a TLS socket sends like the socket
        scope.local[target.id] = "socket.socket()"
        return
    q = names.qualname(value) or ""
    if q.split(".", 1)[0] in vocab.NET_MODULES:
        scope.local[target.id] = q


def _record_assign(node: ast.AST, scope: Scope, names: Names) -> None:
    value = node.value  # type: ignore[attr-defined]
    if value is None:
        return  # `x: int` declares, assigns nothing
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    scope.assigns.append(([name for t in targets for name in _bound(t)], value))


def _record_with(node: ast.AST, scope: Scope, names: Names) -> None:
    item: ast.withitem = node  # type: ignore[assignment]
    if item.optional_vars is not None:
        scope.assigns.append((_bound(item.optional_vars), item.context_expr))


def _record_call(node: ast.AST, scope: Scope, names: Names) -> None:
    call: ast.Call = node  # type: ignore[assignment]
    func = call.func
    leaf = func.id if type(func) is ast.Name else getattr(func, "attr", "")
    if leaf in SCHEDULERS:  # Thread(target=f), Timer(10, f), atexit.register(f): f will run
        scope.refs.update(
            a.id for a in (*call.args, *(k.value for k in call.keywords)) if type(a) is ast.Name
        )
    if type(func) is ast.Name:
        scope.calls.add(func.id)
        scope.sites.append(node)  # type: ignore[arg-type]
    elif type(func) is ast.Attribute and type(func.value) is ast.Name and func.value.id in SELF:
        scope.sites.append(node)  # type: ignore[arg-type]


SELF = frozenset({"self", "cls"})
# Calls that run a function they are handed, soon and on their own.
SCHEDULERS = frozenset(
    {
        "Process",
        "Thread",
        "Timer",
        "call_later",
        "call_soon",
        "register",
        "run_in_executor",
        "start_new_thread",
        "submit",
        "to_thread",
    }
)


def _record_statement_call(node: ast.AST, scope: Scope, names: Names) -> None:
    """`config.read(path)`, `found.append(secret)`: an object takes in what a method is given,
    as if `config = config.read(path)`."""
    call = node.value  # type: ignore[attr-defined]
    if type(call) is ast.Call and type(call.func) is ast.Attribute and call.args:
        receiver = call.func.value
        # a module's functions change no variable: `requests.post(...)` is not `requests = ...`
        if (
            type(receiver) is ast.Name
            and receiver.id not in SELF
            and receiver.id not in names.modules
        ):
            scope.assigns.append(([receiver.id], call))


def _record_return(node: ast.AST, scope: Scope, names: Names) -> None:
    value = node.value  # type: ignore[attr-defined]
    if value is not None:
        scope.returns.append(value)


def _record_loop(node: ast.AST, scope: Scope, names: Names) -> None:
    """`for path in glob(join(home, '.ssh', '*'))`: the loop variable holds what it iterates."""
    loop: ast.For | ast.AsyncFor | ast.comprehension = node  # type: ignore[assignment]
    scope.assigns.append((_bound(loop.target), loop.iter))


def _bound(target: ast.AST) -> list[str]:
    """The names an assignment target binds: `a`, `a, (b, c)`, `*rest`, and the container of
    `d['k'] = ...`; not `self` of `self.x = ...` (every later use of self would carry it)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound(element)]
    if isinstance(target, ast.Starred | ast.Subscript):
        return _bound(target.value)
    return []


RECORDERS = {
    ast.Assign: _record_assign,
    ast.AugAssign: _record_assign,
    ast.AnnAssign: _record_assign,
    ast.withitem: _record_with,
    ast.Call: _record_call,
    ast.For: _record_loop,
    ast.AsyncFor: _record_loop,
    ast.comprehension: _record_loop,
    ast.Return: _record_return,
    ast.Expr: _record_statement_call,
}


def propagate(scope: Scope) -> None:
    """Two passes over the assignments in order: enough for `a = decode(x); b = a; exec(b)`.
    What each right-hand side holds is found once; the passes only add up sets."""
    at: dict[int, set[FactKind]] = {}
    for fact in scope.facts:
        if fact.kind in FLOWING:
            at.setdefault(id(fact.node), set()).add(fact.kind)
    sides = []
    for targets, value in scope.assigns:
        kinds: set[FactKind] = set()
        used: set[str] = set()
        for node in ast.walk(value):
            kinds.update(at.get(id(node), ()))
            if type(node) is ast.Name:
                used.add(node.id)
        sides.append((targets, kinds, used))
    for _ in range(2):
        for targets, kinds, used in sides:
            flowing = kinds.union(*(scope.taint.get(name, ()) for name in used))
            for name in targets:
                scope.taint.setdefault(name, set()).update(flowing)


FLOWING: frozenset[FactKind] = frozenset(
    {"cred", "decode", "download", "env", "env-all", "host", "imds", "keys", "recv", "shady"}
)


def _name_use(node: ast.Attribute | ast.Name, parent: ast.AST, names: Names) -> Iterator[Fact]:
    # cheap tests first: this runs on every name and attribute in the file
    if isinstance(node, ast.Attribute):
        if node.attr not in ENVIRON_ATTRS:
            return
    elif names.aliases.get(node.id, "") not in vocab.ENV_WHOLE:
        return  # not `from os import environ`
    kind = _environ_use(node, parent, names)
    if kind:
        yield Fact(kind, node, "os.environ")


ENVIRON_ATTRS = frozenset(q.rsplit(".", 1)[1] for q in vocab.ENV_WHOLE)


def _binop(node: ast.BinOp, parent: ast.AST, names: Names) -> Iterator[Fact]:
    if isinstance(node.op, ast.Div):  # pathlib: Path.home() / '.ssh' / 'id_rsa'
        yield from _joined_path(node, names)


def _environ_use(node: ast.Attribute | ast.Name, parent: ast.AST, names: Names) -> FactKind | None:
    if names.qualname(node) not in vocab.ENV_WHOLE or isinstance(parent, ast.Attribute | ast.Name):
        return None
    if isinstance(parent, ast.Subscript):
        return "env" if isinstance(parent.ctx, ast.Load) else None
    if isinstance(parent, ast.Call) and node in parent.args:
        return "env-all"  # dict(os.environ), json.dumps(os.environ), str(os.environ)
    if isinstance(parent, ast.For | ast.comprehension):
        return "env-all"
    return None


def _constant(node: ast.AST, parent: ast.AST, names: Names) -> Iterator[Fact]:
    value = node.value  # type: ignore[attr-defined]
    if type(value) is str and len(value) >= 8:
        yield from _string(node, value)


PLACES: frozenset[FactKind] = frozenset({"cred", "persist"})


def _formatted(node: ast.JoinedStr, parent: ast.AST, names: Names) -> Iterator[Fact]:
    """f"https://api.telegram.org/bot{TOKEN}/sendDocument" with TOKEN a module-level literal:
    the URL is whole only once its pieces are put together."""
    if any(type(v) is not ast.Constant for v in node.values):
        text = names.fold(node)
        if text is not None and "://" in text:
            yield from (f for f in _string(node, text) if f.kind == "shady")
        # f"/home/{user}/.bashrc": a place is named even when one of its pieces is unknown
        pattern = "".join(names.fold(v) or UNKNOWN for v in node.values)
        if "://" not in pattern and len(pattern) >= 8:
            yield from (f for f in _string(node, pattern) if f.kind in PLACES)


def environ_method(node: ast.Call, names: Names) -> FactKind | None:
    """`os.environ.copy()` and friends take the whole environment."""
    func = node.func
    if isinstance(func, ast.Attribute) and names.qualname(func.value) in vocab.ENV_WHOLE:
        return "env-all" if func.attr in ENV_TAKE_ALL else None
    return None


# Asking the person at the keyboard: code that does is run by someone watching it.
ASKS = frozenset({"input", "raw_input", "builtins.input"})
CONFIRMS = frozenset({"askokcancel", "askyesno", "confirm", "prompt"})


SPELLINGS = (ast.ListComp, ast.GeneratorExp, ast.Call)


def _call(node: ast.Call, parent: ast.AST, names: Names) -> Iterator[Fact]:
    q = names.qualname(node.func) or ""
    leaf = q.rsplit(".", 1)[-1] if q else getattr(node.func, "attr", "")
    kind = _call_kind(node, q, leaf, names)
    if kind:
        yield Fact(kind, node, q or leaf)
    if q.startswith(("winreg.", "_winreg.")) and leaf in {"SetValueEx", "SetValue"}:
        yield Fact("registry", node, q)
    if q in ASKS or (leaf in CONFIRMS and q != leaf):  # input(...), click.confirm(...)
        yield Fact("ask", node, q)
    if (
        q in vocab.DOWNLOADS
        or leaf in vocab.DOWNLOAD_LEAVES
        or q.startswith(tuple(d + "()" for d in vocab.DOWNLOADS))
    ):
        yield Fact("download", node, q or leaf)
    if kind == "send":
        yield from _sent_to(node, names)
        if leaf in RECEIVES:  # what a socket receives: a remote peer's bytes
            yield Fact("recv", node, q or leaf)
    if leaf in PUTS and (node.args or node.keywords):
        yield Fact("put", node, q or leaf)
    if q in PATH_JOINS or leaf == "joinpath":
        yield from _joined_path(node, names)
    if leaf in vocab.CONNECTS and node.args:
        yield from _address(node, names)
    if leaf == "join" and node.args and isinstance(node.args[0], SPELLINGS):
        text = names.fold(node)  # ''.join([chr(c) for c in [47, 101, ...]]): a hidden path
        if text is not None and len(text) >= 4:
            yield from _string(node, text)
    if q == "getattr" and node.args and names.qualname(node.args[0]) in BUILTIN_HOLDERS:
        name = node.args[1] if len(node.args) > 1 else None
        attr = names.fold(name) if name is not None else None
        # getattr(builtins, "exec") is a Python 2/3 compat idiom; a built-up name is hiding
        spelling = " literal" if isinstance(name, ast.Constant) else _built_up(name, attr)
        yield Fact("trick", node, f"getattr(builtins, {attr!r})" + spelling)


def _sent_to(node: ast.Call, names: Names) -> Iterator[Fact]:
    """A send to a URL held in a module-level name: the receiver sits in another scope than the
    send, and it is the send that makes it a threat."""
    target = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg == "url"), None)
    )
    if isinstance(target, ast.Name | ast.JoinedStr | ast.BinOp):
        text = names.fold(target)
        if text is not None and "://" in text:
            for url in vocab.URL.findall(text):
                if shady_url(url):
                    yield Fact("shady", node, url)


def _call_kind(node: ast.Call, q: str, leaf: str, names: Names) -> FactKind | None:
    if q in vocab.EXEC_SINKS or (q.startswith("builtins.") and leaf in vocab.EXEC_NAMES):
        return "sink"
    if _calls_builtin_by_name(node, names):
        return "sink"
    if q in vocab.DECODERS or leaf in vocab.DECODE_METHODS or _is_codec_decode(node, leaf, names):
        return "decode"
    if _is_chr_join(node, leaf) or _is_chr_of_computed(node, q):
        return "decode"
    if q in vocab.SPAWNS:
        return "spawn"
    if q in vocab.STREAM_REDIRECTS:
        return "dup2"
    if q in vocab.HOST_INFO:
        return "host"
    if q in vocab.KEY_HOOKS:
        return "keys"
    if q in vocab.SECRET_CALLS or leaf == "CryptUnprotectData":
        return "cred"
    if q in vocab.SPY_CALLS:
        return "host"  # a screen or the clipboard: the user's, like the host's name
    if q in vocab.ENV_GETTERS:
        return "env"
    if q in vocab.CHMODS or leaf == "chmod":
        return "chmod"
    if (q == "open" and _writes(node, names)) or leaf in {"write_bytes", "write_text"}:
        return "write"
    root = q.split(".", 1)[0]
    if root in vocab.NET_MODULES and q not in vocab.HOST_INFO:
        parts = set(q.replace("()", "").split(".")[1:])
        return None if not parts or parts & vocab.NET_HELPERS else "send"
    return environ_method(node, names)


def _calls_builtin_by_name(node: ast.Call, names: Names) -> bool:
    """`getattr(builtins, name)(...)` with a name that literals do not tell: any builtin, exec
    and eval included, called without saying which."""
    inner = node.func
    return (
        isinstance(inner, ast.Call)
        and names.qualname(inner.func) == "getattr"
        and len(inner.args) >= 2
        and names.qualname(inner.args[0]) in BUILTIN_HOLDERS
        and names.fold(inner.args[1]) is None
    )


def _is_codec_decode(node: ast.Call, leaf: str, names: Names) -> bool:
    if leaf not in {"decode", "encode"} or not node.args:
        return False
    codec = names.fold(node.args[0])
    return codec is not None and codec.lower().replace("-", "_") in vocab.DECODE_CODECS


def _is_chr_join(node: ast.Call, leaf: str) -> bool:
    """''.join(chr(c) for c in [...]) and ''.join(map(chr, [...])): text spelled in numbers."""
    if leaf != "join" or not node.args:
        return False
    return any(isinstance(n, ast.Name) and n.id == "chr" for n in ast.walk(node.args[0]))


def _is_chr_of_computed(node: ast.Call, q: str) -> bool:
    """chr(ord(c) ^ ord(k)): a character decoded from arithmetic, the body of a XOR cipher."""
    return q == "chr" and len(node.args) == 1 and isinstance(node.args[0], ast.BinOp)


def _writes(node: ast.Call, names: Names) -> bool:
    mode = node.args[1] if len(node.args) > 1 else None
    for kw in node.keywords:
        mode = kw.value if kw.arg == "mode" else mode
    text = names.fold(mode) if mode is not None else None
    return bool(text) and any(c in text for c in "wax")  # type: ignore[operator]


def _reverses_text(node: ast.Subscript, parent: ast.AST, names: Names) -> bool:
    """`'lave'[::-1]`, a name holding a literal, or a reversal handed straight to exec: a
    cipher. Reversing a list or a line somewhere in a long function is not one."""
    if names.fold(node.value) is not None or isinstance(node.value, ast.Constant):
        return True
    return isinstance(parent, ast.Call) and names.qualname(parent.func) in vocab.EXEC_SINKS


def _built_up(name: ast.expr | None, text: str | None) -> str:
    """' built-up' for a name folded from pieces ('ex' + 'ec', 'cexe'[::-1]), not written out."""
    return " built-up" if text is not None and not isinstance(name, ast.Constant) else ""


def _subscript(node: ast.Subscript, parent: ast.AST, names: Names) -> Iterator[Fact]:
    if is_reverse_slice(node) and _reverses_text(node, parent, names):
        yield Fact("decode", node, "[::-1]")
    owner = node.value
    key = names.fold(node.slice)
    if isinstance(owner, ast.Attribute) and owner.attr == "__dict__":
        if (names.qualname(owner.value) or "") in BUILTIN_HOLDERS:
            yield Fact(
                "trick", node, f"__builtins__.__dict__[{key!r}]" + _built_up(node.slice, key)
            )
    elif key == "__builtins__" and isinstance(owner, ast.Call):
        yield Fact("trick", node, "globals()['__builtins__']")


def _joined_path(node: ast.expr, names: Names) -> Iterator[Fact]:
    """A credential named across pieces: os.path.join(home, '.ssh', 'id_rsa')."""
    path = names.path(node)
    cred = vocab.CREDENTIAL_PATH.search(path) if path else None
    if cred:
        yield Fact("cred", node, cred.group(0))


def _address(node: ast.Call, names: Names) -> Iterator[Fact]:
    """s.connect((ip, port)) with a literal public IP: a server to reach, no URL around it."""
    address = node.args[0]
    if not isinstance(address, ast.Tuple) or not address.elts:
        return
    host = names.fold(address.elts[0])
    if host is not None and public_ip(host):
        yield Fact("shady", node, f"tcp://{host}")


def _string(node: ast.AST, text: str) -> Iterator[Fact]:
    cred = vocab.CREDENTIAL_PATH.search(text)
    # A path has no line breaks: a script or template that mentions one reads nothing.
    if cred and "\n" not in text.strip():
        yield Fact("cred", node, cred.group(0))
    if "\n" not in text and vocab.PERSISTENCE_PATH.search(text):
        yield Fact("persist", node, text[:120])
    if "\n" not in text and vocab.BROWSER_EXTENSION.search(text):
        yield Fact("persist", node, "a browser's command line, to load an extension")
    if ("select" in text or "SELECT" in text or "_value" in text) and vocab.BROWSER_SQL.search(
        text
    ):
        yield Fact("cred", node, "a browser's saved passwords or cookies")
    if "{" in text and vocab.TOKEN_PATTERN.search(text):
        yield Fact("cred", node, "Discord session tokens")
    if "://" in text and vocab.INSTANCE_METADATA.search(text):
        yield Fact("imds", node, "the cloud instance metadata service")
    if "://" in text:
        for url in vocab.URL.findall(text):
            if shady_url(url):
                yield Fact("shady", node, url)
    if len(text) >= LONG_STRING:
        yield Fact("blob", node, f"{len(text)} characters")


LONG_STRING = 2000


def shady_url(url: str) -> bool:
    """A webhook with its token, a paste/tunnel/interaction host, an IP lookup service or a
    public IP literal."""
    if vocab.WEBHOOK.search(url):
        return True
    host = host_of(url)
    return vocab.SHADY_HOST.match(host) is not None or _weak_host(host)


def weak_receiver(url: str) -> bool:
    """A raw public IP or an IP lookup service: suspicious where code runs on its own, common in
    tools that run only when asked (an internal server, a VPN checking its address)."""
    return _weak_host(host_of(url))


def _weak_host(host: str) -> bool:
    return vocab.IP_LOOKUP_HOST.match(host) is not None or public_ip(host)


def host_of(url: str) -> str:
    host = url.split("://", 1)[1].split("/", 1)[0].split("@")[-1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host.strip("[]")


def public_ip(host: str) -> bool:
    """A literal IP address on the internet, other than the well-known public resolvers."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_global and str(ip) not in PUBLIC_RESOLVERS


PUBLIC_RESOLVERS = frozenset({"1.0.0.1", "1.1.1.1", "8.8.4.4", "8.8.8.8", "9.9.9.9"})


Classifier = Callable[[Any, ast.AST, Names], Iterator[Fact]]
CLASSIFIERS: dict[type, Classifier] = {
    ast.Call: _call,
    ast.Attribute: _name_use,
    ast.Name: _name_use,
    ast.Constant: _constant,
    ast.Subscript: _subscript,
    ast.BinOp: _binop,
    ast.JoinedStr: _formatted,
}
