"""Compute what an obfuscated expression of literals stands for, without running it: base64,
hex, zlib, lzma, bz2, gzip and rot13 layers, reversals, chr(), and modules and builtins reached
by computed names. Output is capped (a decompression bomb costs nothing); marshal and pickle data
are never loaded (hostile marshal data can crash the interpreter): they stay unknown."""

from __future__ import annotations

import ast
import base64
import binascii
import builtins
import bz2
import codecs
import lzma
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analysis.code.names import BUILTIN_HOLDERS, Names

MAX_TEXT = 8 * 1024 * 1024  # bytes one value may hold: past it, unknown
MAX_ITEMS = 100_000  # elements of a list literal worth reading
MAX_INT = 1 << 64  # integers past it are no character codes or indexes: unknown
MAX_CALLS = 8  # nested calls of the module's own helper functions
MAX_DEPTH = 120  # nested expressions computed: deeper ones stay unknown, the stack is safe
BUILTIN_NAMES = frozenset(dir(builtins))
# str() of the site module's printers: only their opening words, which do not change
PRINTERS = {
    "copyright": "Copyright (c) 2001-",
    "credits": "    Thanks to CWI, CNRI, BeOpen",
    "license": "Type license() to see the full license text",
}


@dataclass(frozen=True, slots=True)
class Ref:
    """A module, builtin or function reached by name, however the name is spelled:
    getattr(__builtins__, 'c' + 'hr') is Ref('chr'), __import__('zlib').decompress is
    Ref('zlib.decompress')."""

    name: str

    def text(self) -> str | None:
        """What str() of a builtin gives, as far as code can rely on it."""
        if self.name in PRINTERS:
            return PRINTERS[self.name]
        if self.name not in BUILTIN_NAMES:
            return None
        kind = isinstance(getattr(builtins, self.name), type)
        return f"<class '{self.name}'>" if kind else f"<built-in function {self.name}>"


@dataclass(frozen=True, slots=True)
class Function:
    """A module-level lambda or one-line def: `b64 = lambda s: b64decode(s).decode()`."""

    params: tuple[str, ...]
    body: ast.expr


Value = str | bytes | int | Ref | Function | tuple["Value", ...]
Decoder = Callable[[bytes], bytes]


