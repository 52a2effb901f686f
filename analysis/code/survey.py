"""One walk over a parsed module, finding the techniques of obfuscation: escaped text, builtins
reached by computed names, generated identifiers, text spelled in numbers, XOR ciphers, exec
bound to generated names, encoded and marshal layers, and literals that unwrap to Python."""

from __future__ import annotations

import ast
import base64
import binascii
import itertools
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analysis.code import unwrap
from analysis.code.facts import children as node_children
from analysis.code.names import BUILTIN_HOLDERS, Names

ESCAPED = "escaped-text"  # printable text spelled in \x, octal or \u escapes
COMPUTED = "computed-builtins"  # a builtin reached by a computed name
NOISE = "noise-names"  # generated identifiers: ____, IlIlIl, O0O0O0, _0x1f2e, random CJK
NUMBERS = "spelled-numbers"  # text built from lists of character codes
CIPHER = "xor-cipher"  # chr(ord(c) ^ key): text decrypted character by character
ALIAS = "sink-alias"  # exec, eval, compile or __import__ bound to a generated name
LAYER = "encoded-layer"  # a literal run through base64, hex, zlib, ... to data
MARSHAL = "marshal"  # a code object loaded from marshal data shipped as a literal
HIDDEN = "hidden-code"  # a literal whose layers unwrap to Python source
BINARY = "hidden-executable"  # a literal that is a native program in base64 or hex

SINKS = frozenset({"__import__", "compile", "eval", "exec", "execfile"})
SINK_NAMES = frozenset(SINKS | {f"builtins.{s}" for s in SINKS})
MAX_PARSE = 4 * 1024 * 1024  # bigger .py files are generated tables: line regexes read them
MIN_LAYER = 32  # decoded bytes: shorter results are keys and names
MIN_PAYLOAD = 128  # decoded bytes that are not code: shorter ones are keys, hashes, salts


@dataclass(frozen=True, slots=True)
class Found:
    """One use of a technique."""

    technique: str
    node: ast.AST
    automatic: bool  # in code that runs on its own
    revealed: str | None = None  # the text it spells, when known
    hides_sink: bool = False  # the text is exec's name, or code


@dataclass(frozen=True, slots=True)
class Layer:
    """A literal that unwraps to Python source."""

    node: ast.AST
    tree: ast.Module
    source: bytes
    steps: tuple[str, ...]
    automatic: bool


