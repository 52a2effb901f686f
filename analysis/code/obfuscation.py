"""Obfuscation: code written so that a reader cannot tell what it does. Each technique a module
uses is counted; heavy obfuscation is a strong signal where the code runs on its own, exec of
what the techniques produce is a decode-exec, and code hidden in literal layers (base64, zlib,
...) is unwrapped and read like the module's own."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from analysis.code.hits import Hit, Reach
from analysis.code.names import Names
from analysis.code.survey import (
    ALIAS,
    BINARY,
    CIPHER,
    COMPUTED,
    ESCAPED,
    HIDDEN,
    LAYER,
    MARSHAL,
    NOISE,
    NUMBERS,
    Layer,
    Survey,
    spelled_in_escapes,
)
from analysis.model import Severity

# Occurrences for a technique to count at all, and for it to be heavy on its own.
LEAST = {
    ESCAPED: 3,
    COMPUTED: 1,
    NOISE: 5,
    NUMBERS: 3,
    CIPHER: 1,
    ALIAS: 1,
    LAYER: 1,
    MARSHAL: 1,
    HIDDEN: 1,
    BINARY: 1,
}
ALONE = {ESCAPED: 20, COMPUTED: 5, NOISE: 30, NUMBERS: 20, MARSHAL: 1, BINARY: 1}

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
R = Reach
# exec of what the obfuscation hides, or heavy obfuscation around exec
PAYLOAD = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: H, R.RUNTIME: M}
HEAVY = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
# code in a base64 literal that nothing runs yet
HIDDEN_ONE = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: M, R.COMMAND: L, R.RUNTIME: L}


@dataclass(slots=True)
class Profile:
    """The techniques found in one part of a module: the code that runs on its own, or all."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, ast.AST] = field(default_factory=dict)  # technique -> first node
    revealed: list[str] = field(default_factory=list)  # texts the techniques spell
    hides_sink: bool = False  # exec, eval or compile reached under another spelling
    hides_payload: bool = False  # exec, eval or compile given what the techniques produce

    def add(self, technique: str, node: ast.AST, revealed: str | None = None) -> None:
        self.counts[technique] += 1
        self.first.setdefault(technique, node)
        if revealed and len(self.revealed) < 5 and revealed[:80] not in self.revealed:
            self.revealed.append(revealed[:80])

    def used(self) -> list[str]:
        return sorted(t for t, n in self.counts.items() if n >= LEAST[t])

    def heavy(self) -> bool:
        used = self.used()
        return len(used) >= 2 or any(self.counts[t] >= ALONE.get(t, 1 << 30) for t in used)

    def payload(self, reach: Reach) -> Severity | None:
        """exec of what the techniques produce, rated at `reach`: a decode-exec."""
        return PAYLOAD[reach] if self.hides_payload else None

    def obscurity(self, reach: Reach) -> Severity | None:
        """Heavy obfuscation, a hidden sink, or code kept in a literal, rated at `reach`."""
        heavy = self.heavy()
        if heavy and self.hides_sink:
            return PAYLOAD[reach]
        if heavy:
            builtins = reach is R.RUNTIME and COMPUTED in self.used()
            return M if builtins else HEAVY[reach]
        # exec's name spelled in escapes or picked from str(oct) is as telling as ('ex' + 'ec')
        if self.hides_sink:
            return HEAVY[reach]
        # code kept in a literal that the module runs is the decode-exec's
        return HIDDEN_ONE[reach] if HIDDEN in self.counts and not self.hides_payload else None


Rating = Callable[[Profile, Reach], Severity | None]
RATINGS: tuple[tuple[str, Rating], ...] = (
    ("code.decode-exec", Profile.payload),
    ("code.obfuscation", Profile.obscurity),
)


Reader = Callable[[ast.Module, bytes, Reach], Iterator[Hit]]


@dataclass(frozen=True, slots=True)
class Module:
    """One parsed module and where it runs: `reach` for the module's own statements (all of
    them when `whole`) and for the functions they call by name, runtime for the rest."""

    tree: ast.Module
    data: bytes
    names: Names
    reach: Reach
    whole: bool
    top_calls: frozenset[str]


def check_obfuscation(module: Module, read: Reader | None) -> Iterator[Hit]:
    """The module's obfuscation hit, and the hits of code found inside its literal layers
    (read by `read`, at the reach of the code that holds them; None: too deep to go on)."""
    survey = Survey(module.tree, module.data, module.names, module.whole, module.top_calls)
    survey.run()
    own, rest = _profiles(survey)
    lines = module.data.decode("utf-8", "replace").splitlines()
    # the functions of a module that loads on its own run when called, but they are there
    loaded = R.COMMAND if module.reach.rank >= R.IMPORT.rank else R.RUNTIME
    for check, rate in RATINGS:
        automatic = rate(own, module.reach) if own.counts else None
        anywhere = rate(rest, loaded) if rest.counts else None
        if automatic is not None and (anywhere is None or automatic >= anywhere):
            yield _hit(check, own, automatic, module.reach, lines)
        elif anywhere is not None:
            yield _hit(check, rest, anywhere, R.RUNTIME, lines)
    if read is not None:
        for layer in survey.layers:
            reach = module.reach if layer.automatic else R.RUNTIME
            yield from (_relocated(hit, layer) for hit in read(layer.tree, layer.source, reach))


