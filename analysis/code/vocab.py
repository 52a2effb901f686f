"""The words code checks look for: qualified call names, sensitive paths, shady hosts, commands."""

from __future__ import annotations

import re

# Calls whose result is code to run: the sinks of decode->exec and download->exec.
EXEC_SINKS = frozenset(
    {
        "__import__",
        "builtins.__import__",
        "builtins.compile",
        "builtins.eval",
        "builtins.exec",
        "compile",
        "eval",
        "exec",
        "execfile",
        "importlib.import_module",
        "runpy.run_path",
        "types.CodeType",
        "types.FunctionType",
    }
)

# Calls that turn an opaque literal into something else: the sources of decode->exec.
DECODERS = frozenset(
    {
        "base64.a85decode",
        "base64.b16decode",
        "base64.b32decode",
        "base64.b64decode",
        "base64.b85decode",
        "base64.decodebytes",
        "base64.decodestring",
        "base64.standard_b64decode",
        "base64.urlsafe_b64decode",
        "binascii.a2b_base64",
        "binascii.a2b_hex",
        "binascii.unhexlify",
        "bytearray.fromhex",
        "bytes.fromhex",
        "bz2.decompress",
        "codecs.decode",
        "dill.loads",
        "gzip.decompress",
        "lzma.decompress",
        "marshal.loads",
        "pickle.loads",
        "zlib.decompress",
    }
)
DECODE_METHODS = frozenset({"decrypt", "fromhex"})  # Fernet(key).decrypt(...), x.fromhex(...)
# Python 2's str.decode('base64') and friends, still seen in copied payloads.
DECODE_CODECS = frozenset({"base64", "base_64", "bz2", "hex", "rot13", "rot_13", "uu", "zlib"})

SPAWNS = frozenset(
    {
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "commands.getoutput",
        "os.execl",
        "os.execle",
        "os.execlp",
        "os.execv",
        "os.execve",
        "os.execvp",
        "os.execvpe",
        "os.popen",
        "os.posix_spawn",
        "os.posix_spawnp",
        "os.spawnl",
        "os.spawnlp",
        "os.spawnv",
        "os.spawnvp",
        "os.startfile",
        "os.system",
        "popen2.popen2",
        "pty.spawn",
        "subprocess.Popen",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "subprocess.run",
    }
)

# Network modules; a call into one of them counts as a send unless its leaf is a pure helper.
NET_MODULES = frozenset(
    {
        "aiohttp",
        "dhooks",
        "discord_webhook",
        "dns",
        "ftplib",
        "http",
        "httplib",
        "httpx",
        "paramiko",
        "pycurl",
        "requests",
        "smtplib",
        "socket",
        "telebot",
        "telnetlib",
        "urllib",
        "urllib2",
        "urllib3",
        "websocket",
        "websockets",
    }
)
# Helpers of network modules that parse, name or configure, and send nothing themselves...
NET_HELPERS = (
    frozenset(
        {
            "AF_INET",
            "AF_INET6",
            "BasicAuth",
            "ClientTimeout",
            "ConnectionError",
            "HTTPError",
            "HTTPException",
            "HTTPStatus",
            "Headers",
            "RequestException",
            "Response",
            "Retry",
            "SOCK_DGRAM",
            "SOCK_STREAM",
            "TCPConnector",
            "Timeout",
            "URLError",
            "adapters",
            "auth",
            "client",
            "codes",
            "compat",
            "cookiejar",
            "cookies",
            "error",
            "exceptions",
            "gaierror",
            "getdefaulttimeout",
            "getfqdn",
            "gethostname",
            "getproxies",
            "getproxies_environment",
            "has_ipv6",
            "herror",
            "hooks",
            "htons",
            "inet_aton",
            "inet_ntoa",
            "ntohs",
            "packages",
            "parse",
            "pathname2url",
            "proxy_bypass",
            "proxy_bypass_environment",
            "quote",
            "quote_plus",
            "response",
            "responses",
            "robotparser",
            "server",
            "setdefaulttimeout",
            "splittype",
            "status_codes",
            "structures",
            "timeout",
            "unquote",
            "url2pathname",
            "urlencode",
            "urljoin",
            "urlparse",
            "urlsplit",
            "urlunparse",
            "utils",
        }
    )
    # ...and reading an answer, or configuring a client, sends nothing
    | frozenset(
        {
            "AutoAddPolicy",
            "ECDSAKey",
            "Ed25519Key",
            "ProxyCommand",
            "RSAKey",
            "RejectPolicy",
            "SSHConfig",
            "close",
            "content",
            "from_private_key_file",
            "getcode",
            "getheader",
            "getheaders",
            "iter_content",
            "iter_lines",
            "json",
            "load_host_keys",
            "load_system_host_keys",
            "raise_for_status",
            "read",
            "readline",
            "readlines",
            "set_missing_host_key_policy",
            "text",
        }
    )
)
# Any call named like these fetches a URL into a file (urlretrieve under any module path).
DOWNLOAD_LEAVES = frozenset({"urlretrieve"})
DOWNLOADS = frozenset(
    {
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "httpx.get",
        "requests.Session",
        "requests.get",
        "requests.request",
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "urllib.urlopen",
        "urllib.urlretrieve",
        "urllib2.urlopen",
        "wget.download",
    }
)