class Survey:
    """Walk one module once. A def's body runs on its own when the module's statements call
    it by name, or when the whole file runs (setup.py); the rest runs when called."""

    def __init__(
        self, tree: ast.Module, data: bytes, names: Names, whole: bool, top_calls: frozenset[str]
    ) -> None:
        self.tree = tree
        self.names = names
        self.whole = whole
        self.top_calls = top_calls
        self.unwrapper = unwrap.Unwrapper(names)
        self.lines = data.splitlines()
        self.escape_lines = escape_lines(data)
        self.found: list[Found] = []
        self.layers: list[Layer] = []
        self.payload_sinks: list[bool] = []  # sinks given a technique's output: automatic?
        self._names_seen: set[str] = set()
        self._consumed: set[int] = set()  # calls an outer unwrapping has already read
        self._flows: list[Flow] = []  # assignments and exec calls, with what flows into them
        self._flow = -1  # the one the node being visited sits in

    def run(self) -> None:
        # (node, runs on its own, at module level, the flow it sits in)
        stack: list[tuple[ast.AST, bool, bool, int]] = [(self.tree, True, True, -1)]
        while stack:
            node, automatic, top, outer = stack.pop()
            self._flow = outer
            kind = type(node)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                name = node.name  # type: ignore[attr-defined]
                self._identifier(name, node, automatic)
                if top:
                    self._helper(node)  # type: ignore[arg-type]
                automatic, top = self.whole or name in self.top_calls, False
            else:
                visit = VISITS.get(kind)
                if visit is not None:
                    visit(self, node, automatic, top)
            children = node_children(node)
            if kind is ast.Call and self._flow != outer:
                # a sink's arguments flow into it; its callee does not (getattr(...)(x))
                stack.append((node.func, automatic, top, outer))  # type: ignore[attr-defined]
                children = children[1:]
            flow = self._flow
            stack.extend((child, automatic, top, flow) for child in reversed(children))
        self._find_payloads()

    def add(
        self,
        technique: str,
        node: ast.AST,
        automatic: bool,
        revealed: str | None = None,
        hides_sink: bool = False,
        payload: bool = True,
    ) -> None:
        """Count one use; unless it yields no `payload` (a key), what it sits in is tainted."""
        if self._flow >= 0 and payload:
            self._flows[self._flow].marked = True
        self.found.append(Found(technique, node, automatic, revealed, hides_sink))

    def _enter(self, targets: list[str] | None, automatic: bool) -> None:
        """Start a flow: what the node's children hold flows into `targets` (None: exec)."""
        self._flows.append(Flow(targets, automatic))
        self._flow = len(self._flows) - 1

    # ---- identifiers

    def _identifier(self, name: str, node: ast.AST, automatic: bool) -> None:
        if name not in self._names_seen:
            self._names_seen.add(name)
            if noise(name):
                self.add(NOISE, node, automatic)

    def _name(self, node: ast.Name, automatic: bool, top: bool) -> None:
        self._identifier(node.id, node, automatic)
        if self._flow >= 0:
            self._flows[self._flow].uses.add(node.id)

    def _arg(self, node: ast.arg, automatic: bool, top: bool) -> None:
        self._identifier(node.arg, node, automatic)

    # ---- literals

    def _constant(self, node: ast.Constant, automatic: bool, top: bool) -> None:
        value = node.value
        if isinstance(value, str | bytes) and len(value) >= MIN_PROGRAM and encoded_program(value):
            self.add(BINARY, node, automatic)
        if not isinstance(value, str | bytes) or len(value) < 3 or not self.escape_lines:
            return
        if node.lineno not in self.escape_lines and node.end_lineno not in self.escape_lines:
            return
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if not _printable(text):
            return  # binary data written as escapes, as repr() writes it
        escaped = len(ESCAPES.findall(self._source(node)))
        if escaped >= 3 and escaped * 2 >= len(text):
            self.add(ESCAPED, node, automatic, text, _names_sink(text))

    def _source(self, node: ast.Constant) -> bytes:
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        if first == last:
            return self.lines[first][node.col_offset : node.end_col_offset]
        return b"\n".join(self.lines[first : last + 1])

    # ---- calls

    def _call(self, node: ast.Call, automatic: bool, top: bool) -> None:
        callee = self.unwrapper.reference(node.func)
        qualname = callee.name if isinstance(callee, unwrap.Ref) else self.names.qualname(node.func)
        qualname = qualname or ""
        if id(node) not in self._consumed:
            self._technique(node, callee, qualname, automatic)
        if qualname in SINK_NAMES:
            self._enter(None, automatic)  # after the call's own technique: that is no payload

    def _technique(
        self,
        node: ast.Call,
        callee: unwrap.Ref | unwrap.Function | None,
        qualname: str,
        automatic: bool,
    ) -> None:
        if _computed_name(node, qualname, self.names):
            self._computed(node, automatic)
        elif qualname == "marshal.loads" and node.args:
            self._marshal(node, automatic)
        elif _numbers_join(node):
            self._spelled(node, automatic)
        elif qualname == "chr" and _xor_of_ord(node):
            self.add(CIPHER, node, automatic)
        elif qualname in unwrap.DECODERS or _codec_call(node, qualname) or self._decodes(callee):
            self._layer(node, automatic)

    def _computed(self, node: ast.Call, automatic: bool) -> None:
        """Only a name the literals decide: __import__(prefix + name) is how plugins load."""
        self.unwrapper.reset()
        value = self.unwrapper.value(node)
        if isinstance(value, unwrap.Ref):
            self.add(COMPUTED, node, automatic, value.name, value.name in SINKS)

    def _marshal(self, node: ast.Call, automatic: bool) -> None:
        self.unwrapper.reset()
        data = self.unwrapper.value(node.args[0])
        if isinstance(data, bytes) and len(data) >= MIN_LAYER:
            self._consume(node)
            steps = " + ".join([*self.unwrapper.steps, "marshal"])
            # a code object is only ever loaded to be run
            self.add(MARSHAL, node, automatic, steps, hides_sink=True)

    def _spelled(self, node: ast.Call, automatic: bool) -> None:
        self.unwrapper.reset()
        text = self.unwrapper.value(node)
        text = text if isinstance(text, str) else None
        self.add(NUMBERS, node, automatic, text, text is not None and _names_sink(text))

    def _layer(self, node: ast.Call, automatic: bool) -> None:
        self.unwrapper.reset()
        value = self.unwrapper.value(node)
        if not isinstance(value, str | bytes) or len(value) < MIN_LAYER:
            return
        self._consume(node)
        steps = tuple(dict.fromkeys(self.unwrapper.steps))
        tree = python_source(value)
        if tree is None:
            program = isinstance(value, bytes) and program_magic(value)
            # a decoded key or digest flows into the decryption of a file, not into exec
            payload = program or len(value) >= MIN_PAYLOAD
            self.add(
                BINARY if program else LAYER, node, automatic, " + ".join(steps), payload=payload
            )
            return
        self.add(HIDDEN, node, automatic, " + ".join(steps))
        source = value.encode() if isinstance(value, str) else value
        self.layers.append(Layer(node, tree, source, steps, automatic))

    def _decodes(self, callee: unwrap.Ref | unwrap.Function | None) -> bool:
        """A helper of the module's own whose body decodes: b64 = lambda s: b64decode(s)."""
        if not isinstance(callee, unwrap.Function):
            return False
        for node in ast.walk(callee.body):
            if isinstance(node, ast.Call):
                found = self.unwrapper.reference(node.func)
                if isinstance(found, unwrap.Ref) and found.name in unwrap.DECODERS:
                    return True
        return False

    def _consume(self, node: ast.AST) -> None:
        self._consumed.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Call))

    # ---- assignments: what the unwrapper learns, aliases, and where outputs flow

    def _helper(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """def b64(s): return b64decode(s): a one-line helper the unwrapper can apply."""
        body = [s for s in node.body if not isinstance(s, ast.Expr)]
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
            function = self.unwrapper.value(ast.Lambda(args=node.args, body=body[0].value))
            if function is not None:
                self.unwrapper.env[node.name] = function

    def _assign(self, node: ast.Assign, automatic: bool, top: bool) -> None:
        """Module-level names teach the unwrapper; exec bound to a generated name, or in a
        tuple of builtins (a, b, c = __import__, getattr, exec), is an alias that hides it."""
        self._enter(
            [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)], automatic
        )
        bound = [(name, self.unwrapper.value(value)) for name, value in _pairs(node)]
        refs = sum(isinstance(value, unwrap.Ref) for _, value in bound)
        for name, value in bound:
            if value is not None and (top or isinstance(value, str | bytes)):
                self.unwrapper.env[name] = value
            if isinstance(value, unwrap.Ref) and value.name in SINKS and (noise(name) or refs >= 2):
                self.add(ALIAS, node, automatic, f"{name} = {value.name}", hides_sink=True)

    def _augassign(self, node: ast.AugAssign, automatic: bool, top: bool) -> None:
        if isinstance(node.target, ast.Name):
            self._enter([node.target.id], automatic)

    def _find_payloads(self) -> None:
        """exec(x) where x holds what a technique produced: the payload itself is hidden."""
        tainted: set[str] = set()
        assigns = [f for f in self._flows if f.targets is not None]
        for _ in range(2):
            for flow in assigns:
                if flow.marked or flow.uses & tainted:
                    tainted.update(flow.targets or ())
        for flow in self._flows:
            if flow.targets is None and (flow.marked or flow.uses & tainted):
                self.payload_sinks.append(flow.automatic)