class Unwrapper:
    """Values of expressions in one module. `env` holds what module-level names were assigned;
    `steps` collects the decoders applied since the last `reset`, innermost first."""

    def __init__(self, names: Names, budget: int = 2 * MAX_TEXT) -> None:
        self.names = names
        self.env: dict[str, Value] = {}
        self.budget = budget  # decoded bytes left for this module
        self.steps: list[str] = []
        self.calls = 0
        self.depth = 0  # nested values being computed

    def reset(self) -> None:
        self.steps = []

    def value(self, node: ast.AST) -> Value | None:
        """The value of `node`, or None when literals do not decide it (or nest too deep)."""
        handler = HANDLERS.get(type(node))
        if handler is None or self.depth >= MAX_DEPTH:
            return None
        self.depth += 1
        try:
            return handler(self, node)
        finally:
            self.depth -= 1

    def reference(self, node: ast.AST) -> Ref | Function | None:
        """What a callee names, without computing anything costly on the way."""
        if isinstance(node, ast.Name):
            known = self.env.get(node.id)
            if known is not None:
                return known if isinstance(known, Ref | Function) else None
            if node.id in self.names.aliases:
                return Ref(self.names.aliases[node.id])
            return Ref(node.id) if node.id in BUILTIN_NAMES or node.id in BUILTIN_HOLDERS else None
        if isinstance(node, ast.Attribute):
            owner = self.reference(node.value)
            if not isinstance(owner, Ref):
                return None
            return Ref(node.attr if owner.name in BUILTIN_HOLDERS else f"{owner.name}.{node.attr}")
        if isinstance(node, ast.Call):
            callee = self.reference(node.func)
            if isinstance(callee, Ref) and callee.name in REFERRERS:
                found = self._call(node)
                return found if isinstance(found, Ref) else None
        return None

    def _constant(self, node: ast.Constant) -> Value | None:
        value = node.value
        if isinstance(value, str | bytes) and len(value) <= MAX_TEXT:
            return value
        return value if type(value) is int and abs(value) < MAX_INT else None

    def _name(self, node: ast.Name) -> Value | None:
        known = self.env.get(node.id)
        return known if known is not None else self.reference(node)

    def _lambda(self, node: ast.Lambda) -> Value | None:
        arguments = node.args
        if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.defaults:
            return None
        return Function(tuple(a.arg for a in arguments.posonlyargs + arguments.args), node.body)

    def _sequence(self, node: ast.List | ast.Tuple) -> Value | None:
        if len(node.elts) > MAX_ITEMS:
            return None
        items = []
        for element in node.elts:
            item = self.value(element)
            if item is None:
                return None
            items.append(item)
        return tuple(items)

    def _comprehension(self, node: ast.GeneratorExp | ast.ListComp) -> Value | None:
        """(chr(c ^ 7) for c in [...]): the element computed for each item of a literal."""
        loop = node.generators[0]
        if len(node.generators) > 1 or loop.ifs or not isinstance(loop.target, ast.Name):
            return None
        items = self.value(loop.iter)
        if not isinstance(items, tuple | str | bytes) or len(items) > MAX_ITEMS:
            return None
        out: list[Value] = []
        restore = self._bound({loop.target.id: 0})
        for item in items:
            self.env[loop.target.id] = item
            value = self.value(node.elt)
            if value is None:
                break
            out.append(value)
        restore()
        return tuple(out) if len(out) == len(items) else None

    def _bound(self, values: dict[str, Value]) -> Callable[[], None]:
        """Bind `values` in env; the returned function restores what they hid."""
        saved = {name: self.env.get(name) for name in values}
        self.env.update(values)

        def restore() -> None:
            for name, old in saved.items():
                if old is None:
                    self.env.pop(name, None)
                else:
                    self.env[name] = old

        return restore

    def _unary(self, node: ast.UnaryOp) -> Value | None:
        operand = self.value(node.operand)
        if type(operand) is not int:
            return None
        if isinstance(node.op, ast.USub):
            return -operand
        return ~operand if isinstance(node.op, ast.Invert) else operand

    def _binop(self, node: ast.BinOp) -> Value | None:
        if isinstance(node.op, ast.Add):
            return self._sum(node)
        left, right = self.value(node.left), self.value(node.right)
        return _arithmetic(node.op, left, right) if type(left) is type(right) is int else None

    def _sum(self, node: ast.BinOp) -> Value | None:
        """a + b + c + ...: obfuscators chain hundreds of pieces, nested one level a piece,
        so the chain is read in a loop."""
        parts: list[ast.expr] = []
        left: ast.expr = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
            parts.append(left.right)
            left = left.left
        total = self.value(left)
        for part in reversed(parts):
            total = _added(total, self.value(part))
            if total is None:
                return None
        return total

    def _subscript(self, node: ast.Subscript) -> Value | None:
        owner = self.value(node.value)
        if not isinstance(owner, str | bytes | tuple):
            return None
        if isinstance(node.slice, ast.Slice):
            parts = (node.slice.lower, node.slice.upper, node.slice.step)
            bounds = [self.value(b) if b is not None else None for b in parts]
            given = [b for b, part in zip(bounds, parts, strict=True) if part is not None]
            if any(type(b) is not int for b in given) or bounds[2] == 0:
                return None
            return owner[slice(*bounds)]  # type: ignore[arg-type]
        index = self.value(node.slice)
        if type(index) is not int or not -len(owner) <= index < len(owner):
            return None
        return owner[index]

    def _call(self, node: ast.Call) -> Value | None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in METHODS:
            owner = self.value(func.value)
            # a module's function is no method: codecs.decode(x, 'rot13')
            if isinstance(owner, str | bytes) or (isinstance(owner, Ref) and func.attr in SHOWN):
                return METHODS[func.attr](self, owner, [self.value(a) for a in node.args])
        callee = self.reference(func) if not isinstance(func, ast.Lambda) else self.value(func)
        if isinstance(callee, Function):
            return self._apply(callee, node)
        if not isinstance(callee, Ref):
            return None
        decoder = DECODERS.get(callee.name)
        if decoder is not None and node.args:
            step = callee.name.rsplit(".", 1)[-1]
            return self._decoded(step, decoder, self.value(node.args[0]))
        builtin = BUILTINS.get(callee.name)
        return builtin(self, node, [self.value(a) for a in node.args]) if builtin else None

    def _apply(self, function: Function, node: ast.Call) -> Value | None:
        """A call of the module's own helper, its parameters bound to the arguments."""
        args = [self.value(a) for a in node.args]
        if len(args) != len(function.params) or node.keywords or self.calls >= MAX_CALLS:
            return None
        if any(a is None for a in args):
            return None
        self.calls += 1
        restore = self._bound(dict(zip(function.params, args, strict=True)))  # type: ignore[arg-type]
        try:
            return self.value(function.body)
        finally:
            restore()
            self.calls -= 1

    def _decoded(self, step: str, decoder: Decoder, data: Value | None) -> Value | None:
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
        if not isinstance(data, bytes) or self.budget <= 0:
            return None
        try:
            out = decoder(data)
        except (ValueError, TypeError, zlib.error, lzma.LZMAError, OSError, EOFError):
            return None  # binascii.Error is a ValueError
        self.budget -= len(out)
        self.steps.append(step)
        return out

    def codec(self, owner: Value, codec: str) -> Value | None:
        """Codecs that hide text: base64, hex, zlib, bz2, rot13 (Python 2's str.decode too)."""
        codec = codec.lower().replace("-", "_")
        if codec in {"rot13", "rot_13"} and isinstance(owner, str):
            self.steps.append("rot13")
            return codecs.decode(owner, "rot13")
        decoder = CODECS.get(codec)
        return self._decoded(codec, decoder, owner) if decoder is not None else None


