"""What a process spawn runs: the command text as far as literals tell, and how bad it looks."""

from __future__ import annotations

import ast
import base64
import binascii
import re

from analysis.code import vocab
from analysis.code.names import UNKNOWN, Names

_SEQUENCES = (ast.List, ast.Tuple)


def command_text(node: ast.expr | None, names: Names) -> str | None:
    """'curl {} | sh' for a command built from literals and unknowns; None if nothing is known."""
    if node is None:
        return None
    text = _text(node, names)
    return None if text is None or not text.replace(UNKNOWN, "").strip() else text


def _text(node: ast.expr, names: Names) -> str | None:
    folded = names.fold(node)
    if folded is not None:
        return folded
    if isinstance(node, ast.List | ast.Tuple):
        return " ".join(_text(e, names) or UNKNOWN for e in node.elts)
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v, names) or UNKNOWN for v in node.values)
    pieces = names.path_pieces(node)
    if pieces is not None:  # the program shipped at os.path.join(here, 'svc.exe') is svc.exe
        return "/".join(_text(p, names) or UNKNOWN for p in pieces)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _concatenated(node, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            return _text(node.func.value, names)
        if node.func.attr == "join" and node.args:
            return _text(node.args[0], names)
    if names.qualname(node) == "sys.executable":
        return "python"
    return None


def _concatenated(node: ast.BinOp, names: Names) -> str:
    left = _text(node.left, names) or UNKNOWN
    if isinstance(node.op, ast.Mod):
        return left  # 'curl %s | sh' % url: the template tells
    right = _text(node.right, names) or UNKNOWN
    # Argument lists add up word by word: cxx + ['-x', 'c++'] is '{} -x c++', not '{}-x c++'.
    lists = isinstance(node.left, _SEQUENCES) or isinstance(node.right, _SEQUENCES)
    return f"{left} {right}" if lists else left + right


def classify(command: str | None) -> str:
    """reverse-shell, download-run, encoded, exfil, lolbin, recon, launch, shell, build, other
    or dynamic."""
    if command is None:
        return "dynamic"
    for kind, pattern in PATTERNS:
        if pattern.search(command):
            return kind
    inner = _unwrapped(command)
    if inner is not None:
        kind = classify(inner)
        return kind if kind in {"download-run", "encoded", "exfil", "recon"} else "shell"
    first = program(command)
    launched = LAUNCHED.search(command.strip().split(" ", 1)[0].strip("'\""))
    if first == "start" or (launched and first not in vocab.BUILD_TOOLS):
        return "launch"
    if first == UNKNOWN or first in vocab.BUILD_TOOLS or first.endswith("-config"):
        return "build"  # an unknown program name is most often a found compiler or tool
    return "other"


# A Windows program or script started by file name: installs and imports have no reason to.
LAUNCHED = re.compile(r"\.(?:exe|scr|bat|cmd|msi|com|pif)$", re.IGNORECASE)


def program(command: str) -> str:
    """The program a command line starts, by name: '/usr/bin/GCC.exe -c x' is 'gcc'."""
    first = command.strip().split(" ", 1)[0].strip("'\"").replace("\\", "/").rsplit("/", 1)[-1]
    return LAUNCHED.sub("", first.lower())


# Searched anywhere in the command, strongest first.
PATTERNS = (
    ("reverse-shell", vocab.REVERSE_SHELL),
    ("download-run", vocab.DOWNLOAD_RUN),
    ("encoded", vocab.ENCODED_SHELL),
    ("encoded", vocab.DECODE_PIPE),
    ("exfil", vocab.EXFIL_SHELL),
    ("lolbin", vocab.LOLBINS),
    ("recon", vocab.RECON),
)


def _unwrapped(command: str) -> str | None:
    """The command a `sh -c '...'` or `cmd /c ...` wrapper runs, quotes dropped."""
    match = vocab.WRAPPED.match(command.strip())
    if match is None:
        return None
    return command.strip()[match.end() :].strip().strip("'\"")


BASE64 = re.compile(r"[A-Za-z0-9+/=_-]{16,}")
HEX = re.compile(r"(?:[0-9a-fA-F]{2}){8,}")
MAX_DECODED = 64 * 1024


def decoded_text(literal: str) -> str | None:
    """The command text a hex or base64 literal stands for (a command hidden from reviewers),
    or None when it is neither, or does not decode to printable ASCII."""
    literal = literal.strip()
    if len(literal) > MAX_DECODED:
        return None
    if HEX.fullmatch(literal):
        return _printable(bytes.fromhex(literal))
    if not BASE64.fullmatch(literal):
        return None
    try:
        raw = base64.b64decode(literal + "=" * (-len(literal) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(raw)


def _printable(raw: bytes) -> str | None:
    if not raw.isascii():
        return None
    text = raw.decode("ascii")
    return text if all(c.isprintable() or c in "\n\r\t" for c in text) else None
