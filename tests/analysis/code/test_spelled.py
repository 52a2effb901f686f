"""Text spelled in character codes, and places named in f-strings with an unknown piece: hidden
paths are read as the paths they spell. Written by hand; no real sample's code."""

from __future__ import annotations

import ast

import pytest

from analysis.code.names import Names
from analysis.model import Severity
from tests.analysis.code.members import H, M, install_hook, laid_out, worst

PASSWD = "[47, 101, 116, 99, 47, 112, 97, 115, 115, 119, 100]"  # /etc/passwd


def fold(expression: str) -> str | None:
    return Names().fold(ast.parse(expression, mode="eval").body)


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("chr(47)", "/"),
        ("chr(-1)", None),
        ("chr(x)", None),
        ("chr(1, 2)", None),
        (f"''.join([chr(c) for c in {PASSWD}])", "/etc/passwd"),
        (f"''.join(chr(c) for c in {PASSWD})", "/etc/passwd"),
        (f"''.join(map(chr, {PASSWD}))", "/etc/passwd"),
        ("'-'.join(['a', 'b', chr(99)])", "a-b-c"),
        ("'-'.join(('a', name))", None),
        ("sep.join(['a'])", None),
        ("''.join([chr(c) for c in [104, 105] if c])", None),
        ("''.join([chr(c + 1) for c in [104, 105]])", None),
        ("''.join([chr(d) for c in [104, 105]])", None),
        ("''.join([chr(c) for c in [104, 'x']])", None),
        ("''.join([chr(c) for c in [104, 99999999]])", None),
        ("''.join([chr(c) for c in [1] for d in [2]])", None),
        ("''.join([chr(c) for c in codes])", None),
        ("''.join(map(ord, [1]))", None),
        ("''.join(map(chr, codes))", None),
        ("''.join(words)", None),
        ("''.join([chr(c) for c in [1]], 2)", None),
        ("'x'.upper()", None),
        (f"''.join([{', '.join(['chr(97)'] * 5000)}])", None),
    ],
)
def test_text_spelled_in_character_codes_folds(expression: str, text: str | None) -> None:
    assert fold(expression) == text


CASES = [
    (
        install_hook(f"users = open(''.join([chr(c) for c in {PASSWD}])).read()"),
        "code.credential-access",
        M,
        "a credential file named in character codes",
    ),
    (
        install_hook(f"where = ''.join(map(chr, {PASSWD}))", "users = open(where).read()"),
        "code.credential-access",
        M,
        "the spelled path kept in a local first",
    ),
    (
        install_hook(
            "name = ''.join([chr(c) for c in [46, 112, 114, 111, 102, 105, 108, 101]])",
            "for user in os.listdir('/home'):",
            "    open(f'/home/{user}/{name}', 'a').write('run-me &')",
        ),
        "code.persistence",
        H,
        "every user's start-up file, its name spelled in codes",
    ),
    (
        install_hook(
            "for user in os.listdir('/home'):",
            "    open(f'/home/{user}/.bashrc', 'a').write('run-me &')",
        ),
        "code.persistence",
        H,
        "a start-up file in an f-string with an unknown user",
    ),
    (
        install_hook("title = ''.join([chr(c) for c in [100, 101, 109, 111]])", "print(title)"),
        "code.credential-access",
        None,
        "benign: a harmless word spelled in codes",
    ),
    (
        install_hook(
            "for user in os.listdir('/home'):",
            "    open(f'/home/{user}/.config/demo/settings.json', 'w').write('{}')",
        ),
        "code.persistence",
        None,
        "benign: an application's own settings file",
    ),
]


@pytest.mark.parametrize(
    ("files", "check_id", "severity", "reason"), CASES, ids=[c[3] for c in CASES]
)
def test_spelled_places(
    files: dict[str, str | bytes], check_id: str, severity: Severity | None, reason: str
) -> None:
    assert worst(laid_out(files), check_id) == severity, reason