def _added(left: Value | None, right: Value | None) -> Value | None:
    if type(left) is int and type(right) is int:
        return _arithmetic(ast.Add(), left, right)
    if isinstance(left, str | bytes) and type(left) is type(right):
        joined = left + right  # type: ignore[operator]
        return joined if len(joined) <= MAX_TEXT else None
    return None


def _arithmetic(op: ast.operator, left: int, right: int) -> int | None:
    if isinstance(op, ast.LShift | ast.RShift | ast.Pow) and not 0 <= right <= 64:
        return None
    if isinstance(op, ast.FloorDiv | ast.Mod) and right == 0:
        return None
    function = ARITHMETIC.get(type(op))
    result = function(left, right) if function is not None else None
    return result if result is not None and abs(result) < MAX_INT else None


ARITHMETIC: dict[type, Callable[[int, int], int]] = {
    ast.Add: int.__add__,
    ast.Sub: int.__sub__,
    ast.Mult: int.__mul__,
    ast.FloorDiv: int.__floordiv__,
    ast.Mod: int.__mod__,
    ast.LShift: int.__lshift__,
    ast.RShift: int.__rshift__,
    ast.BitOr: int.__or__,
    ast.BitAnd: int.__and__,
    ast.BitXor: int.__xor__,
    ast.Pow: int.__pow__,
}


# ---- builtins and methods the unwrapper computes

Args = list[Value | None]


def _two(args: Args) -> tuple[Value | None, Value | None]:
    """The first two arguments, None for those not given."""
    first = args[0] if args else None
    return first, args[1] if len(args) > 1 else None


