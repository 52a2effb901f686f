"""Evidence read from raw text: the prefilter, hidden Unicode, whitespace-hidden code, PyArmor,
and the line-regex pass for files `ast` cannot parse (often Python 2 setup.py files)."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator

from analysis.code import vocab
from analysis.code.commands import classify
from analysis.code.facts import shady_url
from analysis.code.hits import Hit, Reach, lower
from analysis.code.threats import DECODE_EXEC, DOWNLOAD_EXEC, LOLBIN, SHADY_ALONE
from analysis.model import Severity

# A file is parsed only when it holds the ingredients of a threat; most files hold none.
# Not "compile(": re.compile is everywhere; builtin compile() names its mode 'exec' or 'eval'.
SINK_WORDS = (
    b"exec(",
    b"eval(",
    b"exec (",
    b"__import__",
    b"FunctionType",
    b"import_module",
    b"'exec'",
    b'"exec"',
    b"'eval'",
    b'"eval"',
)
DECODE_WORDS = (
    b"b64decode",
    b"b32decode",
    b"b85decode",
    b"a85decode",
    b"decodebytes",
    b"decodestring",
    b"decompress",
    b"fromhex",
    b"unhexlify",
    b"a2b_",
    b"marshal",
    b"decrypt",
    b"chr(",
    b"::-1]",
    b"rot13",
    b"rot_13",
    b"base64'",
    b'base64"',
)
SEND_WORDS = (
    b"urlopen",
    b"urlretrieve",
    b"requests",
    b"socket",
    b"httpx",
    b"aiohttp",
    b"smtplib",
    b"http.client",
    b"pycurl",
    b"urllib",
    b"websocket",
    b"dns.",
    b"telebot",
    b"webhook",
)
# Runtime code needs a strong source (a credential file, the whole environment) to matter. The
# words are the path-like spellings: "credentials", "cookies" and "ssh" alone are in every
# HTTP or cloud client.
SOURCE_WORDS = (
    b"environ)",
    b"environ.copy",
    b"environ.items",
    b"environ.keys",
    b"environ.values",
    b"in os.environ:",
    b".ssh/",
    b".ssh'",
    b'.ssh"',
    b".ssh\\",
    b"id_rsa",
    b"id_ed25519",
    b"id_ecdsa",
    b".aws",
    b"gcloud",
    b"application_default",
    b"Login Data",
    b"Local State",
    b"Web Data",
    b"/Cookies",
    b"'Cookies'",
    b'"Cookies"',
    b"\\Cookies",
    b"leveldb",
    b"wallet",
    b"exodus",
    b"electrum",
    b"{6}\\.",
    b"mfa\\.",
    b"/etc/passwd",
    b"/etc/shadow",
    b"npmrc",
    b"pypirc",
    b".netrc",
    b"git-credentials",
    b".kube",
    b".docker/",
    b"'.docker'",
    b'".docker"',
    b"Exodus",
    b"Electrum",
    b"bash_history",
    b"zsh_history",
    b"tdata",
    b"vault-token",
    b".azure",
    b"logins",
    b"password_value",
    b"encrypted_value",
    b"key4.db",
    b"key3.db",
    b"cookies.sqlite",
    b"_accounts.json",
    b"lunarclient",
    b"loginusers",
    b"ssfn",
    b"sitemanager",
    b"recentservers",
    b"ROBLOSECURITY",
    b"CryptUnprotectData",
    b"pynput",
    b"GetAsyncKeyState",
    b"keyboard.on_press",
    b"169.254.169.254",
    b"metadata.google.internal",
    b"private_key",
    b"privateKey",
    b"mnemonic",
    b"_phrase",
)
SPAWN_WORDS = (b"subprocess", b"system(", b"popen", b"spawn", b"startfile", b"chmod")
SHELL_WORDS = (b"curl", b"wget", b"powershell", b"DownloadString", b"certutil", b"mshta")
# Near a process start: a shell fetcher, or a download or decode whose output is started.
RUNNER_WORDS = (
    *SHELL_WORDS,
    *(b"urlopen", b"urlretrieve", b"requests.get", b".exe", b"recv("),
    *(w for w in DECODE_WORDS if w not in {b"chr(", b"::-1]"}),
)
BROAD_WORDS = SINK_WORDS + SEND_WORDS + SPAWN_WORDS + (b"__builtins__", b"compile(")


def _any(data: bytes, words: tuple[bytes, ...]) -> bool:
    return any(w in data for w in words)


def worth_parsing(data: bytes, reach: Reach) -> bool:
    """Cheap byte scans for the ingredients of a threat. Code that runs on its own needs one;
    code that only runs when called needs two close together that can make a medium finding
    there (one capability is not a finding, and a threat's parts sit in one function)."""
    if reach.rank >= Reach.STARTUP.rank:
        return True  # setup.py, .pth lines, build backends: always read closely
    if reach is not Reach.RUNTIME:
        return _any(data, BROAD_WORDS)
    if b"__builtins__" in data:
        return True
    sinks = _sink_positions(data)
    if _found_near(data, sinks, DECODE_WORDS + SEND_WORDS):
        return True
    senders = _positions(data, SEND_WORDS) + sinks
    return _found_near(data, senders, RECEIVER_WORDS, IP_URL) or _found_near(
        data, _positions(data, SPAWN_WORDS), RUNNER_WORDS
    )


NEAR = 4000  # bytes: about one function
STEP = NEAR // 2  # occurrences closer than this to the last one kept add nothing
MAX_PER_WORD = 100  # a word that common in one file says nothing more after 100 places


def _positions(data: bytes, words: tuple[bytes, ...]) -> list[int]:
    """Where the words occur, thinned to one place per STEP bytes per word."""
    found = []
    for word in words:
        start = data.find(word)
        for _ in range(MAX_PER_WORD):
            if start < 0:
                break
            found.append(start)
            start = data.find(word, start + STEP)
    return found


# exec and eval as calls or as the names compile() and getattr() are given: "exec(", "exec (",
# "'exec'". Two scans for the words, then a look at the byte after each place.
SINK_NAMES = (b"exec", b"eval")
SINK_NEXT = frozenset(b"( '\"")
OTHER_SINKS = (b"__import__", b"FunctionType", b"import_module")
MAX_SKIPPED = 10_000  # places of one word looked at (execute, evaluate...): bounded time


def _sink_positions(data: bytes) -> list[int]:
    """The places SINK_WORDS occur, found with five scans instead of ten."""
    found = _positions(data, OTHER_SINKS)
    for word in SINK_NAMES:
        start = data.find(word)
        for _ in range(MAX_SKIPPED):
            if start < 0:
                break
            after = start + len(word)
            if after < len(data) and data[after] in SINK_NEXT:
                found.append(start)
                start = data.find(word, start + STEP)
            else:
                start = data.find(word, after)  # execute, evaluate, exec_command
    return found


def _found_near(
    data: bytes,
    anchors: list[int],
    words: tuple[bytes, ...],
    pattern: re.Pattern[bytes] | None = None,
) -> bool:
    """Some word (or pattern match) within NEAR bytes of an anchor. Only the windows around
    the anchors are searched: most files have few anchors, and whole-file scans for dozens of
    words would cost more than the rest of the analysis."""
    for low, high in _windows(anchors):
        if any(data.find(word, low, high) >= 0 for word in words):
            return True
        if pattern is not None and pattern.search(data, low, high):
            return True
    return False


def _windows(anchors: list[int]) -> Iterator[tuple[int, int]]:
    """NEAR bytes either side of each anchor, overlapping windows merged."""
    window: tuple[int, int] | None = None
    for anchor in sorted(anchors):
        if window is not None and anchor - NEAR <= window[1]:
            window = (window[0], anchor + NEAR)
            continue
        if window is not None:
            yield window
        window = (max(0, anchor - NEAR), anchor + NEAR)
    if window is not None:
        yield window


# Receivers of stolen data: messenger webhooks, tunnels, pastes, IP lookups (raw IP addresses
# are IP_URL), spelled as vocab's host lists spell them.
SHADY_WORDS = (
    b"/api/webhooks/",
    b"hooks.slack.com",
    b"api.telegram.org",
    *(host.encode() for host in vocab.SHADY_HOSTS + vocab.IP_LOOKUP_HOSTS),
    *(family.encode() + b"." for family in vocab.SHADY_HOST_FAMILIES),
)
# What makes a send a threat in code that runs only when called: a secret, a receiver, or the
# standard streams handed to the socket (a reverse shell).
RECEIVER_WORDS = SOURCE_WORDS + SHADY_WORDS + (b"dup2",)
IP_URL = re.compile(rb"://(?:\d{1,3}\.){3}\d{1,3}|://\[[0-9a-fA-F:]*:[0-9a-fA-F:]*\]")


INVISIBLE = re.compile(rb"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0\xa6-\xa9]|.\xef\xbb\xbf", re.S)
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
HIDDEN_TAIL = re.compile(rb"[ \t]{150,}(\S[^\n]*)")
CODE_WORDS = re.compile(rb"exec|eval|import|system|b64decode|popen|subprocess|urlopen")
PYARMOR = re.compile(rb"__pyarmor__|pyarmor_runtime|from pytransform import|__armor_enter__")
SEALED = re.compile(rb"__pyarmor__\(\s*__name__\s*,\s*__file__\s*,\s*b['\"]")
REGEX_EXEC = re.compile(r"\b(?:exec|eval)\s*[( ]")
REGEX_DECODE = re.compile(
    r"b64decode|b32decode|b85decode|decompress|fromhex|unhexlify|marshal\.loads|decrypt\("
    r"|\.decode\(\s*['\"](?:base64|hex|rot13|rot_13|zlib)"
)
REGEX_SPAWN = re.compile(r"\b(?:system|popen|call|check_call|check_output|run|Popen)\s*\(")


def text_hits(data: bytes, reach: Reach, python: bool) -> Iterator[Hit]:
    """Hits that need no parse tree."""
    if not data.isascii() and (b"\xe2" in data or b"\xef" in data) and INVISIBLE.search(data):
        yield from _unicode(data.decode("utf-8", "replace"), reach, python)
    if python and b" " * 150 in data:
        yield from _hidden_tails(data, reach)
    if python and (b"armor" in data or b"pytransform" in data):
        match = PYARMOR.search(data)
        if match:
            line = data[: match.start()].count(b"\n") + 1
            # the encrypted module itself, not only a loader: nobody can review what it does
            sealed = reach.rank >= Reach.IMPORT.rank or SEALED.search(data) is not None
            severity = Severity.MEDIUM if sealed else Severity.LOW
            yield Hit(
                "code.obfuscation",
                severity,
                line,
                line,
                match.group(0).decode(),
                "loads the PyArmor runtime: the code is encrypted and cannot be reviewed",
                reach,
                {"technique": "pyarmor"},
            )


def _unicode(text: str, reach: Reach, python: bool) -> Iterator[Hit]:
    # tokenize is slow; past a size, a '#' or quote before the character on its line decides
    spans = _spans(text) if python and len(text) <= TOKENIZE_LIMIT else None
    for number, line in enumerate(text.splitlines(), 1):
        for col, char in enumerate(line):
            if not _is_invisible(char) or (number == 1 and col == 0 and char == "\ufeff"):
                continue
            where = _where(spans, line, number, col) if python else "text"
            if where != "code" and char not in BIDI:
                continue  # zero-width joiners in prose and emoji are normal
            severity = _unicode_severity(where, line)
            kind = "bidirectional control" if char in BIDI else "invisible character"
            what = f"hides U+{ord(char):04X} ({kind}) in {where}"
            yield Hit(
                "code.invisible-unicode",
                severity,
                number,
                number,
                line.strip()[:200],
                what,
                reach,
                {"codepoint": f"U+{ord(char):04X}", "column": col + 1},
            )
            break


def _unicode_severity(where: str, line: str) -> Severity:
    """Medium in code and comments; in a string only when a bidi control is unpaired on its
    line, so the reordering spills onto the code around it (Trojan Source). Right-to-left text
    closes what it opens."""
    if where == "text" or (where == "string" and not _unpaired(line)):
        return Severity.LOW
    return Severity.MEDIUM


# Embeddings and overrides end at PDF (U+202C), isolates at PDI (U+2069).
BIDI_CLOSER = dict.fromkeys("\u202a\u202b\u202d\u202e", "\u202c") | dict.fromkeys(
    "\u2066\u2067\u2068", "\u2069"
)


def _unpaired(line: str) -> bool:
    """A bidi control left open at the end of the line (GCC's -Wbidi-chars=unpaired). A closer
    with nothing open reorders nothing (text pasted from a PDF leaves them), and an opener at
    an end of a range of invisible characters (`[\u200b-\u200f\u202a-\u202e]`, a table of
    characters to strip) opens nothing either."""
    expected: list[str] = []
    for at, char in enumerate(line):
        if char in BIDI_CLOSER and not _listed(line, at):
            expected.append(BIDI_CLOSER[char])
        elif char in "\u202c\u2069" and expected and expected[-1] == char:
            expected.pop()
    return bool(expected)


def _listed(line: str, at: int) -> bool:
    """An end of a range between two invisible characters: X-Y, as in a regex class."""
    before, after = line[max(at - 2, 0) : at], line[at + 1 : at + 3]
    return (len(after) == 2 and after[0] == "-" and _is_invisible(after[1])) or (
        len(before) == 2 and before[1] == "-" and _is_invisible(before[0])
    )


TOKENIZE_LIMIT = 256 * 1024
Span = tuple[tuple[int, int], tuple[int, int], str]


def _where(spans: list[Span] | None, line: str, number: int, col: int) -> str:
    """'string', 'comment' or 'code' for the character at (number, col)."""
    if spans is None:
        head = line[:col]
        return "comment" if "#" in head else "string" if "'" in head or '"' in head else "code"
    return next((kind for s, e, kind in spans if s <= (number, col) < e), "code")


def _is_invisible(char: str) -> bool:
    return "\u200b" <= char <= "\u200f" or char in BIDI or char in "\u2060\ufeff"


def _spans(text: str) -> list[Span]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return []  # unreadable: treat everything as code, the stricter reading
    kinds = {tokenize.STRING: "string", tokenize.COMMENT: "comment"}
    return [(t.start, t.end, kinds[t.type]) for t in tokens if t.type in kinds]


def _hidden_tails(data: bytes, reach: Reach) -> Iterator[Hit]:
    for match in HIDDEN_TAIL.finditer(data):
        tail = match.group(1)
        if tail.startswith((b"#", b'"', b"'", b"\\")) or not CODE_WORDS.search(tail):
            continue
        line = data[: match.start()].count(b"\n") + 1
        # hidden where code runs on its own is a payload's disguise; when called, a stray tail
        severity = Severity.HIGH if reach.rank >= Reach.IMPORT.rank else Severity.MEDIUM
        yield Hit(
            "code.obfuscation",
            severity,
            line,
            line,
            tail.decode("utf-8", "replace")[:200],
            "hides code after a long run of spaces, off the right edge of the screen",
            reach,
            {"technique": "whitespace"},
        )


def fallback_hits(text: str, reach: Reach) -> Iterator[Hit]:
    """Line regexes for unparsable files: one level below what a parse tree would give."""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0] if "'" not in raw and '"' not in raw else raw
        hit = _fallback_line(line, reach)
        if hit:
            yield Hit(
                hit[0],
                lower(hit[1]),
                number,
                number,
                raw.strip()[:200],
                hit[2],
                reach,
                {"parsed": "regex"},
            )


def _fallback_line(line: str, reach: Reach) -> tuple[str, Severity, str] | None:
    if REGEX_EXEC.search(line) and REGEX_DECODE.search(line):
        return "code.decode-exec", DECODE_EXEC[reach], "passes decoded data to exec or eval"
    if REGEX_SPAWN.search(line):
        kind = classify(line)
        if kind == "download-run":
            return "code.download-exec", DOWNLOAD_EXEC[reach], "downloads and runs a program"
        if kind in {"lolbin", "encoded"}:
            return "code.process-spawn", LOLBIN[reach], "runs a command that fetches or hides code"
    for url in vocab.URL.findall(line) if "://" in line else ():
        if shady_url(url):
            return "code.shady-url", SHADY_ALONE[reach], f"names the URL {url[:80]!r}"
    return None