def _profiles(survey: Survey) -> tuple[Profile, Profile]:
    """The code that runs on its own, and all the code."""
    own, everything = Profile(), Profile()
    for found in survey.found:
        for profile in (own, everything) if found.automatic else (everything,):
            profile.add(found.technique, found.node, found.revealed)
            profile.hides_sink |= found.hides_sink
    for automatic in survey.payload_sinks:
        own.hides_payload |= automatic
        everything.hides_payload = True
    return own, everything


def _hit(check: str, profile: Profile, severity: Severity, reach: Reach, lines: list[str]) -> Hit:
    node = min(profile.first.values(), key=lambda n: getattr(n, "lineno", 1))
    line = getattr(node, "lineno", 1)
    techniques = ", ".join(f"{t} x{n}" for t, n in sorted(profile.counts.items()))
    if check == "code.decode-exec":
        what = f"runs what its obfuscation ({techniques}) hides with exec, eval or compile"
    else:
        sink = " and reaches exec, eval or compile through it" if profile.hides_sink else ""
        what = f"obfuscates its code ({techniques}){sink}"
    extra: dict[str, object] = {"technique": "obfuscator", "techniques": dict(profile.counts)}
    if profile.revealed:
        extra["revealed"] = list(profile.revealed)
    snippet = lines[line - 1].strip()[:200] if line <= len(lines) else ""
    return Hit(check, severity, line, line, snippet, what, reach, extra)


def _relocated(hit: Hit, layer: Layer) -> Hit:
    """A hit inside decoded code, placed on the literal that hides it; a hit from a deeper
    layer names every layer, outermost first."""
    line = getattr(layer.node, "lineno", 1)
    end = getattr(layer.node, "end_lineno", line) or line
    what, inner = hit.what, hit.extra.get("decoded")
    if inner is not None:
        what = what.removesuffix(f" (in code hidden by {inner})")
    hidden = " + ".join([*layer.steps, *([inner] if inner else [])])
    what = f"{what} (in code hidden by {hidden})"
    return replace(hit, line=line, end_line=end, what=what, extra={**hit.extra, "decoded": hidden})


def worth_reading(data: bytes, reach: Reach) -> bool:
    """Cheap byte scans for the ingredients of obfuscation: most files have none. Code that
    runs only when called matters when it hides exec or builtins: escapes, builtins looked up,
    marshal. Where code loads on its own, generated names and literal layers count too, and
    setup.py and startup code are always read."""
    if reach.rank >= R.STARTUP.rank and (
        not data.isascii() or any(word in data for word in STARTUP_WORDS)
    ):
        return True  # setup.py, .pth lines, build backends: any sink, lookup or spelled text
    if b"builtins" in data and BUILTINS_LOOKUP.search(data):
        return True
    if (b"marshal" in data and b"loads" in data) or spelled_in_escapes(data):
        return True
    if reach is R.RUNTIME:
        return False
    if (b"IlI" in data and IL_NAME.search(data)) or (b"O0O" in data and O0_NAME.search(data)):
        return True
    if b"____" in data and UNDERSCORE_NAME.search(data):
        return True
    return any(word in data for word in LAYER_WORDS) and LONG_LITERAL.search(data) is not None


# Everything obfuscated code that runs on its own needs: a sink, a lookup by computed name,
# text spelled in codes or escapes, a decoder. A plain setup.py has none of them.
STARTUP_WORDS = (
    b"exec",
    b"eval",
    b"compile",
    b"import_",
    b"builtins",
    b"getattr",
    b"globals",
    b"vars(",
    b"__dict__",
    b"marshal",
    b"chr(",
    b"\\x",
    b"\\u",
    b"\\0",
    b"\\1",
    b"b64decode",
    b"b85decode",
    b"b32decode",
    b"a85decode",
    b"decodebytes",
    b"codecs",
    b"decompress",
    b"fromhex",
    b"unhexlify",
    b"lambda",
    b"IlI",
    b"O0O",
    b"____",
    b"_0x",
)


BUILTINS_LOOKUP = re.compile(rb"getattr\(\s*(?:__)?builtins")
LAYER_WORDS = (
    b"b64decode",
    b"b85decode",
    b"b32decode",
    b"decodebytes",
    b"decompress",
    b"fromhex",
    b"unhexlify",
)
# a run of base64, base32, hex or base85 characters
LONG_LITERAL = re.compile(rb"[A-Za-z0-9+/=!#$%&()*;<>?@^_`{|}~-]{120,}")
# generated names: I/l and O/0 mixes, runs of underscores (a word first: the scans are cheap)
IL_NAME = re.compile(rb"\b_*[Il][Il1_]{5,}\b")
O0_NAME = re.compile(rb"\b_*[Oo][O0o_]{5,}\b")
UNDERSCORE_NAME = re.compile(rb"(?<![\w#])_{4,}\s*[=(,)]")