HOST_INFO = frozenset(
    {
        "getpass.getuser",
        "os.getlogin",
        "os.uname",
        "platform.node",
        "platform.platform",
        "platform.uname",
        "socket.getfqdn",
        "socket.gethostname",
        "uuid.getnode",
    }
)
# A reverse shell puts a socket on the standard streams before it starts the shell.
STREAM_REDIRECTS = frozenset({"os.dup2"})
# Calls whose first argument is a (host, port) address to reach.
CONNECTS = frozenset({"connect", "connect_ex", "create_connection"})
ENV_GETTERS = frozenset({"os.environ.get", "os.environb.get", "os.getenv", "os.getenvb"})
ENV_WHOLE = frozenset({"os.environ", "os.environb"})
CHMODS = frozenset({"os.chmod", "os.fchmod", "pathlib.Path.chmod"})
EXEC_NAMES = frozenset({"__import__", "compile", "eval", "exec", "execfile", "popen", "system"})

# Files worth stealing: keys, cloud and registry tokens, browser and wallet stores.
# Places whose contents run by themselves later: shell start-up files, the Windows Startup folder
# and Run keys, autostart entries, cron and launch agents. Writing one where code runs on its own
# is how a payload outlives the install.
PERSISTENCE_PATH = re.compile(
    r"(?:^|[/\\~])\.(?:bashrc|bash_profile|zshrc|zprofile|profile|bash_login)$"
    r"|Start Menu[/\\]Programs[/\\]Startup|CurrentVersion[/\\]+Run(?:Once)?\b"
    r"|\.config[/\\]autostart|/etc/cron|/var/spool/cron|LaunchAgents|LaunchDaemons"
    r"|/etc/rc\.local|/etc/profile\.d|systemd[/\\]system[/\\]",
    re.IGNORECASE,
)
# A browser started with an extension from disk: what hijacks its shortcuts to keep a
# clipboard or wallet stealer running.
BROWSER_EXTENSION = re.compile(r"--load-extension\b", re.IGNORECASE)
CREDENTIAL_PATH = re.compile(
    r"\.ssh[/\\]|id_rsa|id_ed25519|id_ecdsa|\.aws[/\\]credentials|\.docker[/\\]config\.json"
    r"|\.npmrc|\.pypirc|\.git-credentials|\.netrc|\.kube[/\\]config|gcloud[/\\]credentials"
    r"|application_default_credentials|Login Data|Local State|Web Data|[/\\]Cookies\b"
    r"|Local Storage[/\\]leveldb|discord(?:canary|ptb)?[/\\]|Exodus[/\\]|Electrum[/\\]wallets"
    r"|atomic[/\\]Local Storage|nkbihfbeogaeaoehlefnkodbefgpgknn|wallet\.dat|keystore[/\\]"
    r"|/etc/passwd|/etc/shadow|\.bash_history|\.zsh_history|Telegram Desktop[/\\]tdata"
    r"|\.config[/\\]gh[/\\]hosts\.yml|\.azure[/\\]|\.vault-token"
    # browser and app stores that stealers go for: Firefox's logins and keys, game launchers'
    # session tokens, Steam and FileZilla logins, the Roblox session cookie
    r"|logins\.json|key[34]\.db|cookies\.sqlite|(?:launcher|microsoft)_accounts\.json"
    r"|\.lunarclient|loginusers\.vdf|[/\\]ssfn|recentservers\.xml|sitemanager\.xml"
    r"|\.ROBLOSECURITY",
    re.IGNORECASE,
)
# The pattern token grabbers match Discord's session tokens with, written as a regex literal.
TOKEN_PATTERN = re.compile(
    r"\{2[3-6](?:,\d*)?\}\\\.\S{0,12}\{6(?:,\d*)?\}\\\.\S{0,12}\{\d{2,3}(?:,\d*)?\}|mfa\\\.\S{0,12}\{84\}"
)
# SQL that reads saved passwords and cookies out of a browser's databases.
BROWSER_SQL = re.compile(
    r"\bselect\b.*\bfrom\s+(?:logins|cookies|moz_cookies|moz_logins|credit_cards)\b"
    r"|password_value|encrypted_value",
    re.IGNORECASE | re.DOTALL,
)
# Calls whose result is a secret of the user's: browser passwords unwrapped with the user's key.
SECRET_CALLS = frozenset({"win32crypt.CryptUnprotectData"})
# Keyboard hooks: every key the user types.
KEY_HOOKS = frozenset(
    {
        "ctypes.windll.user32.GetAsyncKeyState",
        "keyboard.hook",
        "keyboard.on_press",
        "keyboard.read_key",
        "pynput.keyboard.Listener",
        "win32api.GetAsyncKeyState",
    }
)
# What the user sees and copies: worth stealing, and also what automation tools read.
SPY_CALLS = frozenset(
    {
        "ImageGrab.grab",
        "PIL.ImageGrab.grab",
        "mss.mss",
        "pyautogui.screenshot",
        "pyperclip.paste",
        "pyscreenshot.grab",
        "win32clipboard.GetClipboardData",
    }
)

