"""Pair capabilities found in one scope into threats, rated by where the scope runs."""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace

from analysis.code import commands, vocab
from analysis.code.calls import command_of, link, payload, put_data
from analysis.code.commands import program
from analysis.code.facts import (
    SOURCES,
    STRONG_SOURCES,
    Fact,
    FactKind,
    Scope,
    collect,
    host_of,
    public_ip,
    shady_url,
    weak_receiver,
)
from analysis.code.hits import Hit, Reach
from analysis.code.names import IMPORTERS, UNKNOWN, Names
from analysis.code.vocab import CONNECTS
from analysis.model import Severity

C, H, M, L, N = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
R = Reach
EXFIL = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: H, R.COMMAND: H, R.RUNTIME: M}
DECODE_EXEC = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: H, R.RUNTIME: H}
DOWNLOAD_EXEC = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: H, R.COMMAND: H, R.RUNTIME: L}
# Fetching a tool and marking it executable is what installers of helper binaries do.
DOWNLOAD_CHMOD = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
SHADY_PAIRED = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: M}
SHADY_ALONE = {R.INSTALL: L, R.STARTUP: L, R.IMPORT: L, R.COMMAND: L, R.RUNTIME: N}
WEAK_PAIRED = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: M, R.COMMAND: L, R.RUNTIME: L}
CREDENTIALS = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: L, R.COMMAND: L, R.RUNTIME: N}
# Cloud SDKs name the instance metadata service in constants and ask it when called; an install
# that asks it is after the machine's role credentials.
METADATA = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: N, R.COMMAND: N, R.RUNTIME: N}
LOLBIN = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
REVERSE_SHELL = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: C, R.RUNTIME: H}
# Running a program is a capability: builds run sass, jekyll, pnpm, ant. Asking who and where
# the machine is, is reconnaissance.
OTHER_PROCESS = {R.INSTALL: L, R.STARTUP: L, R.IMPORT: L}
RECON = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: L}
# A Windows program started by name: a dropped binary's start, or a shipped tool's.
LAUNCH = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: M, R.COMMAND: L}
SHELL_PROCESS = {R.INSTALL: L, R.STARTUP: L}
TRICK = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: M, R.COMMAND: L, R.RUNTIME: L}
HIDDEN_EXEC = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}
# A file written from downloaded data or a shipped script, then started: what the victim
# installed the package for runs it, whenever that is.
DROP_DOWNLOAD = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: H, R.RUNTIME: H}
# Tools write a helper script and run it (a build file, a debugger session): only where code
# runs on its own is a shipped script started this way a payload.
DROP_CODE = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: M, R.COMMAND: L, R.RUNTIME: L}
DROP_PAYLOAD = {R.INSTALL: C, R.STARTUP: C, R.IMPORT: C, R.COMMAND: H, R.RUNTIME: H}
PERSIST = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: L, R.RUNTIME: L}
# A download saved as a program and not started here: installers of tools do that on request.
STAGED = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: L, R.RUNTIME: L}
# Sending a key a function is given is theft when called, the reason the victim called it.
SECRET_SENT = {R.INSTALL: H, R.STARTUP: H, R.IMPORT: H, R.COMMAND: M, R.RUNTIME: M}
# A request to a host that serves no code, where code runs on its own: a probe reporting the
# install (dependency confusion) or a first stage. On import, libraries phone home: low.
BEACON = {R.INSTALL: M, R.STARTUP: M, R.IMPORT: L}
WALLET_SECRET = re.compile(
    r"(?:\w+_)?(?:private_?key|priv_?key|mnemonic(?:_?phrase)?|(?:seed|secret|recovery)_?phrase"
    r"|seed_?words)s?",
    re.IGNORECASE,
)
SCRIPT_HOST = re.compile(r"\b(?:cscript|wscript|mshta)\b", re.IGNORECASE)
LITERALS = (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.FormattedValue)
PAYLOAD_MIN = 16  # a literal this long inside an exec'd expression is a payload, not a name
SHIPPED_BLOB = 200  # a module-level base64 or hex literal this long ships a payload
BLOB_TEXT = re.compile(r"[A-Za-z0-9+/=_\\x-]+")