@dataclass(slots=True)
class Flow:
    """An assignment (its targets) or an exec call (no targets), and what its parts hold."""

    targets: list[str] | None
    automatic: bool
    marked: bool = False  # a technique's output sits inside
    uses: set[str] = field(default_factory=set)  # names read inside


Visit = Callable[[Survey, Any, bool, bool], None]
VISITS: dict[type, Visit] = {
    ast.Name: Survey._name,
    ast.arg: Survey._arg,
    ast.Constant: Survey._constant,
    ast.Call: Survey._call,
    ast.Assign: Survey._assign,
    ast.AugAssign: Survey._augassign,
}

# An escape that spells a printable ASCII character: \x41, \101, \u0041.
ESCAPE = rb"\\(?:x[2-7][0-9a-fA-F]|0[4-7][0-7]|1[0-7][0-7]|u00[2-7][0-9a-fA-F])"
ESCAPE_RUN = re.compile(ESCAPE + rb"(?:" + ESCAPE + rb"){2,}")  # a backslash first: fast
ESCAPES = re.compile(ESCAPE)
NOISE_ASCII = re.compile(r"_{4,}|_*[Il][Il1_]{5,}|_*[Oo][O0o_]{5,}|_0x[0-9a-fA-F]{4,}")
CODE = re.compile(r"\b(?:exec|eval|compile|__import__)\s*\(|^\s*(?:import|from)\s+\w", re.M)
COMPUTABLE = (ast.BinOp, ast.Call, ast.Subscript, ast.JoinedStr)