# The cloud instance metadata service hands out the machine's credentials to whoever asks.
INSTANCE_METADATA = re.compile(
    r"://(?:169\.254\.169\.254|\[?fd00:ec2::254\]?|metadata\.google\.internal|100\.100\.100\.200)"
    r"[:/]",
    re.IGNORECASE,
)

# Hosts that only serve to receive stolen data, host a payload or hide a server.
SHADY_HOSTS = (
    "ngrok.io",
    "ngrok-free.app",
    "ngrok.app",
    "ngrok.dev",
    "trycloudflare.com",
    "serveo.net",
    "loca.lt",
    "localtunnel.me",
    "localhost.run",
    "bore.pub",
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "rentry.co",
    "transfer.sh",
    "anonfiles.com",
    "file.io",
    "catbox.moe",
    "0x0.st",
    "termbin.com",
    "webhook.site",
    "pipedream.net",
    "interact.sh",
    "oast.fun",
    "oast.live",
    "oast.me",
    "oast.online",
    "oast.pro",
    "oast.site",
    "burpcollaborator.net",
    "dnslog.cn",
    "ceye.io",
    "canarytokens.com",
    "workers.dev",
    "oastify.com",
    "requestrepo.com",
    "hookbin.com",
    "beeceptor.com",
    "requestcatcher.com",
    "mockbin.org",
)
SHADY_HOST_FAMILIES = ("ghostbin", "requestbin")  # under any top-level domain
# Services that tell a machine its public IP address: host reconnaissance at install time, but
# also what VPN and network tools ask when the user runs them.
IP_LOOKUP_HOSTS = (
    "ipify.org",
    "ipinfo.io",
    "ifconfig.me",
    "icanhazip.com",
    "myip.com",
    "ip-api.com",
    "ipecho.net",
    "checkip.amazonaws.com",
    # link shorteners: a destination hidden from the reader
    "bit.ly",
    "tinyurl.com",
    "is.gd",
    "cutt.ly",
    "rb.gy",
    "t.ly",
    "shorturl.at",
    "rebrand.ly",
)


