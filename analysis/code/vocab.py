"""The words code checks look for: qualified call names, sensitive paths, shady hosts, commands."""

from __future__ import annotations

import re

# Calls whose result is code to run: the sinks of decode->exec and download->exec.
EXEC_SINKS = frozenset(
    {
        "exec", "eval", "compile", "__import__", "builtins.exec", "builtins.eval",
        "builtins.compile", "builtins.__import__", "types.FunctionType", "types.CodeType",
        "importlib.import_module", "execfile", "runpy.run_path",
    }
)  # fmt: skip

# Calls that turn an opaque literal into something else: the sources of decode->exec.
DECODERS = frozenset(
    {
        "base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.b85decode",
        "base64.a85decode", "base64.decodebytes", "base64.decodestring",
        "base64.standard_b64decode", "base64.urlsafe_b64decode", "binascii.a2b_base64",
        "binascii.unhexlify", "binascii.a2b_hex", "zlib.decompress", "lzma.decompress",
        "bz2.decompress", "gzip.decompress", "marshal.loads", "codecs.decode", "bytes.fromhex",
        "bytearray.fromhex", "pickle.loads", "dill.loads",
    }
)  # fmt: skip
DECODE_METHODS = frozenset({"decrypt", "fromhex"})  # Fernet(key).decrypt(...), x.fromhex(...)
# Python 2's str.decode('base64') and friends, still seen in copied payloads.
DECODE_CODECS = frozenset({"base64", "hex", "rot13", "rot_13", "zlib", "bz2", "uu", "base_64"})

SPAWNS = frozenset(
    {
        "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
        "subprocess.Popen", "subprocess.getoutput", "subprocess.getstatusoutput", "os.system",
        "os.popen", "os.startfile", "os.execv", "os.execve", "os.execl", "os.execle",
        "os.execlp", "os.execvp", "os.execvpe", "os.spawnl", "os.spawnv", "os.spawnlp",
        "os.spawnvp", "os.posix_spawn", "os.posix_spawnp", "pty.spawn", "commands.getoutput",
        "asyncio.create_subprocess_shell", "asyncio.create_subprocess_exec", "popen2.popen2",
    }
)  # fmt: skip

# Network modules; a call into one of them counts as a send unless its leaf is a pure helper.
NET_MODULES = frozenset(
    {
        "requests", "httpx", "aiohttp", "urllib", "urllib2", "urllib3", "http", "httplib",
        "socket", "smtplib", "ftplib", "pycurl", "websocket", "websockets", "dns", "telnetlib",
        "discord_webhook", "dhooks", "telebot", "paramiko",
    }
)  # fmt: skip
NET_HELPERS = frozenset(
    {
        "parse", "quote", "quote_plus", "unquote", "urlencode", "urlparse", "urlsplit",
        "urljoin", "urlunparse", "exceptions", "HTTPStatus", "gethostname", "getfqdn",
        "AF_INET", "AF_INET6", "SOCK_STREAM", "SOCK_DGRAM", "inet_aton", "inet_ntoa", "htons",
        "ntohs", "error", "timeout", "herror", "gaierror", "codes", "utils", "structures",
        "adapters", "auth", "cookies", "hooks", "status_codes", "compat", "packages", "Retry",
        "Timeout", "BasicAuth", "ClientTimeout", "TCPConnector", "Response", "HTTPError",
        "URLError", "RequestException", "ConnectionError", "responses", "client", "server",
        "cookiejar", "HTTPException", "has_ipv6", "setdefaulttimeout", "getdefaulttimeout",
        "pathname2url", "url2pathname", "splittype", "robotparser", "response", "Headers",
        "proxy_bypass", "getproxies", "proxy_bypass_environment", "getproxies_environment",
        # reading an answer, or configuring a client, sends nothing
        "json", "read", "readline", "readlines", "text", "content", "iter_content", "iter_lines",
        "raise_for_status", "getcode", "getheader", "getheaders", "close", "load_host_keys",
        "load_system_host_keys", "set_missing_host_key_policy", "AutoAddPolicy", "RejectPolicy",
        "RSAKey", "Ed25519Key", "ECDSAKey", "from_private_key_file", "SSHConfig",
        "ProxyCommand",
    }
)  # fmt: skip
# Any call named like these fetches a URL into a file (urlretrieve under any module path).
DOWNLOAD_LEAVES = frozenset({"urlretrieve"})
DOWNLOADS = frozenset(
    {
        "urllib.request.urlretrieve", "urllib.urlretrieve", "wget.download",
        "urllib.request.urlopen", "urllib2.urlopen", "urllib.urlopen", "requests.get",
        "httpx.get", "requests.request", "requests.Session", "http.client.HTTPSConnection",
        "http.client.HTTPConnection",
    }
)  # fmt: skip