def spelled_in_escapes(data: bytes) -> bool:
    """Some run of escapes spells letters other than hex digits. C-style escaping (protobuf's
    serialized descriptors) escapes the hex digits that follow a hex escape, nothing else."""
    for count, match in enumerate(ESCAPE_RUN.finditer(data)):
        if count >= MAX_RUNS:
            break
        text = match.group().decode("unicode_escape")
        if not all(c in string.hexdigits for c in text):
            return True
    return False


MAX_RUNS = 64  # runs looked at: binary data written in escapes has thousands


def escape_lines(data: bytes) -> set[int]:
    """Lines where a run of escapes spells printable text; empty for most files."""
    lines: set[int] = set()
    if b"\\" not in data:
        return lines
    line, counted = 1, 0
    for match in ESCAPE_RUN.finditer(data):
        line += data.count(b"\n", counted, match.start())
        counted = match.start()
        lines.add(line)
    return lines


def noise(name: str) -> bool:
    """A generated identifier: underscores only, I/l/1 or O/0 mixes, _0x hex, one letter in
    both cases (aAAaAaaA), a long run of random mixed case, or a long non-ASCII name that
    repeats its characters (random picks from a small alphabet)."""
    if not name.isascii():
        return len(name) >= 8 and len(set(name)) * 5 <= len(name) * 4
    if NOISE_ASCII.fullmatch(name):
        return True
    core = name.strip("_")
    if len(core) >= 8 and len(set(core.lower())) == 1:
        return True
    return len(core) >= 20 and core.isalnum() and _random_case(core)


def _random_case(word: str) -> bool:
    """Capitals in pairs and after small letters, each at a quarter of the places or so:
    random letters. camelCase has single capitals, acronyms have no small letters around."""
    pairs = sum(a.isupper() and b.isupper() for a, b in itertools.pairwise(word))
    rises = sum(a.islower() and b.isupper() for a, b in itertools.pairwise(word))
    return pairs * 100 >= len(word) * 15 and rises * 100 >= len(word) * 15


def _printable(text: str) -> bool:
    shown = sum(1 for c in text if " " <= c <= "~" or c in "\n\r\t")
    return shown * 10 >= len(text) * 9


def _names_sink(text: str) -> bool:
    """Text that is exec's name, or code that calls it."""
    return text.strip() in SINKS or CODE.search(text) is not None