def _host_pattern(hosts: tuple[str, ...], families: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A host name that is one of `hosts` (or a family name under any domain), or under it."""
    names = [re.escape(h) for h in hosts] + [re.escape(f) + r"\.\w+" for f in families]
    return re.compile(r"^(?:[\w-]+\.)*(?:" + "|".join(names) + r")$", re.IGNORECASE)


SHADY_HOST = _host_pattern(SHADY_HOSTS, SHADY_HOST_FAMILIES)
IP_LOOKUP_HOST = _host_pattern(IP_LOOKUP_HOSTS)
# Messenger endpoints count only with a real id and token in the URL, not a template.
WEBHOOK = re.compile(
    r"discord(?:app)?\.com/api/webhooks/\d{15,}/[\w-]{30,}|hooks\.slack\.com/services/T\w+/B\w+/\w+"
    r"|api\.telegram\.org/bot\d{6,}:[\w-]{30,}",
    re.IGNORECASE,
)
URL = re.compile(r"(?:https?|ftp|wss?)://[^\s'\"<>`]{3,300}", re.IGNORECASE)
# Hosts that serve code and data to builds: an install fetching from them is a build step.
CODE_HOST = re.compile(
    r"(?:^|\.)(?:github\.com|githubusercontent\.com|gitlab\.com|bitbucket\.org|pypi\.org"
    r"|pythonhosted\.org|python\.org|sourceforge\.net|huggingface\.co|anaconda\.org"
    r"|conda-forge\.org)$",
    re.IGNORECASE,
)
# Names that reach no one: this machine, a local network, documentation's placeholders.
NOWHERE_HOST = re.compile(
    r"^(?:localhost|[\d.]+|\[[\da-f:]*\])$|\.(?:local|internal|localhost|test|invalid|example)$"
    r"|(?:^|\.)example\.(?:com|org|net)$",
    re.IGNORECASE,
)
# A command that fetches an address (what it does with the answer is classified apart).
SHELL_FETCH = re.compile(
    r"\b(?:curl|wget|iwr|Invoke-WebRequest|Invoke-RestMethod)\b[^|;&\n]*?"
    r"((?:https?|ftp)://[^\s'\"|;&<>`]+)",
    re.IGNORECASE,
)

# First words of commands that builds run, by program name without its directory; they stay quiet.
BUILD_TOOLS = frozenset(
    {
        "aclocal",
        "ar",
        "autoconf",
        "automake",
        "autoreconf",
        "bash",
        "black",
        "brew",
        "c++",
        "cargo",
        "cc",
        "cl",
        "clang",
        "clang++",
        "cmake",
        "codesign",
        "configure",
        "cython",
        "doxygen",
        "dumpbin",
        "editbin",
        "f2py",
        "flake8",
        "g++",
        "gcc",
        "gfortran",
        "git",
        "gmake",
        "go",
        "hg",
        "hipcc",
        "install_name_tool",
        "javac",
        "ld",
        "ldconfig",
        "lib",
        "libtoolize",
        "link",
        "lipo",
        "lld-link",
        "lsb_release",
        "make",
        "meson",
        "mkdir",
        "msbuild",
        "mt",
        "mvn",
        "mypy",
        "nasm",
        "ninja",
        "nmake",
        "node",
        "npm",
        "nproc",
        "nvcc",
        "otool",
        "pandoc",
        "patch",
        "patchelf",
        "pip",
        "pkg-config",
        "pkgconf",
        "protoc",
        "pytest",
        "python",
        "python3",
        "rc",
        "rustc",
        "sh",
        "sphinx-build",
        "strip",
        "svn",
        "sw_vers",
        "swig",
        "sysctl",
        "touch",
        "tox",
        "uname",
        "vswhere",
        "where",
        "which",
        "windres",
        "xcode-select",
        "xcrun",
        "yarn",
        "yasm",
    }
)
# Commands that fetch, run hidden code or persist: high wherever they run at install time.
# Scripts for the Windows script hosts (.vbs, .hta, ...) are started by one.
LOLBINS = re.compile(
    r"\b(?:certutil|mshta|bitsadmin|regsvr32|rundll32|wscript|cscript|schtasks|msiexec"
    r"|installutil|cmstp|crontab|ncat|reg\s+add|launchctl)\b|powershell"
    r"|\.(?:vbs|vbe|jse|wsf|hta|scr)\b"
    r"|\brm\s+-(?:rf|fr)\s+(?:/|~|\$HOME)(?:\*|/\*)?(?:\s|$)",  # a wiper
    re.IGNORECASE,
)
# A shell whose standard streams are a network connection.
REVERSE_SHELL = re.compile(
    r"/dev/(?:tcp|udp)/|\bn(?:c|cat|etcat)\b[^|;&]*\s-[a-z]*[ec]\s|\bmkfifo\b[^;]*;?.*\bnc\b"
    r"|\bsocat\b.*\btcp\d?(?:-connect)?:.*\bexec:|\bsocat\b.*\bexec:.*\btcp\d?(?:-connect)?:",
    re.IGNORECASE,
)
# Decoding a blob and piping it into an interpreter: what powershell -enc does for sh.
DECODE_PIPE = re.compile(
    r"\bbase64\s+(?:-d|--decode|-D)\b.*\|\s*(?:sudo\s+)?(?:(?:ba|z|da)?sh|python\d?|perl)\b"
    r"|\bxxd\s+-r\b.*\|\s*(?:ba)?sh\b",
    re.IGNORECASE,
)
# A network tool handed what identifies the machine or its secrets: `curl -d "$(env)"`,
# `nslookup $(whoami).x`, `curl -F f=@~/.ssh/id_rsa`, `env | curl`.
NET_TOOLS = (
    r"(?:curl|wget|nc|ncat|nslookup|dig|host|ping|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)"
)
EXFIL_SHELL = re.compile(
    NET_TOOLS + r"\b.*(?:\$\(\s*(?:env|printenv|whoami|hostname|id|uname|pwd|cat|ls|set)\b"
    r"|`\s*(?:env|printenv|whoami|hostname|id|uname|cat)\b|(?:-d|--data(?:-binary)?|-F|-T"
    r"|--upload-file)\s*['\"]?[\w=]*@|%USERNAME%|%COMPUTERNAME%|\$env:)"
    r"|\b(?:env|printenv|whoami|hostname|cat\s+\S+)\s*\|\s*(?:base64[^|]*\|\s*)?"
    + NET_TOOLS
    + r"\b",
    re.IGNORECASE,
)
# Commands that ask who the user is and what the machine and its network are: what a stealer
# runs first. (uname stays a build tool: builds ask it for the platform.)
# A command of a compound line (after ;, &&, ||, |) counts as well as the first; so do listings
# of the whole file system and of /proc, and DNS lookups of a name (a beacon that passes any
# egress filter).
RECON = re.compile(
    r"(?:^|[;&|]\s*)(?:whoami|hostname|id|ipconfig|ifconfig|systeminfo|tasklist|wmic|printenv"
    r"|env|arp|net\s+(?:user|localgroup|view|config)|nltest|cmdkey|quser|netstat|ip\s+a(?:ddr)?"
    r"|cat\s+/etc/(?:passwd|shadow|hosts)|getent)\b"
    r"|(?:^|[;&|]\s*)(?:ls\s+(?:-\w+\s+)*/(?:proc|etc|root|home)?(?=[\s;&|>]|$)"
    # every file under a system or CI directory, listed or printed
    r"|ls\s+(?:-\w+\s+)*-\w*R\w*\s+(?:-\w+\s+)*/|cat\s+/[\w./-]*/\*"
    r"|nslookup\s+\S|dig\s+(?:@\S+\s+)?[\w{]|host\s+(?:-\w+\s+\w+\s+)?[\w{][\w.{}-]*\.\w)",
    re.IGNORECASE,
)
# A fetch whose output is started: piped into a shell or python, or saved and then run
# (`curl -o x.exe URL && x.exe`, `&& start x`, `&& py %TEMP%/x.pyw`).
DOWNLOAD_RUN = re.compile(
    r"(?:curl|wget|iwr|Invoke-WebRequest|DownloadString|DownloadFile|Start-BitsTransfer)\b"
    r".*(?:\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b|\|\s*python|&&\s*(?:chmod|\./|(?:ba)?sh\b)"
    r"|\biex\b|Invoke-Expression|Start-Process|;\s*\./"
    r"|(?:&&|;|&)\s*(?:start\s+(?:/\w+\s+)*|pyw?\s+|pythonw?3?\s+)?[\w%~:\\/.{}-]*"
    r"\.(?:exe|bat|cmd|ps1|vbs|scr|pyw?|sh)\b)",
    re.IGNORECASE,
)
# powershell -enc with the blob in the command, or filled in at run time.
ENCODED_SHELL = re.compile(
    r"powershell.*\s-e(?:nc|ncodedcommand)?\s+(?:[A-Za-z0-9+/=]{16,}|\{\})", re.I
)
# What a wrapper runs: `bash -c 'whoami'` is whoami, `cmd /c start x.exe` is start x.exe.
WRAPPED = re.compile(
    r"^(?:(?:/usr)?/bin/)?(?:ba|z|da)?sh\s+(?:-\w+\s+)*-c\s+|^cmd(?:\.exe)?\s+/[ck]\s+",
    re.IGNORECASE,
)