class Threats:
    """The threat rules over one parsed member; `lines` give snippets."""

    def __init__(self, names: Names, lines: Sequence[str], depth: int = 0) -> None:
        self.names = names
        self.lines = lines
        self.depth = depth  # code found in a string of code found in a string...

    def scope(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        # names fold with the scope's own locals (token = '...' in this function)
        self.names.local, self.names.local_strings = scope.local, scope.strings
        kinds = scope.kinds()
        if "sink" in kinds:
            yield from self._exec(scope, reach)
        if "send" in kinds and kinds & SOURCES:
            yield from self._exfiltration(scope, reach)
        elif "send" in kinds and scope.params:
            yield from self._secret_sent(scope, reach)
        if kinds & {"send", "download"} and not kinds & SOURCES and reach in BEACON:
            yield from self._beacon(scope, reach)
        if "spawn" in kinds:
            yield from self._spawns(scope, reach)
        if "download" in kinds and kinds & {"chmod", "spawn"}:
            yield from self._download_run(scope, reach)
        if kinds & {"put", "download", "drop"} and "spawn" in kinds:
            yield from self._drop_run(scope, reach)
        elif {"put", "download"} <= kinds:
            yield from self._staged(scope, reach)
        if "persist" in kinds and kinds & {"put", "registry"} and reach is not R.RUNTIME:
            yield from self._persistence(scope, reach)
        if "shady" in kinds:
            yield from self._shady(scope, reach, bool(kinds & {"send", "sink", "spawn"}))
        if "cred" in kinds and "send" not in kinds:
            yield from self._simple(scope, reach, "cred", "code.credential-access", CREDENTIALS)
        if "imds" in kinds and "send" not in kinds:
            yield from self._simple(scope, reach, "imds", "code.credential-access", METADATA)
        if "trick" in kinds:
            yield from self._tricks(scope, reach)
        if "blob" in kinds:
            yield from self._blobs(scope, reach)

    def hit(
        self,
        check: str,
        severity: Severity,
        node: ast.AST,
        what: str,
        reach: Reach,
        **extra: object,
    ) -> Hit:
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
                yield from self._inline(self.names.fold(arg), reach, sink.node, sink.detail)
                decoded = scope.flows(arg, frozenset({"decode"}))
                fetched = scope.flows(arg, frozenset({"download", "send"}))
                if fetched and sink.detail not in IMPORTERS:  # a module name, not code
                    # When called: code from an address the package names is a trojan's;
                    # from an address it is given, a capability (and old clients parse
                    # responses with eval).
                    trojan = self._fixed_source(scope, arg) and not sink.detail.endswith("eval")
                    table = {**DOWNLOAD_EXEC, R.RUNTIME: H if trojan else L}
                    what = f"runs code fetched from the network with {sink.detail}"
                    yield self.hit("code.download-exec", table[reach], sink.node, what, reach)
                elif decoded:
                    yield self._decode_exec(scope, sink, decoded, arg, reach)
                else:
                    continue
                break

    def _decode_exec(
        self, scope: Scope, sink: Fact, decoded: list[Fact], arg: ast.AST, reach: Reach
    ) -> Hit:
        severity = DECODE_EXEC[reach]
        if not self._has_payload(scope, arg, reach):  # data from elsewhere, not shipped here
            severity = {R.IMPORT: H, R.COMMAND: M, R.RUNTIME: L}.get(reach, severity)
        steps = sorted({d.detail for d in decoded})
        what = f"passes {' + '.join(steps)} output to {sink.detail}"
        return self.hit("code.decode-exec", severity, sink.node, what, reach, decoders=steps)

    def _has_payload(self, scope: Scope, arg: ast.AST, reach: Reach) -> bool:
        """A literal shipped in the file feeds the argument. Where code runs on its own, a
        module-level blob counts even when the names that reach it cannot be followed; when
        called, a long module (icons, test vectors) would make that mean nothing."""
        nodes = [arg]
        used = {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
        nodes += [value for targets, value in scope.assigns if used & set(targets)]
        strings = self.names.strings
        if (reach is not R.RUNTIME or scope.top) and any(
            len(v) >= SHIPPED_BLOB and BLOB_TEXT.fullmatch(v[:SHIPPED_BLOB])
            for v in strings.values()
        ):
            return True
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
        """The strongest send of the scope: one per scope tells the story."""
        shady = [f.detail for f in scope.of("shady")]
        asks = bool(scope.of("ask"))
        rated = []
        for send in scope.of("send"):
            leaf = send.detail.rpartition(".")[2]
            if leaf in CONNECTS:
                continue  # connecting sends nothing; a key or a host given to it is not sent
            if leaf in LOOKUPS and not _built(scope, address_of(send.node)):
                continue  # resolving the host's own name; data goes out in a name built from it
            flow = _not_asking_imds(send.node, scope.flows(send.node, SOURCES))
            strong = scope.of(*STRONG_SOURCES)
            if len(flow) < len(scope.flows(send.node, SOURCES)):  # it asks the metadata service
                strong = [f for f in strong if f.kind != "imds"]
            strong_flow = any(f.kind in STRONG_SOURCES for f in flow)
            # when called, the receiver must be the address of this send, not a URL somewhere
            # else in a long function
            to_shady = bool(shady) if reach is not R.RUNTIME else _to_shady(scope, send.node)
            severity = self._exfil_severity(reach, flow, strong, to_shady, strong_flow, asks)
            if severity >= L:
                rated.append((severity, send, sorted({f.detail for f in flow or strong})))
        if rated:
            severity, send, sources = max(rated, key=lambda r: r[0])
            what = f"sends {', '.join(sources)} over the network with {send.detail}"
            yield self.hit(
                "code.exfiltration",
                severity,
                send.node,
                what,
                reach,
                sources=sources,
                urls=shady[:3],
            )

    def _secret_sent(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        """A wallet's private key or recovery phrase, handed to the function, posted as it is to
        an address written in the code: wallet libraries sign with a key, they never send it."""
        secrets = {p for p in scope.params if WALLET_SECRET.fullmatch(p)}
        if not secrets:
            return
        carriers = {p: p for p in secrets}  # variable -> the secret it holds
        for targets, value in scope.assigns:
            held = secrets & _literal_names(value)
            carriers.update((t, min(held)) for t in targets if held)
        for send in scope.of("send"):
            node = send.node
            if not _fixed_address(self.names, node):
                continue
            sent = [
                n
                for a in [
                    *getattr(node, "args", ())[1:],
                    *(k.value for k in getattr(node, "keywords", ())),
                ]
                for n in _literal_names(a) & carriers.keys()
            ]
            if sent:
                what = f"sends the {carriers[sent[0]]!r} it is given to a fixed address with {send.detail}"
                yield self.hit(
                    "code.exfiltration",
                    SECRET_SENT[reach],
                    node,
                    what,
                    reach,
                    sources=[carriers[sent[0]]],
                )
                return

    @staticmethod
    def _exfil_severity(
        reach: Reach, flow: object, strong: object, shady: object, strong_flow: bool, asks: bool
    ) -> Severity:
        if not flow and not strong:
            return N
        if reach is not R.RUNTIME:
            return EXFIL[reach]
        # When called, which is what it was installed for: secrets sent, anything sent to a
        # receiver made for stolen data, or a keyboard hook next to a send, is high.
        keys = any(f.kind == "keys" for f in strong)  # type: ignore[attr-defined]
        if asks and not shady and not keys:
            return L  # a report tool asks the person at the keyboard before sending
        return H if strong_flow or (flow and shady) or keys else L  # keys: a keylogger

    def _spawns(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        # A socket dup2'ed onto the standard streams hands whatever runs next to the far end.
        wired = "dup2" in scope.kinds() and any(
            f.detail.startswith("socket.") for f in scope.of("send")
        )
        for spawn in scope.of("spawn"):
            node = spawn.node
            code = _python_c(command_of(node), self.names)
            yield from self._inline(code, reach, node, f"python -c through {spawn.detail}")
            command, kind = self._command(scope, command_of(node), reach)
            remote = self._remote(scope, command_of(node), kind)
            if remote and reach is R.RUNTIME and not self._controlled(scope, command_of(node)):
                remote = False  # commands fetched from where the caller says: a tool's remote run
            kind = "reverse-shell" if wired or remote else kind
            check, severity = _process_rating(kind, reach)
            if reach in BEACON and kind not in BEACON_COVERED and (host := _fetched_host(command)):
                what = f"contacts {host} with {program(command or '')}"
                yield self.hit("code.beacon", BEACON[reach], node, what, reach, host=host)
            if (
                kind == "download-run"
                and reach is R.RUNTIME
                and (scope.of("shady") or HIDING.search(command or ""))
            ):
                severity = H  # a fetch piped into a shell that hides, or from a payload host
            if severity >= L:
                runs = f"runs {command!r}" if command else "runs a process"
                tail = (
                    " on a socket dup2'ed to its standard streams: a reverse shell"
                    if wired
                    else ": a command received from the network, a remote shell"
                    if remote
                    else ""
                )
                what = f"{runs} with {spawn.detail}{tail}"
                yield self.hit(check, severity, node, what, reach, command=command or "", kind=kind)

    def _beacon(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        """The first request of the scope to a written-out address on a host that serves no
        code; one per scope tells the story."""
        for fact in scope.of("send", "download"):
            host = _beacon_host(_address_text(self.names, fact.node))
            if host is not None:
                what = f"contacts {host} with {fact.detail}"
                yield self.hit("code.beacon", BEACON[reach], fact.node, what, reach, host=host)
                return

    def _decodes_literal(self, scope: Scope, node: ast.AST) -> bool:
        """A decoder feeding `node` is given a literal the package ships (a blob, not data)."""
        inside = {id(n) for part in _feeding(scope, node) for n in ast.walk(part)}
        for fact in scope.of("decode"):
            func = getattr(fact.node, "func", None)
            given = [*getattr(fact.node, "args", ())[:1], getattr(func, "value", None)]
            sizes = [self._literal_size(g) for g in given if isinstance(g, ast.expr)]
            if id(fact.node) in inside and any(n >= PAYLOAD_MIN for n in sizes):
                return True
        return False

    def _fetched_files(self, scope: Scope) -> set[str]:
        """The file names at the end of the URLs the scope fetches (…/setup.exe?dl=1)."""
        return {
            url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
            for url in self._fetched_urls(scope)
        }

    def _fetched_urls(self, scope: Scope) -> list[str]:
        """The URLs the scope downloads from, where the code writes them."""
        texts = (_address_text(self.names, fact.node) for fact in scope.of("download"))
        return [text for text in texts if text is not None and "://" in text]

    def _literal_size(self, node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            return len(node.value)
        return len(self.names.fold(node) or "")

    def _fixed_source(self, scope: Scope, arg: ast.AST) -> bool:
        """What `arg` runs was fetched from an address written into the package (the fetch is
        in the argument or in what its names were assigned), or the scope names a payload
        host."""
        inside = {id(n) for node in _feeding(scope, arg, rounds=5) for n in ast.walk(node)}
        for fact in scope.of("download", "send"):
            if id(fact.node) not in inside:
                continue
            text = _address_text(self.names, fact.node)
            if (text is not None and "://" in text) or self._hidden_literal(
                scope, address_of(fact.node)
            ):
                return True
        # a payload host; an IP lookup service or a bare address hosts no code of its own
        return any(not weak_receiver(f.detail) for f in scope.of("shady"))

    def _hidden_literal(self, scope: Scope, target: ast.AST | None) -> bool:
        """An address decoded from a literal the package ships (`bytes.fromhex('6874...')`):
        written into the package, and hidden from the reader."""
        name = getattr(target, "id", None)  # a variable, not an expression
        values = [value for targets, value in scope.assigns if name in targets]
        known = self.names.local_strings.keys() | self.names.strings.keys()

        def shipped(node: ast.AST) -> bool:
            if isinstance(node, ast.Name):
                return node.id in known
            return isinstance(node, ast.Constant) and len(str(node.value)) >= PAYLOAD_MIN

        return bool(values) and all(
            scope.flows(value, frozenset({"decode"}))
            and any(shipped(n) for n in ast.walk(value))
            and not any(isinstance(n, ast.Name) and n.id in scope.params for n in ast.walk(value))
            for value in values
        )

    @staticmethod
    def _remote(scope: Scope, command: ast.expr | None, kind: str) -> bool:
        """A command a socket received, or a whole command line fetched from the network (a
        URL fetched into `git clone {url}` is an argument, not a command)."""
        if command is None:
            return False
        if scope.flows(command, frozenset({"recv"})):
            return True
        if kind != "dynamic":
            return False
        # the command itself is the answer (r.text, r.json()['cmd']), not a list or a string
        # that an answer fills in
        if isinstance(command, BUILT):
            return False
        parts = _feeding(scope, command, rounds=2, whole=True)
        inside = {id(n) for part in parts for n in ast.walk(part)}
        return any(id(f.node) in inside for f in scope.of("download"))

    def _controlled(self, scope: Scope, command: ast.expr | None) -> bool:
        """Commands come from someone else's machine: a socket's far end, or an address the
        package itself names."""
        assert command is not None  # _remote found where it came from
        return bool(scope.flows(command, frozenset({"recv"}))) or self._fixed_source(scope, command)

    def _inline(self, code: str | None, reach: Reach, at: ast.AST, how: str) -> Iterator[Hit]:
        """The threats in Python code a string holds and the module runs (exec('...'),
        python -c '...'), reported at the place that runs it."""
        if code is None or len(code) < MIN_INLINE or self.depth >= MAX_DEPTH:
            return
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            return
        names = Names()
        names.learn(tree.body)
        scopes = collect(tree, names)
        link(scopes)
        inner = Threats(names, code.splitlines(), self.depth + 1)
        outer = self.hit("", N, at, "", reach)
        for scope in scopes:
            for hit in inner.scope(scope, reach):
                yield replace(
                    hit,
                    line=outer.line,
                    end_line=outer.end_line,
                    what=f"{hit.what} in the code it runs with {how}",
                )

    def _command(
        self, scope: Scope, first: ast.expr | None, reach: Reach
    ) -> tuple[str | None, str]:
        """The command text and its class. A command decoded from a literal is read as what it
        decodes to; one decoded from elsewhere is hidden, which is what encoded means."""
        command = commands.command_text(_program(scope, first), self.names)
        kind = commands.classify(command)
        if first is None or not scope.flows(first, frozenset({"decode"})):
            return command, kind
        revealed = next(filter(None, map(commands.decoded_text, _literals(first))), None)
        if revealed is not None:
            return revealed, max(commands.classify(revealed), "encoded", key=STRENGTH.index)
        # a command hidden in a blob the package ships; decoded data from elsewhere (a file,
        # an answer) in a command is what tools do
        hidden = reach is not R.RUNTIME or self._decodes_literal(scope, first)
        return command, "encoded" if hidden else kind

    def _download_run(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        texts = [
            (s, commands.command_text(command_of(s.node), self.names)) for s in scope.of("spawn")
        ]
        runs = [s for s, text in texts if commands.classify(text) not in {"build", "shell"}]
        runs = runs or scope.of("chmod")
        if runs:
            # updaters and tool installers do this; _drop_run sees what is run
            severity = DOWNLOAD_CHMOD[reach]
            hosted = any(SCRIPT_HOST.search(text or "") for _, text in texts)  # runs a script file
            if reach is R.RUNTIME and (hosted or self._from_bare_ip(scope) or scope.of("persist")):
                severity = M  # no updater fetches from a bare address or adds itself to logins
            what = f"downloads a file and runs or marks it executable with {runs[0].detail}"
            yield self.hit("code.download-exec", severity, runs[0].node, what, reach)

    def _from_bare_ip(self, scope: Scope) -> bool:
        """A download from a literal public IP address rather than a host name."""
        return any(public_ip(host_of(url)) for url in self._fetched_urls(scope))

    def _drop_run(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        """A file written from decoded, downloaded or shipped code, then started: a dropper. The
        start must name what was written (its path variable, file object or file name), so a
        build that writes a version file and runs a compiler stays quiet."""
        starts = [(s, self._program_words(s)) for s in scope.of("spawn")]
        for written, carried in self._written(scope):
            run = next((s for s, program in starts if written & program), None)
            if run is not None:
                check, table, what = carried
                severity = table[reach]
                gated = table is not DROP_PAYLOAD  # a script that fetches and runs code is one
                if reach is R.RUNTIME and gated and not self._disguised(scope, run, written):
                    severity = L  # tools fetch a helper binary or script and run it
                text = f"writes {what} to a file and starts it with {run.detail}"
                yield self.hit(check, severity, run.node, text, reach)
                return

    def _persistence(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        """A shell start-up file, Startup folder, Run key or cron entry written where code runs
        on its own: what it adds runs at every login, long after the install."""
        place = scope.of("persist")[0]
        write = (scope.of("put") or scope.of("registry"))[0]
        what = f"writes to {place.detail!r}, which runs by itself later, with {write.detail}"
        yield self.hit(
            "code.persistence", PERSIST[reach], write.node, what, reach, place=place.detail
        )

    def _staged(self, scope: Scope, reach: Reach) -> Iterator[Hit]:
        """Downloaded data saved under a Windows program's name where code runs on its own: the
        first half of a dropper (the start may come later, from elsewhere)."""
        for put in scope.of("put"):
            words = _path_words(scope, put.node)
            named = sorted(w for w in words if EXECUTABLE.search(w))
            if named and payload(scope, put.node) == "download":
                what = f"saves downloaded data as {named[0]!r}"
                yield self.hit("code.download-exec", STAGED[reach], put.node, what, reach)
                return

    def _program_words(self, spawn: Fact) -> set[str]:
        """What names the program a spawn starts (not the files it is given): the first element
        of an argument list or the first word of a command line, runners (python, start,
        cmd /c, sh) skipped; a program named by a variable is named by the variable."""
        first = command_of(spawn.node)
        if isinstance(first, ast.List | ast.Tuple):
            program = next((e for e in first.elts if not self._runner(e)), None)
            return _words(program) if program is not None else set()
        if first is None:
            return set()
        text = commands.command_text(first, self.names) or UNKNOWN
        token = next(
            (
                t
                for t in text.split()
                if t.strip("'\"").lower() not in RUNNER_WORDS and not t.startswith("-")
            ),
            "",
        )
        known = {p for p in _path_pieces(token) if UNKNOWN not in p}  # '{}/config.py' names it
        variables = {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
        if isinstance(first, ast.Name | ast.Attribute):  # Popen(exe): exe is the program
            return (known | _words(first)) - COMMON_WORDS
        return (known or variables) - COMMON_WORDS

    def _runner(self, node: ast.expr) -> bool:
        text = self.names.fold(node) or self.names.qualname(node) or ""
        return text.lower() in RUNNER_WORDS or text == "sys.executable" or text.startswith("-")

    def _disguised(self, scope: Scope, run: Fact, written: set[str]) -> bool:
        """What separates a dropper from a tool installer when it runs only on request: a
        Windows program or script, a receiver made for payloads, or a start that hides."""
        command = commands.command_text(_program(scope, command_of(run.node)), self.names) or ""
        named = written | _path_pieces(command)
        keywords = {k.arg for k in getattr(run.node, "keywords", ())}
        return (
            any(EXECUTABLE.search(w) for w in named | self._fetched_files(scope))
            or bool(scope.of("shady"))
            or bool(keywords & {"creationflags", "startupinfo"})
            or HIDING.search(command) is not None
        )

    def _written(
        self, scope: Scope
    ) -> Iterator[tuple[set[str], tuple[str, dict[Reach, Severity], str]]]:
        """(words naming the file, what it holds) for each write of a payload to a file, and
        each download straight into one (urlretrieve(url, 'x.exe'))."""
        for put in scope.of("put"):
            carried = self._carried(scope, put)
            if carried is not None:
                yield _path_words(scope, put.node), carried
        for drop in scope.of("drop"):  # a helper that saves a payload to the file it is given
            yield _words(drop.node) - _words(drop.node.func), CARRIED[drop.detail]  # type: ignore[attr-defined]
        for fetch in scope.of("download"):
            target = destination(fetch.node) if fetch.detail.endswith(SAVERS) else None
            if target is not None:
                yield _words(target), ("code.download-exec", DROP_DOWNLOAD, "downloaded data")

    def _carried(self, scope: Scope, put: Fact) -> tuple[str, dict[Reach, Severity], str] | None:
        """What a write puts in its file, when that is a payload: the check, table and words."""
        carried = payload(scope, put.node)
        if carried is not None:
            return CARRIED[carried]
        data = put_data(put.node)
        texts = list(self._texts(data)) if data is not None else []
        if any(PAYLOAD_TEXT.search(t) for t in texts):
            return "code.download-exec", DROP_PAYLOAD, "a script that fetches or runs code"
        if any(CODE_TEXT.search(t) or HOST_SCRIPT_TEXT.search(t) for t in texts):
            return "code.decode-exec", DROP_CODE, "code it ships as a string"
        return None

    def _texts(self, data: ast.AST) -> Iterator[str]:
        """The literals a value is made of, directly or through a name holding one."""
        for n in ast.walk(data):
            if isinstance(n, ast.Constant) and isinstance(n.value, str | bytes):
                yield n.value if isinstance(n.value, str) else n.value.decode("latin-1")
            elif isinstance(n, ast.Name):
                yield self.names.fold(n) or ""

    def _shady(self, scope: Scope, reach: Reach, paired: bool) -> Iterator[Hit]:
        for fact in scope.of("shady"):
            strong = SHADY_PAIRED if not weak_receiver(fact.detail) else WEAK_PAIRED
            table = strong if paired else SHADY_ALONE
            what = f"names the URL {fact.detail[:80]!r}" + (
                " next to a network send or exec" if paired else ""
            )
            # an info hit (runtime, alone) is dropped by report.findings
            yield self.hit("code.shady-url", table[reach], fact.node, what, reach, url=fact.detail)

    def _simple(
        self, scope: Scope, reach: Reach, kind: FactKind, check: str, table: dict[Reach, Severity]
    ) -> Iterator[Hit]:
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
                yield self.hit(
                    "code.obfuscation",
                    L,
                    fact.node,
                    what,
                    reach,
                    technique="blob",
                    length=len(value),
                    entropy=round(bits, 2),
                )


# A shipped string that is a script, not data.
CODE_TEXT = re.compile(r"\bimport\s+\w|^\s*(?:def|class)\s+\w|@echo\s+off|^#!", re.I | re.M)
# A shipped script that fetches or runs code: what a dropper writes.
PAYLOAD_TEXT = re.compile(
    r"\bexec\s*\(|\beval\s*\(|urlopen\s*\(|urlretrieve\s*\(|requests\.get\s*\(|b64decode"
    r"|Invoke-WebRequest|DownloadString|DownloadFile|\bIEX\b",
    re.IGNORECASE,
)
# A script for a shell or a script host: what schedulers and installers write too.
HOST_SCRIPT_TEXT = re.compile(r"powershell|WScript\.Shell|CreateObject\(|\bcurl\s|\bwget\s", re.I)


# Command classes from the weakest up: a decoded command is at least "encoded".
STRENGTH = (
    "dynamic",
    "build",
    "other",
    "shell",
    "launch",
    "recon",
    "lolbin",
    "encoded",
    "exfil",
    "download-run",
    "reverse-shell",
)


MIN_INLINE = 20  # characters: shorter strings handed to exec are expressions, not programs
MAX_DEPTH = 3
PYTHONS = re.compile(r"(?:^|[/\\])(?:python[\d.]*w?|pythonw?\.exe|py)$", re.IGNORECASE)


def _python_c(command: ast.expr | None, names: Names) -> str | None:
    """The program of `[sys.executable, '-c', CODE]`: CODE when it folds to text."""
    if not isinstance(command, ast.List | ast.Tuple) or len(command.elts) < 3:
        return None
    program = names.fold(command.elts[0]) or names.qualname(command.elts[0]) or ""
    if program != "sys.executable" and not PYTHONS.search(program):
        return None
    flags = [names.fold(e) for e in command.elts[1:-1]]
    return names.fold(command.elts[-1]) if flags and flags[-1] == "-c" else None


def _literals(node: ast.AST) -> Iterator[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str | bytes):
            yield n.value if isinstance(n.value, str) else n.value.decode("latin-1")


CARRIED = {
    "download": ("code.download-exec", DROP_DOWNLOAD, "downloaded data"),
    "decode": ("code.decode-exec", DECODE_EXEC, "decoded data"),
}
# Words before the program on a command line: interpreters and launchers that start the file
# named next, and their flags.
RUNNER_WORDS = frozenset(
    {
        '""',
        "&",
        "-executionpolicy",
        "-file",
        "-noprofile",
        "-windowstyle",
        "./",
        "/b",
        "/c",
        "/k",
        "/min",
        "/wait",
        "bash",
        "bypass",
        "call",
        "cmd",
        "cmd.exe",
        "cscript",
        "cscript.exe",
        "exec",
        "hidden",
        "invoke-item",
        "nohup",
        "open",
        "powershell",
        "powershell.exe",
        "py",
        "python",
        "python.exe",
        "python3",
        "pythonw",
        "pythonw.exe",
        "pyw",
        "sh",
        "start",
        "start-process",
        "sudo",
        "wscript",
        "wscript.exe",
        "xdg-open",
        "zsh",
    }
)
EXECUTABLE = re.compile(
    r"\.(?:exe|scr|bat|cmd|vbs|vbe|js|jse|hta|ps1|pyw|msi|jar|com|pif|dll)$", re.IGNORECASE
)
# A start that hides its window or its output, or leaves it running in the background.
HIDING = re.compile(
    r"\bstart\s+/b\b|pythonw|-w(?:indowstyle)?\s+hidden|\bnohup\b|>\s*/dev/null|&\s*$"
    r"|\bdisown\b|CREATE_NO_WINDOW|DETACHED_PROCESS",
    re.IGNORECASE,
)
SAVERS = ("urlretrieve", "wget.download")  # downloads that write the file themselves


def _not_asking_imds(send: ast.AST, flow: list[Fact]) -> list[Fact]:
    """Cloud SDKs ask the metadata service for the machine's token: a request whose address is
    the metadata service is that, not a theft; its answer sent elsewhere is one."""
    target = address_of(send)
    if target is None or not any(f.kind == "imds" for f in flow):
        return flow
    inside = {id(n) for n in ast.walk(target)}
    asked = any(f.kind == "imds" and id(f.node) in inside for f in flow)
    return [f for f in flow if f.kind != "imds" or not asked]


BUILT = (ast.List, ast.Tuple, ast.JoinedStr, ast.BinOp, ast.Dict, ast.Set)
LOOKUPS = frozenset({"getaddrinfo", "gethostbyname", "gethostbyname_ex", "query", "resolve"})


def _built(scope: Scope, node: ast.AST | None) -> bool:
    """Built from pieces, directly or in the variable it is (d = user + '.' + host + '.x.io')."""
    if isinstance(node, ast.Name):
        return any(node.id in targets and isinstance(v, BUILT) for targets, v in scope.assigns)
    return isinstance(node, BUILT)


def _feeding(scope: Scope, node: ast.AST, rounds: int = 3, whole: bool = False) -> list[ast.AST]:
    """`node` and the values assigned to the names it uses, and to theirs, a few steps back
    (`whole`: only through values that are not built from pieces)."""
    found = [node]
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    for _ in range(rounds):
        values = [value for targets, value in scope.assigns if names & set(targets)]
        values = [v for v in values if not (whole and isinstance(v, BUILT))]
        found += values
        names |= {n.id for v in values for n in ast.walk(v) if isinstance(n, ast.Name)}
    return found


def _to_shady(scope: Scope, send: ast.AST) -> bool:
    """The send goes to a receiver made for stolen data: its address names one (directly, held
    in a variable, or in a module-level constant the send was found to use)."""
    if any(f.kind == "shady" and f.node is send for f in scope.facts):
        return True
    target = address_of(send)
    return target is not None and bool(scope.flows(target, frozenset({"shady"})))


def _literal_names(node: ast.AST) -> set[str]:
    """Variables written as they are into a literal: `x`, `{'k': x}`, `[x]`, `f'{x}'`; not
    what a call makes of them (a signature made with a key is not the key)."""
    found: set[str] = set()
    todo = [node]
    while todo:
        item = todo.pop()
        kind = type(item)
        if kind is ast.Name:
            found.add(item.id)  # type: ignore[attr-defined]
        elif kind in LITERALS:
            todo += [c for c in ast.iter_child_nodes(item) if isinstance(c, ast.expr)]
    return found


def _fixed_address(names: Names, send: ast.AST) -> bool:
    """The send's address is written in the code: a URL, or a variable or constant holding one."""
    target = address_of(send)
    if isinstance(target, ast.JoinedStr) and target.values:
        target = target.values[0]  # f'https://host/{path}': the host is written down
    text = names.fold(target) if isinstance(target, ast.expr) else None
    return text is not None and text.startswith(("http://", "https://"))


def _address_text(names: Names, send: ast.AST) -> str | None:
    """The text of where a send or download goes, when it is written in the code."""
    target = address_of(send)
    return names.fold(target) if isinstance(target, ast.expr) else None


def _beacon_host(text: str | None) -> str | None:
    """The host of the first URL in `text` when a request to it reports to someone: not a code
    host, no placeholder or local name, and not a shady one (those have their own rule)."""
    urls = vocab.URL.findall(text) if text is not None and "://" in text else []
    if not urls:
        return None
    host = host_of(urls[0]).lower()
    if (
        "{" in host
        or "." not in host
        or shady_url(urls[0])
        or vocab.CODE_HOST.search(host)
        or vocab.NOWHERE_HOST.search(host)
    ):
        return None
    return host


def _fetched_host(command: str | None) -> str | None:
    """The host a curl or wget command line asks, when it is a beacon's."""
    fetch = vocab.SHELL_FETCH.search(command or "")
    return _beacon_host(fetch.group(1)) if fetch else None


# Command kinds that already say more than "it contacts a host".
BEACON_COVERED = frozenset({"download-run", "encoded", "exfil", "reverse-shell"})


def address_of(send: ast.AST) -> ast.AST | None:
    """Where a send goes: its first argument or url=; for urlopen(req).read(), urlopen's."""
    if not isinstance(send, ast.Call):
        return None
    inner = getattr(send.func, "value", None)
    if not send.args and isinstance(inner, ast.Call):
        return address_of(inner)
    if send.args:
        return send.args[0]
    return next((k.value for k in send.keywords if k.arg == "url"), None)


def destination(node: ast.AST) -> ast.AST | None:
    """Where a download call saves its file: urlretrieve(url, filename), wget.download(url,
    out=...)."""
    if not isinstance(node, ast.Call):
        return None
    if len(node.args) >= 2:
        return node.args[1]
    return next((k.value for k in node.keywords if k.arg in {"filename", "out"}), None)


def _path_words(scope: Scope, put: ast.AST) -> set[str]:
    """Names and literals that identify the file a write goes to: the receiver of `.write`
    and, when the receiver is a variable, what it was opened from."""
    func = getattr(put, "func", None)
    receiver = func.value if isinstance(func, ast.Attribute) else None
    if receiver is None:
        return set()
    words = _words(receiver)
    if isinstance(receiver, ast.Name):
        for targets, value in scope.assigns:
            if receiver.id in targets:
                words |= _words(value)
    return words - COMMON_WORDS


def _words(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            found |= _path_pieces(n.value)
        elif isinstance(n, ast.Attribute) and not (
            isinstance(n.value, ast.Name) and n.value.id in MODULES
        ):
            found.add(n.attr)  # self.exe_path, not sys.executable
    return found - COMMON_WORDS


def _path_pieces(text: str) -> set[str]:
    """The file names a literal mentions: 'start C:/x/u.exe' names u.exe."""
    pieces = (w.strip("'\"").replace("\\", "/").rsplit("/", 1)[-1].lower() for w in text.split())
    return {p for p in pieces if len(p) >= 3}


# Modules whose attributes name no file of the code's own (sys.executable, os.sep).
MODULES = frozenset({"os", "path", "pathlib", "shutil", "subprocess", "sys", "tempfile"})
# Words every path expression and command share: they say nothing about which file is meant.
COMMON_WORDS = frozenset(
    {
        "Path",
        "a",
        "ab",
        "abspath",
        "buffer",
        "cwd",
        "dirname",
        "encoding",
        "environ",
        "expanduser",
        "format",
        "getenv",
        "gettempdir",
        "home",
        "join",
        "mode",
        "open",
        "os",
        "pathlib",
        "read",
        "self",
        "shutil",
        "stderr",
        "stdin",
        "stdout",
        "str",
        "subprocess",
        "sys",
        "tempfile",
        "utf-8",
        "utf8",
        "w",
        "w+",
        "wb",
        "wb+",
        "write",
    }
)


ENTROPY_SAMPLE = 4096
HIGH_ENTROPY = 5.0  # bits per character: base64 of random bytes is ~6, English prose ~4.2
HEX = re.compile(r"[0-9a-fA-F\s\\x]+")


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    total = len(text)
    return -sum((n / total * math.log2(n / total) for n in Counter(text).values()), 0.0)


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
    if kind == "exfil":
        return "code.exfiltration", EXFIL[reach]
    if kind == "reverse-shell":
        return "code.process-spawn", REVERSE_SHELL[reach]
    if kind == "recon":
        return "code.process-spawn", RECON.get(reach, N)
    if kind == "launch":
        return "code.process-spawn", LAUNCH.get(reach, N)
    if kind == "other":
        return "code.process-spawn", OTHER_PROCESS.get(reach, N)
    if kind in {"shell", "dynamic"}:
        return "code.process-spawn", SHELL_PROCESS.get(reach, N)
    return "code.process-spawn", N
