"""Resolve what a name in parsed code refers to: import aliases, dynamic imports, folded strings."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

IMPORTERS = frozenset({"__import__", "importlib.import_module"})
BUILTIN_HOLDERS = frozenset({"__builtins__", "builtins"})
PATH_JOINS = frozenset(
    {
        "ntpath.join",
        "os.path.join",
        "pathlib.Path",
        "pathlib.PosixPath",
        "pathlib.PurePath",
        "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath",
        "pathlib.WindowsPath",
        "posixpath.join",
    }
)
UNKNOWN = "{}"  # a part of a built-up text that literals do not tell


class Names:
    """Local name -> dotted name it stands for, learned from imports and plain aliases."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.modules: set[str] = set()  # local names bound by `import x` / `import x as y`
        self.strings: dict[str, str] = {}  # module-level NAME = "literal"
        # The scope being read: its local names bound to a network object (s = socket.socket()).
        self.local: dict[str, str] = {}
        self.local_strings: dict[str, str] = {}  # and its NAME = "literal" so far

    def learn(self, body: Iterable[ast.stmt]) -> None:
        """Learn imports anywhere, and `x = os.system` style aliases at module level only (a
        function's locals may mean different things in different functions)."""
        body = list(body)
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                self._assign(node.targets[0], node.value)
        # `run = exec` inside a module-level try or if is as much the module's alias
        blocks = [n for n in body if isinstance(n, BLOCK_STATEMENTS)]
        for node in statements(blocks, defs=False):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.value, ast.Name | ast.Attribute)
            ):
                self._assign(node.targets[0], node.value)
        for node in statements(body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.aliases[local] = alias.name if alias.asname else local
                    self.modules.add(local)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _assign(self, target: ast.expr, value: ast.expr) -> None:
        if not isinstance(target, ast.Name):
            return
        text = self.fold(value)
        if text is not None:
            self.strings[target.id] = text
            return
        if isinstance(value, ast.Name | ast.Attribute | ast.Call):
            resolved = self.qualname(value)
            if resolved and resolved != target.id and not resolved.endswith("()"):
                self.aliases.setdefault(target.id, resolved)

    def qualname(self, node: ast.expr) -> str | None:
        """'base64.b64decode' for `b.b64decode` after `import base64 as b`, else None."""
        if isinstance(node, ast.Name):
            return self.local.get(node.id) or self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            return self._call_qualname(node)
        return None

    def _call_qualname(self, node: ast.Call) -> str | None:
        func = self.qualname(node.func)
        first = self.fold(node.args[0]) if node.args else None
        if func in IMPORTERS and first:
            return first  # __import__('os') is the module os
        if func == "getattr" and len(node.args) >= 2:
            owner = self.qualname(node.args[0])
            attr = self.fold(node.args[1])
            if owner and attr:
                return "builtins." + attr if owner in BUILTIN_HOLDERS else f"{owner}.{attr}"
        return f"{func}()" if func else None  # requests.Session().post

    def fold(self, node: ast.expr) -> str | None:
        """The text of a string built only from literals ('ev' + 'al', 'lave'[::-1])."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.local_strings.get(node.id, self.strings.get(node.id))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.fold(node.left), self.fold(node.right)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.Subscript) and _is_reverse(node.slice):
            inner = self.fold(node.value)
            return inner[::-1] if inner is not None else None
        if isinstance(node, ast.FormattedValue) and node.format_spec is None:
            return self.fold(node.value)
        if isinstance(node, ast.JoinedStr):
            parts = [self.fold(v) for v in node.values]
            return "".join(p for p in parts if p is not None) if None not in parts else None
        if isinstance(node, ast.Call):
            return self._fold_call(node)
        return None

    def _fold_call(self, node: ast.Call) -> str | None:
        """Text spelled in character codes: chr(47), ''.join([chr(c) for c in [47, 101]]),
        ''.join(map(chr, [...])), and ''.join of folded pieces."""
        func, args = node.func, node.args
        if isinstance(func, ast.Name) and func.id == "chr" and len(args) == 1:
            return _char(args[0])
        if not (isinstance(func, ast.Attribute) and func.attr == "join" and len(args) == 1):
            return None
        separator = self.fold(func.value)
        pieces = self._pieces(args[0])
        if separator is None or pieces is None:
            return None
        return separator.join(pieces) if None not in pieces else None  # type: ignore[arg-type]

    def _pieces(self, node: ast.expr) -> list[str | None] | None:
        """The texts an iterable given to str.join yields, when literals tell them all."""
        if isinstance(node, ast.List | ast.Tuple) and len(node.elts) <= MAX_PIECES:
            return [self.fold(e) for e in node.elts]
        if isinstance(node, ast.ListComp | ast.GeneratorExp) and len(node.generators) == 1:
            loop = node.generators[0]
            codes = _codes(loop.iter)
            return [_code_char(c) for c in codes] if _chr_of(node.elt, loop) and codes else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "map"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "chr"
        ):
            codes = _codes(node.args[1])
            return [_code_char(c) for c in codes] if codes else None
        return None

    def path_pieces(self, node: ast.expr) -> list[ast.expr] | None:
        """The parts a path expression joins: os.path.join(a, b), Path(a, b), a.joinpath(b), or
        a / 'b' (a division only when its right side is text); None for anything else."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return [node.left, node.right] if self.fold(node.right) is not None else None
        if not isinstance(node, ast.Call):
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
            return [node.func.value, *node.args]
        return list(node.args) if self.qualname(node.func) in PATH_JOINS else None

    def path(self, node: ast.expr) -> str | None:
        """'{}/.ssh/id_rsa' for os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa'): the
        pieces a path is joined from, unknown ones as {}; None when `node` joins nothing."""
        pieces = self.path_pieces(node)
        if pieces is None:
            return None
        return "/".join(self.path(p) or self.fold(p) or UNKNOWN for p in pieces)


MAX_PIECES = 4096  # items of a literal joined into text; longer lists are data, not a name


def _codes(node: ast.expr) -> list[int] | None:
    """The integers of a literal list or tuple of character codes."""
    if not isinstance(node, ast.List | ast.Tuple) or len(node.elts) > MAX_PIECES:
        return None
    codes = [e.value for e in node.elts if isinstance(e, ast.Constant) and type(e.value) is int]
    return codes if len(codes) == len(node.elts) else None


def _chr_of(element: ast.expr, loop: ast.comprehension) -> bool:
    """`chr(c) for c in ...`: the element is chr of the loop's own name, nothing filtered."""
    return (
        isinstance(element, ast.Call)
        and isinstance(element.func, ast.Name)
        and element.func.id == "chr"
        and len(element.args) == 1
        and isinstance(element.args[0], ast.Name)
        and isinstance(loop.target, ast.Name)
        and element.args[0].id == loop.target.id
        and not loop.ifs
    )


def _code_char(code: int) -> str | None:
    return chr(code) if 0 <= code < 0x110000 else None


def _char(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return _code_char(node.value)
    return None


DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
BLOCK_STATEMENTS = (ast.If, ast.Try, ast.With, ast.For, ast.While, ast.Match, ast.TryStar)


def statements(body: Iterable[ast.stmt], defs: bool = True) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, in source order; expressions are not entered
    (an import is a statement, and a module has ten times more expression nodes). Not `defs`:
    the bodies of functions and classes are not entered either."""
    stack = list(reversed(list(body)))
    while stack:
        node = stack.pop()
        yield node
        if not defs and isinstance(node, DEFS):
            continue
        inner: list[ast.stmt] = []
        for name in BLOCKS:
            block = getattr(node, name, None)
            if block:
                inner += block
        for handler in getattr(node, "handlers", ()) or getattr(node, "cases", ()):
            inner += handler.body
        stack.extend(reversed(inner))


BLOCKS = ("body", "orelse", "finalbody")


def _is_reverse(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Slice)
        and node.lower is None
        and node.upper is None
        and isinstance(node.step, ast.UnaryOp)
        and isinstance(node.step.op, ast.USub)
    )


def is_reverse_slice(node: ast.AST) -> bool:
    """`x[::-1]`: the poor man's string cipher."""
    return isinstance(node, ast.Subscript) and _is_reverse(node.slice)