def _getattr(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    owner, name = _two(args)
    if not isinstance(owner, Ref) or not isinstance(name, str):
        return None
    if owner.name in BUILTIN_HOLDERS:
        return Ref(name) if name in BUILTIN_NAMES else None
    return Ref(f"{owner.name}.{name}")


def _import(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    return Ref(args[0]) if args and isinstance(args[0], str) else None


def _eval(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    """eval('exec'): a builtin fetched by its name; any other expression stays unknown."""
    name = args[0].strip() if args and isinstance(args[0], str) else ""
    return Ref(name) if name in BUILTIN_NAMES else None


def _chr(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    code = args[0] if args else None
    return chr(code) if type(code) is int and 0 <= code < 0x110000 else None


def _str(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    first = args[0] if len(args) == 1 else None
    return first.text() if isinstance(first, Ref) else first if isinstance(first, str) else None


def _bytes(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    data, codec = _two(args)
    if isinstance(data, str) and isinstance(codec, str):
        return _encode(data, codec)
    if isinstance(data, tuple) and all(type(i) is int and 0 <= i < 256 for i in data):
        return bytes(data)  # type: ignore[arg-type]
    return data if isinstance(data, bytes) else None


def _map(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    """map(chr, [...]) as the tuple it yields, for ''.join to read."""
    function, items = _two(args)
    if function != Ref("chr") or not isinstance(items, tuple):
        return None
    if not all(type(i) is int and 0 <= i < 0x110000 for i in items):
        return None
    return tuple(chr(i) for i in items)  # type: ignore[arg-type]


def _codecs_decode(self: Unwrapper, node: ast.Call, args: Args) -> Value | None:
    owner, codec = _two(args)
    return _decode(self, owner, [codec]) if isinstance(owner, str | bytes) else None


Builtin = Callable[[Unwrapper, ast.Call, Args], Value | None]
BUILTINS: dict[str, Builtin] = {
    "getattr": _getattr,
    "__import__": _import,
    "importlib.import_module": _import,
    "eval": _eval,
    "chr": _chr,
    "str": _str,
    "repr": _str,
    "bytes": _bytes,
    "bytearray": _bytes,
    "map": _map,
    "codecs.decode": _codecs_decode,
}


def _encode(text: str, codec: str) -> bytes | None:
    try:
        return text.encode(codec)
    except (LookupError, UnicodeError):
        return None


def _decode(self: Unwrapper, owner: Value, args: Args) -> Value | None:
    codec = args[0] if args else "utf-8"
    if not isinstance(owner, bytes | str) or not isinstance(codec, str):
        return None
    if codec.lower().replace("-", "_") in TEXT_CODECS:
        if isinstance(owner, str):
            return None
        try:
            return owner.decode(codec)
        except (LookupError, UnicodeError):
            return None
    return self.codec(owner, codec)


def _method_encode(self: Unwrapper, owner: Value, args: Args) -> Value | None:
    codec = args[0] if args else "utf-8"
    if not isinstance(owner, str) or not isinstance(codec, str):
        return None
    if codec.lower().replace("-", "_") in TEXT_CODECS:
        return _encode(owner, codec)
    return self.codec(owner, codec)


def _method_join(self: Unwrapper, owner: Value, args: Args) -> Value | None:
    items = args[0] if args else None
    if not isinstance(owner, str) or not isinstance(items, tuple):
        return None
    if not all(isinstance(i, str) for i in items):
        return None
    joined = owner.join(items)  # type: ignore[arg-type]
    return joined if len(joined) <= MAX_TEXT else None


def _method_str(self: Unwrapper, owner: Value, args: Args) -> Value | None:
    return owner.text() if isinstance(owner, Ref) else owner if isinstance(owner, str) else None


def _method_replace(self: Unwrapper, owner: Value, args: Args) -> Value | None:
    if len(args) != 2 or not isinstance(owner, str) or not all(isinstance(a, str) for a in args):
        return None
    replaced = owner.replace(*args)  # type: ignore[arg-type]
    return replaced if len(replaced) <= MAX_TEXT else None


Method = Callable[[Unwrapper, Value, Args], Value | None]
METHODS: dict[str, Method] = {
    "decode": _decode,
    "encode": _method_encode,
    "join": _method_join,
    "__str__": _method_str,
    "__repr__": _method_str,
    "replace": _method_replace,
}
SHOWN = frozenset({"__str__", "__repr__"})  # the methods of a builtin the unwrapper reads
REFERRERS = frozenset({"__import__", "eval", "getattr", "importlib.import_module"})
TEXT_CODECS = frozenset({"ascii", "iso_8859_1", "latin1", "latin_1", "utf8", "utf_16", "utf_8"})


# ---- decoders, each capped at MAX_TEXT of output


def _inflate(data: bytes, wbits: int = zlib.MAX_WBITS) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(data, MAX_TEXT)
    if inflater.unconsumed_tail:
        raise ValueError("over the output cap: a bomb, or nothing worth reading")
    return out


def _stream(decompressor: lzma.LZMADecompressor | bz2.BZ2Decompressor, data: bytes) -> bytes:
    out = decompressor.decompress(data, max_length=MAX_TEXT)
    if not decompressor.eof:
        raise ValueError("truncated, or over the output cap")
    return out


def _unhex(data: bytes) -> bytes:
    return binascii.unhexlify(b"".join(data.split()))


def _b16(data: bytes) -> bytes:
    return base64.b16decode(data, casefold=True)


def _gunzip(data: bytes) -> bytes:
    return _inflate(data, 47)  # 32 + 15: a zlib or gzip header


def _unxz(data: bytes) -> bytes:
    return _stream(lzma.LZMADecompressor(), data)


def _bunzip(data: bytes) -> bytes:
    return _stream(bz2.BZ2Decompressor(), data)


BASE64 = (
    "base64.b64decode",
    "base64.standard_b64decode",
    "base64.decodebytes",
    "base64.decodestring",
    "binascii.a2b_base64",
)
HEX = ("binascii.unhexlify", "binascii.a2b_hex", "bytes.fromhex", "bytearray.fromhex")
DECODERS: dict[str, Decoder] = {
    **dict.fromkeys(BASE64, base64.b64decode),
    **dict.fromkeys(HEX, _unhex),
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": _b16,
    "base64.b85decode": base64.b85decode,
    "base64.a85decode": base64.a85decode,
    "zlib.decompress": _inflate,
    "gzip.decompress": _gunzip,
    "lzma.decompress": _unxz,
    "bz2.decompress": _bunzip,
}
CODECS: dict[str, Decoder] = {
    "base64": base64.b64decode,
    "base_64": base64.b64decode,
    "hex": _unhex,
    "zlib": _inflate,
    "bz2": _bunzip,
}

Handler = Callable[[Unwrapper, Any], Value | None]
HANDLERS: dict[type, Handler] = {
    ast.Constant: Unwrapper._constant,
    ast.Name: Unwrapper._name,
    ast.Attribute: Unwrapper.reference,
    ast.Lambda: Unwrapper._lambda,
    ast.List: Unwrapper._sequence,
    ast.Tuple: Unwrapper._sequence,
    ast.UnaryOp: Unwrapper._unary,
    ast.BinOp: Unwrapper._binop,
    ast.Subscript: Unwrapper._subscript,
    ast.Call: Unwrapper._call,
    ast.GeneratorExp: Unwrapper._comprehension,
    ast.ListComp: Unwrapper._comprehension,
}
