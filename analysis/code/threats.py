"""Pair capabilities found in one scope into threats, rated by where the scope runs."""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from analysis.code import commands
from analysis.code.facts import SOURCES, STRONG_SOURCES, Fact, Scope, weak_receiver
from analysis.code.hits import Hit, Reach
from analysis.code.names import Names
from analysis.model import Severity

C, H, M, L, N = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
R = Reach
EXFIL = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: H, R.COMMAND: H, R.RUNTIME: M}
DECODE_EXEC = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: H, R.RUNTIME: H}
DOWNLOAD_EXEC = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
SHADY_PAIRED = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: M}
SHADY_ALONE = {R.INSTALL: L, R.STARTUP: L, R.IMPORT: L, R.COMMAND: L, R.RUNTIME: N}
WEAK_PAIRED = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: M, R.COMMAND: L, R.RUNTIME: L}
CREDENTIALS = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: L, R.COMMAND: L, R.RUNTIME: N}
LOLBIN = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
REVERSE_SHELL = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: H, R.RUNTIME: M}
# Running a program is a capability: builds run sass, jekyll, pnpm, ant. Asking who and where
# the machine is, is reconnaissance.
OTHER_PROCESS = {R.INSTALL: L, R.STARTUP: L, R.IMPORT: L}
RECON = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: M, R.COMMAND: L}
SHELL_PROCESS = {R.INSTALL: L, R.STARTUP: L}
TRICK = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: M, R.COMMAND: L, R.RUNTIME: L}
HIDDEN_EXEC = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
PAYLOAD_MIN = 16  # a literal this long inside an exec'd expression is a payload, not a name


