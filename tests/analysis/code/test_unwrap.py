"""The unwrapper: what an expression of literals stands for, computed without running it."""

from __future__ import annotations

import ast
import base64
import bz2
import codecs
import gzip
import lzma
import zlib

import pytest

from analysis.code import unwrap
from analysis.code.names import Names
from analysis.code.unwrap import Function, Ref, Unwrapper, Value

TEXT = "import os\nos.system('echo hi')\n"
B64 = base64.b64encode(TEXT.encode()).decode()
ZB64 = base64.b64encode(zlib.compress(TEXT.encode())).decode()
HEX = TEXT.encode().hex()


def unwrapper(prelude: str) -> Unwrapper:
    """An unwrapper that knows the prelude's imports and module-level assignments."""
    tree = ast.parse(prelude)
    names = Names()
    names.learn(tree.body)
    found = Unwrapper(names)
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value = found.value(node.value)
            if value is not None:
                found.env[node.targets[0].id] = value
    return found


def value_of(prelude: str, expression: str) -> Value | None:
    return unwrapper(prelude).value(ast.parse(expression, mode="eval").body)


VALUES: list[tuple[str, str, Value | None, str]] = [
    # ---- literals and names
    ("", "'abc'", "abc", "a string literal"),
    ("", "10 ** 30", None, "an integer past any character code"),
    ("", "1.5", None, "a float is no text"),
    ("x = 'ab'", "x + 'c'", "abc", "a module-level name"),
    ("", "undefined_name", None, "a name nothing assigned"),
    ("import base64 as b", "b", Ref("base64"), "an import alias"),
    ("", "__builtins__", Ref("__builtins__"), "the builtins holder"),
    ("", "os.path", None, "an attribute of an unknown owner"),
    ("", "(1, 'a')", (1, "a"), "a tuple"),
    ("", "[1, unknown]", None, "a list with an unknown item"),
    ("", "[" + "0," * (unwrap.MAX_ITEMS + 1) + "]", None, "a list too long to be text"),
    # ---- text built from pieces
    ("", "'cexe'[::-1]", "exec", "a reversal"),
    ("", "'exec'[1:3]", "xe", "a slice"),
    ("", "'exec'[:n]", None, "a slice by an unknown bound"),
    ("", "'exec'[::0]", None, "a zero step"),
    ("", "'exec'[-1]", "c", "an index"),
    ("", "'exec'[9]", None, "an index out of range"),
    ("", "x[0]", None, "an index into an unknown"),
    ("", "b'ab' + b'c'", b"abc", "bytes joined"),
    ("", "'a' + b'c'", None, "text and bytes do not add"),
    ("", "'a' * 3", None, "repetition is not read"),
    ("", "'a' + " * 500 + "'b'", "a" * 500 + "b", "a long chain of pieces is read in a loop"),
    ("", "1 + 2 + 3", 6, "a chain of numbers"),
    ("", "'a' + 1 + 'b'", None, "a chain that mixes text and numbers"),
    ("", "-" * (unwrap.MAX_DEPTH + 1) + "1", None, "nested past the depth the stack allows"),
    ("", "-5 + ~2 + +1", -7, "unary operators"),
    ("", "-'a'", None, "a unary operator on text"),
    ("", "not 1", 1, "other unary operators leave the operand"),
    ("", "(7 << 2) | 1", 29, "shifts and bit operators"),
    ("", "1 << 100", None, "a shift past 64 bits"),
    ("", "5 // 0", None, "a division by zero"),
    ("", "5 / 2", None, "true division gives no character code"),
    ("", "2 ** 70", None, "a result past 64 bits"),
    ("", "chr(101) + chr(0x78)", "ex", "chr of numbers"),
    ("", "chr(-1)", None, "chr of no character"),
    ("", "''.join(map(chr, [101, 120]))", "ex", "join of map(chr, ...)"),
    ("", "''.join(map(chr, [-1]))", None, "map(chr) of no character"),
    ("", "''.join(map(ord, 'ab'))", None, "map of another function"),
    ("", "''.join(chr(c ^ 1) for c in [100, 121])", "ex", "a comprehension over a literal"),
    ("", "''.join([chr(c) for c in b'ex'])", "ex", "a list comprehension over bytes"),
    ("", "''.join(chr(c) for c in x)", None, "a comprehension over an unknown"),
    ("", "''.join(chr(c) for c in [1, x])", None, "an unknown item"),
    ("", "''.join(chr(c) for c in [1, -1])", None, "an item with no value"),
    (
        "",
        f"''.join(c for c in '{'a' * (unwrap.MAX_ITEMS + 1)}')",
        None,
        "a comprehension too long to compute",
    ),
    ("", "''.join(c for c in 'ab' if c)", None, "a comprehension with a condition"),
    ("", "''.join(c for a, c in 'ab')", None, "a comprehension with a tuple target"),
    ("", "''.join([1, 2])", None, "a join of numbers"),
    ("", "''.join(x)", None, "a join of an unknown"),
    ("", "b''.join([b'a'])", None, "a join on bytes is not read"),
    ("", "'a-b'.replace('-', '')", "ab", "replace"),
    ("", "'a-b'.replace('-')", None, "replace without its second argument"),
    ("", "'abc'.upper()", None, "methods the unwrapper does not know"),
    ("", "'ab'.encode()", b"ab", "encode to UTF-8"),
    ("", "'ab'.encode('no-such-codec')", None, "an unknown codec"),
    ("", "'ab'.encode(1)", None, "a codec that is no text"),
    ("", "b'ab'.decode()", "ab", "decode from UTF-8"),
    ("", "b'\\xff'.decode('ascii')", None, "bytes that are not ASCII"),
    ("", "'ab'.decode('utf-8')", None, "Python 2's str.decode of text"),
    ("", f"'{B64}'.decode('base64')", TEXT.encode(), "Python 2's str.decode('base64')"),
    ("", "'ab'.decode('quoted-printable')", None, "a codec that hides nothing"),
    ("", "'uryyb'.encode('rot13')", "hello", "rot13 as an encoding"),
    ("", "str('a')", "a", "str() of text"),
    ("", "str(1)", None, "str() of a number is not read"),
    ("", "str(eval)[-2]", "l", "str() of a builtin function"),
    ("", "str(int)", "<class 'int'>", "str() of a builtin type"),
    ("", "oct.__str__()[-3]", "c", "a builtin's own __str__"),
    ("", "repr(license)[:4]", "Type", "the site module's printers"),
    ("", "'ab'.__str__()", "ab", "__str__ of text"),
    ("import os", "str(os)", None, "str() of a module is not known"),
    ("", "bytes([101, 120])", b"ex", "bytes of numbers"),
    ("", "bytes([300])", None, "bytes of no byte"),
    ("", "bytes('ex', 'ascii')", b"ex", "bytes of text"),
    ("", "bytearray(b'ex')", b"ex", "bytearray of bytes"),
    ("", "bytes(3)", None, "bytes of a size"),
    ("", "bytes('\u00e9', 'ascii')", None, "text the codec cannot write"),
    ("", "b'a'.decode(1)", None, "a codec that is no text"),
    # ---- decoders
    ("import base64", f"base64.b64decode('{B64}')", TEXT.encode(), "base64"),
    (
        "import base64, zlib",
        f"zlib.decompress(base64.b64decode('{ZB64}'))",
        TEXT.encode(),
        "zlib inside base64",
    ),
    ("import binascii", f"binascii.unhexlify('{HEX}')", TEXT.encode(), "hex"),
    ("", f"bytes.fromhex('{HEX}')", TEXT.encode(), "bytes.fromhex"),
    ("import base64", f"base64.b16decode('{HEX}')", TEXT.encode(), "base16 in small letters"),
    ("import base64", "base64.b64decode('abc')", None, "no base64"),
    ("import base64", "base64.b64decode(x)", None, "an unknown argument"),
    ("import base64", "base64.b64decode()", None, "no argument"),
    ("import gzip", f"gzip.decompress({gzip.compress(TEXT.encode())!r})", TEXT.encode(), "gzip"),
    ("import lzma", f"lzma.decompress({lzma.compress(TEXT.encode())!r})", TEXT.encode(), "xz"),
    ("import bz2", f"bz2.decompress({bz2.compress(TEXT.encode())!r})", TEXT.encode(), "bz2"),
    (
        "import bz2",
        f"bz2.decompress({bz2.compress(TEXT.encode())[:20]!r})",
        None,
        "a truncated stream",
    ),
    (
        "import zlib",
        f"zlib.decompress({zlib.compress(bytes(9 << 20))!r})",
        None,
        "a bomb past the output cap",
    ),
    (
        "import codecs",
        f"codecs.decode({codecs.encode(TEXT, 'rot13')!r}, 'rot13')",
        TEXT,
        "codecs.decode with rot13",
    ),
    ("import codecs", f"codecs.decode(b'{HEX}', 'hex')", TEXT.encode(), "codecs.decode with hex"),
    ("import codecs", "codecs.decode(x, 'rot13')", None, "codecs.decode of an unknown"),
    ("", "b'a'.decode('rot13')", None, "rot13 of bytes"),
    # ---- builtins and modules reached by name
    ("", "getattr(__builtins__, 'ex' + 'ec')", Ref("exec"), "a builtin by a built-up name"),
    ("", "getattr(__builtins__, 'no_such')", None, "no such builtin"),
    ("", "getattr(__import__('os'), 'sys' + 'tem')", Ref("os.system"), "a module's function"),
    ("", "getattr(x, 'system')", None, "getattr on an unknown"),
    ("", "__import__('ba' + 'se64').b64decode", Ref("base64.b64decode"), "__import__"),
    ("", "__import__(x)", None, "__import__ of an unknown"),
    ("", "eval('exec')", Ref("exec"), "eval fetching a builtin by name"),
    ("", "eval('1 + 1')", None, "eval of an expression is not run"),
    ("", "__builtins__.exec", Ref("exec"), "an attribute of the builtins holder"),
    ("", "len('abc')", None, "builtins the unwrapper does not compute"),
    ("", "x.y('a')", None, "a call of an unknown"),
    ("", "f'{x}'", None, "an f-string"),
    # ---- the module's own helpers
    ("d = lambda s: s[::-1]", "d('cexe')", "exec", "a lambda"),
    ("d = lambda s: s[::-1]", "d('a', 'b')", None, "a lambda called with too many arguments"),
    ("d = lambda s: s[::-1]", "d(x)", None, "a lambda given an unknown"),
    ("d = lambda s: s[::-1]", "d(s='x')", None, "a lambda given keywords"),
    ("d = lambda *s: s", "d('x')", None, "a lambda with *args"),
    ("", "(lambda s: s + 'ec')('ex')", "exec", "a lambda called in place"),
    ("s = 'kept'\nd = lambda s: s", "d('x') + s", "xkept", "a parameter hides a name, then not"),
    ("f = lambda s: f(s)", "f('x')", None, "a helper that calls itself stops"),
]