def _computed_name(node: ast.Call, qualname: str, names: Names) -> bool:
    """A builtin looked up by a name the code computes: getattr(__builtins__, <expression>),
    __import__(<expression>), or eval('exec') (eval fetching a builtin by its name). A plain
    variable or literal name is how compat and plugin code look builtins up."""
    args = node.args
    if qualname == "getattr" and len(args) >= 2:
        return names.qualname(args[0]) in BUILTIN_HOLDERS and isinstance(args[1], COMPUTABLE)
    if qualname == "__import__" and args:
        return isinstance(args[0], COMPUTABLE)
    if qualname == "eval" and args and isinstance(args[0], ast.Constant):
        return isinstance(args[0].value, str) and args[0].value.strip() in unwrap.BUILTIN_NAMES
    return False


def _pairs(node: ast.Assign) -> list[tuple[str, ast.expr]]:
    """(name, value) for `x = v` and `a, b = v, w`; big data literals are not read."""
    pairs: list[tuple[str, ast.expr]] = []
    value = node.value
    for target in node.targets:
        if isinstance(target, ast.Name) and not isinstance(value, DATA):
            pairs.append((target.id, value))
        elif _same_length(target, value):
            pairs += [
                (t.id, v)
                for t, v in zip(target.elts, value.elts, strict=True)  # type: ignore[attr-defined]
                if isinstance(t, ast.Name) and not isinstance(v, DATA)
            ]
    return pairs


def _same_length(target: ast.expr, value: ast.expr) -> bool:
    both = isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
    return both and len(target.elts) == len(value.elts)  # type: ignore[attr-defined]


DATA = (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


def _numbers_join(node: ast.Call) -> bool:
    """''.join(map(chr, [...])) or ''.join(chr(c) for c in [...]): text spelled in numbers."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "join" and node.args):
        return False
    inner = node.args[0]
    items: ast.AST | None = None
    if isinstance(inner, ast.Call) and len(inner.args) == 2:
        items = inner.args[1]
    elif isinstance(inner, ast.GeneratorExp | ast.ListComp):
        items = inner.generators[0].iter
    return (
        isinstance(items, ast.List | ast.Tuple)
        and len(items.elts) >= 3
        and all(isinstance(e, ast.Constant | ast.BinOp | ast.UnaryOp) for e in items.elts)
    )


def _xor_of_ord(node: ast.Call) -> bool:
    """chr(ord(c) ^ k): a character decrypted with a key."""
    inside = [n for arg in node.args for n in ast.walk(arg)]
    xor = any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitXor) for n in inside)
    return xor and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "ord"
        for n in inside
    )


def _codec_call(node: ast.Call, qualname: str) -> bool:
    """codecs.decode(x, 'rot13') and Python 2's x.decode('base64')."""
    if qualname == "codecs.decode":
        return True
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "decode" and node.args:
        codec = node.args[0]
        return isinstance(codec, ast.Constant) and codec.value in unwrap.CODECS
    return False


MIN_PROGRAM = 1024  # characters: the smallest real program is bigger


def encoded_program(value: str | bytes) -> bool:
    """A literal that is a native program (PE, ELF, Mach-O) spelled in base64 or hex."""
    head = value[:400].encode("latin-1", "replace") if isinstance(value, str) else value[:400]
    head = b"".join(head.split())
    for decode in (base64.b64decode, binascii.unhexlify):
        try:
            if program_magic(decode(head[: len(head) // 4 * 4])):
                return True
        except ValueError:  # binascii.Error is a ValueError
            continue
    return False


def program_magic(data: bytes) -> bool:
    if data.startswith(b"MZ"):
        return b"This program" in data[:300] or b"PE\0\0" in data[:1024]
    return data.startswith((b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"))


def python_source(value: str | bytes) -> ast.Module | None:
    """The parse tree of decoded text that is Python code (statements that do something)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if len(value) > MAX_PARSE or not CODE_HINT.search(value, 0, 4096):
        return None
    try:
        tree = ast.parse(value)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    doing = [s for s in tree.body if not isinstance(s, ast.Expr) or isinstance(s.value, ast.Call)]
    return tree if doing else None


CODE_HINT = re.compile(r"\bimport\b|\bdef\b|\bexec\b|\beval\b|\w\(|=")