class Threats:
    """The threat rules over one parsed member; `lines` give snippets."""

    def __init__(self, names: Names, lines: Sequence[str]) -> None:
        self.names = names
        self.lines = lines

    def scope(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        kinds = scope.kinds()
        if "sink" in kinds:
            yield from self._exec(scope, reach)
        if "send" in kinds and kinds & SOURCES:
            yield from self._exfiltration(scope, reach)
        if "spawn" in kinds:
            yield from self._spawns(scope, reach)
        if "download" in kinds and kinds & {"chmod", "spawn"}:
            yield from self._download_run(scope, reach)
        if "shady" in kinds:
            yield from self._shady(scope, reach, bool(kinds & {"send", "sink", "spawn"}))
        if "cred" in kinds and "send" not in kinds:
            yield from self._simple(scope, reach, "cred", "code.credential-access", CREDENTIALS)
        if "trick" in kinds:
            yield from self._tricks(scope, reach)
        if "blob" in kinds:
            yield from self._blobs(scope, reach)

    def hit(self, check: str, severity: Severity, node: ast.AST, what: str, reach: Reach,
            **extra: object) -> Hit:  # fmt: skip
        line = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", line) or line
        return Hit(check, severity, line, end, self.snippet(node), what, reach, extra)

    def snippet(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", 1)
        end = getattr(node, "end_lineno", line) or line
        text = " ".join(s.strip() for s in self.lines[line - 1 : min(end, line + 3)])
        return text[:200]

    def _exec(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        for sink in scope.of("sink"):
            args = [
                *getattr(sink.node, "args", ()),
                *(k.value for k in getattr(sink.node, "keywords", ())),
            ]
            for arg in args:
                decoded = scope.flows(arg, frozenset({"decode"}))
                fetched = scope.flows(arg, frozenset({"download", "send"}))
                if fetched:
                    table = {**DOWNLOAD_EXEC, R.RUNTIME: M, R.COMMAND: H}
                    what = f"runs code fetched from the network with {sink.detail}"
                    yield self.hit("code.download-exec", table[reach], sink.node, what, reach)
                elif decoded:
                    yield self._decode_exec(scope, sink, decoded, arg, reach)
                else:
                    continue
                break

    def _decode_exec(self, scope: Scope, sink: Fact, decoded: list[Fact], arg: ast.AST,
                     reach: Reach) -> Hit:  # fmt: skip
        severity = DECODE_EXEC[reach]
        if not self._has_payload(scope, arg):  # data from elsewhere, not a literal shipped here
            severity = {R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}.get(reach, severity)
        steps = sorted({d.detail for d in decoded})
        what = f"passes {' + '.join(steps)} output to {sink.detail}"
        return self.hit("code.decode-exec", severity, sink.node, what, reach, decoders=steps)

    def _has_payload(self, scope: Scope, arg: ast.AST) -> bool:
        nodes = [arg]
        used = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
        nodes += [value for targets, value in scope.assigns if used & set(targets)]
        strings = self.names.strings
        return any(
            (
                isinstance(n, ast.Constant)
                and isinstance(n.value, str | bytes)
                and len(n.value) >= PAYLOAD_MIN
            )
            or (isinstance(n, ast.Name) and len(strings.get(n.id, "")) >= PAYLOAD_MIN)
            for node in nodes
            for n in ast.walk(node)
        )

    def _exfiltration(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        strong = scope.of(*STRONG_SOURCES)
        shady = [f.detail for f in scope.of("shady")]
        for send in scope.of("send"):
            flow = scope.flows(send.node, SOURCES)
            severity = self._exfil_severity(reach, bool(flow), bool(strong), bool(shady))
            if severity < L:
                continue
            sources = sorted({f.detail for f in flow or strong})
            what = f"sends {', '.join(sources)} over the network with {send.detail}"
            yield self.hit("code.exfiltration", severity, send.node, what, reach,
                           sources=sources, urls=shady[:3])  # fmt: skip
            return  # one send per scope tells the story

    @staticmethod
    def _exfil_severity(reach: Reach, flow: bool, strong: bool, shady: bool) -> Severity:
        if not flow and not strong:
            return N
        if reach is R.RUNTIME:
            level = M if strong and flow else L
            return H if shady and flow else level
        return EXFIL[reach]

    def _spawns(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        # A socket dup2'ed onto the standard streams hands whatever runs next to the far end.
        wired = "dup2" in scope.kinds() and any(
            f.detail.startswith("socket.") for f in scope.of("send")
        )
        for spawn in scope.of("spawn"):
            node = spawn.node
            command = commands.command_text(_program(scope, _first_arg(node)), self.names)
            kind = "reverse-shell" if wired else commands.classify(command)
            check, severity = _process_rating(kind, reach)
            if severity >= L:
                runs = f"runs {command!r}" if command else "runs a process"
                tail = (
                    " on a socket dup2'ed to its standard streams: a reverse shell" if wired else ""
                )
                what = f"{runs} with {spawn.detail}{tail}"
                yield self.hit(check, severity, node, what, reach, command=command or "", kind=kind)

    def _download_run(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        runs = scope.of("chmod") or [
            s for s in scope.of("spawn")
            if commands.classify(commands.command_text(_first_arg(s.node), self.names)) not in {"build", "shell"}
        ]  # fmt: skip
        if runs:
            what = f"downloads a file and runs or marks it executable with {runs[0].detail}"
            yield self.hit("code.download-exec", DOWNLOAD_EXEC[reach], runs[0].node, what, reach)

    def _shady(self, scope: Scope, reach: Reach, paired: bool) -> Iterator[Hit]:
        for fact in scope.of("shady"):
            strong = SHADY_PAIRED if not weak_receiver(fact.detail) else WEAK_PAIRED
            table = strong if paired else SHADY_ALONE
            what = f"names the URL {fact.detail[:80]!r}" + (
                " next to a network send or exec" if paired else ""
            )
            # an info hit (runtime, alone) is dropped by report.findings
            yield self.hit("code.shady-url", table[reach], fact.node, what, reach, url=fact.detail)

    def _simple(self, scope: Scope, reach: Reach, kind: str, check: str,
                table: dict[Reach, Severity]) -> Iterator[Hit]:  # fmt: skip
        for fact in scope.of(kind):  # info hits are dropped by report.findings
            yield self.hit(check, table[reach], fact.node, f"reads {fact.detail!r}", reach)

    def _tricks(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        for fact in scope.of("trick"):
            names = ("'exec'", "'eval'", "'compile'", "'__import__'")
            execish = any(n in fact.detail for n in names) and "literal" not in fact.detail
            table = HIDDEN_EXEC if "built-up" in fact.detail else TRICK
            severity = table[reach] if execish else L
            what = f"reaches builtins indirectly with {fact.detail}"
            yield self.hit(
                "code.obfuscation", severity, fact.node, what, reach, technique="builtins"
            )

    def _blobs(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        for fact in scope.of("blob"):
            value: str = fact.node.value  # type: ignore[attr-defined]
            bits = entropy(value[:ENTROPY_SAMPLE])
            hexlike = HEX.fullmatch(value[:ENTROPY_SAMPLE]) is not None
            if bits >= HIGH_ENTROPY or hexlike:
                what = (
                    f"holds a {len(value)}-character {'hex' if hexlike else 'high-entropy'} string"
                )
                yield self.hit("code.obfuscation", L, fact.node, what, reach, technique="blob",
                               length=len(value), entropy=round(bits, 2))  # fmt: skip


ENTROPY_SAMPLE = 4096
HIGH_ENTROPY = 5.0  # bits per character: base64 of random bytes is ~6, English prose ~4.2
HEX = re.compile(r"[0-9a-fA-F\s\\x]+")


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    total = len(text)
    return -sum((n / total * math.log2(n / total) for n in Counter(text).values()), 0.0)


def _first_arg(node: ast.AST) -> ast.expr | None:
    return node.args[0] if isinstance(node, ast.Call) and node.args else None


def _program(scope: Scope, command: ast.expr | None) -> ast.expr | None:
    """The command with a variable naming it (or its program) replaced by what the scope last
    assigned it: `exe = os.path.join(here, 'agent'); Popen([exe, '--daemon'])` runs agent."""
    listed = isinstance(command, ast.List | ast.Tuple) and bool(command.elts)
    first = command.elts[0] if listed else command  # type: ignore[union-attr]
    if not isinstance(first, ast.Name):
        return command
    value = next((v for targets, v in reversed(scope.assigns) if targets == [first.id]), None)
    if not isinstance(value, ast.expr):
        return command
    if not listed:
        return value
    if isinstance(value, ast.List | ast.Tuple):
        return command  # a list spliced in as the program: leave it unknown
    return ast.List(elts=[value, *command.elts[1:]], ctx=ast.Load())  # type: ignore[union-attr]


def _process_rating(kind: str, reach: Reach) -> tuple[str, Severity]:
    if kind == "download-run":
        return "code.download-exec", DOWNLOAD_EXEC[reach]
    if kind == "encoded":
        return "code.decode-exec", DECODE_EXEC[reach]
    if kind == "lolbin":
        return "code.process-spawn", LOLBIN[reach]
    if kind == "reverse-shell":
        return "code.process-spawn", REVERSE_SHELL[reach]
    if kind == "recon":
        return "code.process-spawn", RECON.get(reach, N)
    if kind == "other":
        return "code.process-spawn", OTHER_PROCESS.get(reach, N)
    if kind in {"shell", "dynamic"}:
        return "code.process-spawn", SHELL_PROCESS.get(reach, N)
    return "code.process-spawn", N