@pytest.mark.parametrize(
    ("prelude", "expression", "expected", "reason"), VALUES, ids=[v[3] for v in VALUES]
)
def test_values(prelude: str, expression: str, expected: Value | None, reason: str) -> None:
    assert value_of(prelude, expression) == expected, reason


def test_steps_name_the_decoders_innermost_first() -> None:
    found = unwrapper("import base64, zlib")
    found.value(ast.parse(f"zlib.decompress(base64.b64decode('{ZB64}'))", mode="eval").body)
    assert found.steps == ["b64decode", "decompress"]
    found.reset()
    assert found.steps == []


def test_the_budget_stops_decoding() -> None:
    found = unwrapper("import base64")
    found.budget = 0
    assert found.value(ast.parse(f"base64.b64decode('{B64}')", mode="eval").body) is None


def test_a_lambda_with_defaults_is_unknown() -> None:
    assert value_of("", "lambda s='a': s") is None
    assert isinstance(value_of("", "lambda s: s"), Function)


def test_reference_of_a_name_bound_to_text_is_unknown() -> None:
    found = unwrapper("x = 'exec'")
    assert found.reference(ast.Name("x")) is None
    assert found.reference(ast.parse("getattr(x, 'y')", mode="eval").body) is None
    assert found.reference(ast.parse("len(x)", mode="eval").body) is None


def test_a_printer_and_an_unknown_name_have_no_text() -> None:
    assert Ref("credits").text() == unwrap.PRINTERS["credits"]
    assert Ref("os.system").text() is None