HOST_INFO = frozenset(
    {
        "socket.gethostname", "socket.getfqdn", "os.getlogin", "getpass.getuser",
        "platform.node", "platform.uname", "os.uname", "uuid.getnode", "platform.platform",
    }
)  # fmt: skip
# A reverse shell puts a socket on the standard streams before it starts the shell.
STREAM_REDIRECTS = frozenset({"os.dup2"})
# Calls whose first argument is a (host, port) address to reach.
CONNECTS = frozenset({"connect", "connect_ex", "create_connection"})
ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "os.getenvb", "os.environb.get"})
ENV_WHOLE = frozenset({"os.environ", "os.environb"})
CHMODS = frozenset({"os.chmod", "os.fchmod", "pathlib.Path.chmod"})
EXEC_NAMES = frozenset({"exec", "eval", "compile", "__import__", "system", "popen", "execfile"})

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
    {"pynput.keyboard.Listener", "keyboard.on_press", "keyboard.hook", "keyboard.read_key",
     "win32api.GetAsyncKeyState", "ctypes.windll.user32.GetAsyncKeyState"}
)  # fmt: skip
# What the user sees and copies: worth stealing, and also what automation tools read.
SPY_CALLS = frozenset(
    {"pyautogui.screenshot", "PIL.ImageGrab.grab", "ImageGrab.grab", "pyperclip.paste",
     "win32clipboard.GetClipboardData", "mss.mss", "pyscreenshot.grab"}
)  # fmt: skip

# The cloud instance metadata service hands out the machine's credentials to whoever asks.
INSTANCE_METADATA = re.compile(
    r"://(?:169\.254\.169\.254|\[?fd00:ec2::254\]?|metadata\.google\.internal|100\.100\.100\.200)"
    r"[:/]",
    re.IGNORECASE,
)

# Hosts that only serve to receive stolen data, host a payload or hide a server.
SHADY_HOSTS = (
    "ngrok.io", "ngrok-free.app", "ngrok.app", "ngrok.dev", "trycloudflare.com", "serveo.net",
    "loca.lt", "localtunnel.me", "localhost.run", "bore.pub", "pastebin.com", "paste.ee",
    "hastebin.com", "rentry.co", "transfer.sh", "anonfiles.com", "file.io", "catbox.moe",
    "0x0.st", "termbin.com", "webhook.site", "pipedream.net", "interact.sh", "oast.fun",
    "oast.live", "oast.me", "oast.online", "oast.pro", "oast.site", "burpcollaborator.net",
    "dnslog.cn", "ceye.io", "canarytokens.com", "workers.dev", "oastify.com", "requestrepo.com",
    "hookbin.com", "beeceptor.com", "requestcatcher.com", "mockbin.org",
)  # fmt: skip
SHADY_HOST_FAMILIES = ("ghostbin", "requestbin")  # under any top-level domain
# Services that tell a machine its public IP address: host reconnaissance at install time, but
# also what VPN and network tools ask when the user runs them.
IP_LOOKUP_HOSTS = (
    "ipify.org", "ipinfo.io", "ifconfig.me", "icanhazip.com", "myip.com", "ip-api.com",
    "ipecho.net", "checkip.amazonaws.com",
    # link shorteners: a destination hidden from the reader
    "bit.ly", "tinyurl.com", "is.gd", "cutt.ly", "rb.gy", "t.ly", "shorturl.at", "rebrand.ly",
)  # fmt: skip


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
        "gcc", "g++", "cc", "c++", "clang", "clang++", "cl", "link", "ld", "ar", "cmake",
        "make", "gmake", "nmake", "ninja", "meson", "pkg-config", "pkgconf", "cython", "nvcc",
        "hipcc", "git", "hg", "svn", "pandoc", "sphinx-build", "swig", "protoc", "cargo",
        "rustc", "go", "javac", "mvn", "npm", "yarn", "node", "xcrun", "xcode-select", "sw_vers",
        "uname", "ldconfig", "brew", "otool", "install_name_tool", "lipo", "codesign", "strip",
        "patchelf", "autoreconf", "autoconf", "automake", "aclocal", "libtoolize", "configure",
        "touch", "mkdir", "patch", "sh", "bash", "python", "python3", "pip", "msbuild",
        "lsb_release", "nproc", "sysctl", "which", "where", "gfortran", "f2py", "nasm", "yasm",
        "windres", "rc", "mt", "dumpbin", "vswhere", "tox", "pytest", "black", "flake8", "mypy",
        "doxygen", "lib", "editbin", "lld-link",
    }
)  # fmt: skip
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
