"""The code checks' public helpers where they are the natural unit: name folding, fact kinds,
the byte prefilter and the entropy measure."""

from __future__ import annotations

import ast

import pytest

from analysis.code.facts import collect
from analysis.code.hits import Reach
from analysis.code.names import Names
from analysis.code.text import worth_parsing
from analysis.code.threats import entropy

NAMES = [
    ("x = 'ev' + 'al'", "x", "fold", "eval", "a module-level string built from literals"),
    ("obj.x = 'eval'", "x", "fold", None, "an attribute target teaches no name"),
    ("", "'lave'[::-1]", "fold", "eval", "a reversed literal"),
    ("", "unknown[::-1]", "fold", None, "a reversed unknown"),
    ("", "f'exec'", "fold", "exec", "an f-string without placeholders"),
    ("", "f'ex{c}'", "fold", None, "an f-string with a placeholder is not known"),
    ("import os", "getattr(os, 'sys' + 'tem')", "qualname", "os.system", "getattr with a folded name"),
    ("import os", "getattr(os, name)", "qualname", "getattr()", "getattr with a variable name"),
    ("", "getattr(__builtins__, 'eval')", "qualname", "builtins.eval", "builtins holder"),
    ("", "__import__('subprocess')", "qualname", "subprocess", "__import__ of a literal"),
    ("import os", "os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa')", "path", "{}/.ssh/id_rsa",
     "os.path.join pieces, unknown ones as {}"),
    ("from pathlib import Path", "Path.home() / '.ssh' / 'id_rsa'", "path", "{}/.ssh/id_rsa",
     "pathlib's / nests"),
    ("", "base.joinpath('.aws', 'credentials')", "path", "{}/.aws/credentials", "Path.joinpath"),
    ("", "total / count", "path", None, "a division by something that is not text is arithmetic"),
    ("", "len(x)", "path", None, "a call that joins nothing"),
    ("", "'a' + 'b'", "path", None, "an expression that is no call and no division"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "expression", "method", "expected", "reason"), NAMES, ids=[n[4] for n in NAMES]
)
def test_names(
    source: str, expression: str, method: str, expected: str | None, reason: str
) -> None:
    names = Names()
    names.learn(ast.parse(source).body)
    node = ast.parse(expression, mode="eval").body
    assert getattr(names, method)(node) == expected, reason


FACTS = [
    ("open('out.bin', mode='wb')\n", "write", True, "a write mode given by keyword"),
    ("open('out.bin', 'ab')\n", "write", True, "an append mode given by position"),
    ("open('in.bin', 'rb')\n", "write", False, "a read mode"),
    ("open('in.txt')\n", "write", False, "no mode: read"),
    ("import os\nv = os.environ['HOME']\n", "env", True, "reading one variable"),
    ("import os\nos.environ['PIP_NO_CACHE_DIR'] = '1'\n", "env", False, "setting one is not reading"),
    ("import os\nok = 'CI' in os.environ\n", "env-all", False, "a membership test takes nothing"),
    ("import os\nos.environ.setdefault('A', '1')\n", "env-all", False, "setdefault takes nothing"),
    ("import os\nd = os.environ.copy()\n", "env-all", True, "copy() takes everything"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "kind", "present", "reason"), FACTS, ids=[f[3] for f in FACTS])
def test_fact_kinds(source: str, kind: str, present: bool, reason: str) -> None:
    names = Names()
    tree = ast.parse(source)
    names.learn(tree.body)
    assert (kind in collect(tree, names)[0].kinds()) is present, reason


FAR = b"x = 1\n" * 700  # more than NEAR bytes between two anchors
PREFILTER = [
    (b"exec(x)\n" + FAR + b"y = base64.b64decode(z)\n", False, "exec and decode far apart"),
    (b"exec(base64.b64decode(z))\n", True, "exec next to decode"),
    ((b"exec(x)\n" + FAR) * 51 + b"exec(base64.b64decode(z))\n", False,
     "the prefilter stops after 50 far-apart anchors of one word: bounded time"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "expected", "reason"), PREFILTER, ids=[p[2] for p in PREFILTER])
def test_worth_parsing_at_runtime(data: bytes, expected: bool, reason: str) -> None:
    assert worth_parsing(data, Reach.RUNTIME) is expected, reason


ENTROPY = [
    ("", 0.0, "empty text has no entropy"),
    ("aaaa", 0.0, "one symbol"),
    ("abab", 1.0, "two equally frequent symbols: one bit"),
    ("abcdefgh", 3.0, "eight distinct symbols: three bits"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "bits", "reason"), ENTROPY, ids=[e[2] for e in ENTROPY])
def test_entropy(text: str, bits: float, reason: str) -> None:
    assert entropy(text) == pytest.approx(bits), reason
