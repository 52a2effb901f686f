"""Inspecting one distribution file: read the archive, run every file check, and point each
finding at the exact line on inspector.pypi.io. Pure: bytes in, findings out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from analysis.archive import check_archive_metadata, check_bundled_binaries, read_archive
from analysis.artifact import ArchiveKind, ArchiveLimits, ArtifactRef
from analysis.checks import CHECKS_BY_ID
from analysis.code import check_code
from analysis.model import Finding, ReleaseMetadata, Severity

INSPECTOR = "https://inspector.pypi.io/project"
DEFAULT_LIMITS = ArchiveLimits()
MAX_PER_CHECK = 20  # findings of one check kept per file; the rest are counted on the last one

TOO_LARGE = "archive.too-large"
DIGEST_MISMATCH = "archive.digest-mismatch"
INSPECTION_FAILED = "archive.inspection-failed"


@dataclass(frozen=True, slots=True)
class FileInspection:
    """Everything reading one file produced."""

    filename: str
    kind: ArchiveKind
    findings: tuple[Finding, ...]
    members: int
    unpacked: int
    complete: bool
    error: str | None = None


def inspect_file(
    ref: ArtifactRef,
    data: bytes,
    metadata: ReleaseMetadata | None = None,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> FileInspection:
    """Read `data` (the file `ref` names) and run every file check on it."""
    contents = read_archive(ref.filename, data, limits)
    findings = [*contents.findings, *check_code(contents), *check_bundled_binaries(contents)]
    if metadata is not None:
        findings += check_archive_metadata(contents, metadata, ref.project, ref.version)
    findings = _pair_binaries(findings)
    return FileInspection(
        filename=ref.filename,
        kind=contents.kind,
        findings=tuple(_linked(ref, f) for f in _capped(findings)),
        members=len(contents.members),
        unpacked=contents.unpacked,
        complete=contents.complete,
        error=contents.error,
    )


def not_inspected(ref: ArtifactRef, check_id: str, summary: str, **evidence: object) -> Finding:
    """The finding for a file we could not read (too large, digest mismatch, reader failure)."""
    check = CHECKS_BY_ID[check_id]
    return _linked(
        ref,
        Finding(
            check_id=check.id,
            severity=check.severity,
            score=check.score,
            summary=f"{ref.project} {ref.version}: {ref.filename}: {summary}",
            evidence={"filename": ref.filename, **evidence},
            fingerprint=ref.filename,
        ),
    )


def inspector_url(
    ref: ArtifactRef, path: str | None = None, line: object = None, end_line: object = None
) -> str:
    """The inspector.pypi.io page of the file (or of one member, at one line or range);
    the release's page when the file's URL is not a files.pythonhosted.org-style one."""
    release = f"{INSPECTOR}/{_quote(ref.project)}/{_quote(ref.version)}/"
    marker = "/packages/"
    if marker not in ref.url:
        return release
    base = f"{release}packages/{ref.url.split(marker, 1)[1].strip('/')}/"
    if not path:
        return base
    url = base + _quote(path.lstrip("/"))
    if isinstance(line, int) and line > 0:
        url += f"#line.{line}"
        if isinstance(end_line, int) and end_line > line:
            url += f"-{end_line}"
    return url


RUNS_PROCESS = frozenset({"code.process-spawn", "code.download-exec"})
AUTOMATIC = frozenset({"install", "startup", "import"})


def _pair_binaries(findings: list[Finding]) -> list[Finding]:
    """A bundled binary is a capability; code that starts it when the package is installed or
    Python starts, in the same archive, makes it a threat (high); on import, code nobody can
    review runs on its own, like an encrypted module (medium). The command must name the
    binary: a setup.py that asks dpkg about a library says nothing about a shipped DLL."""
    runners = [
        f for f in findings if f.check_id in RUNS_PROCESS and f.evidence.get("reach") in AUTOMATIC
    ]
    return [
        _run_by(f, runner)
        if f.check_id == "archive.bundled-binary" and (runner := _runner_of(f, runners))
        else f
        for f in findings
    ]


def _runner_of(binary: Finding, runners: list[Finding]) -> Finding | None:
    name = str(binary.evidence.get("path", "")).rpartition("/")[2].lower()
    return next(
        (
            r
            for r in runners
            if name
            and name in f"{r.evidence.get('command', '')} {r.evidence.get('snippet', '')}".lower()
        ),
        None,
    )


def _run_by(binary: Finding, runner: Finding) -> Finding:
    where = f"{runner.evidence.get('path')} line {runner.evidence.get('line')}"
    severity, score = (
        (Severity.MEDIUM, 45) if runner.evidence["reach"] == "import" else (Severity.HIGH, 70)
    )
    return replace(
        binary,
        severity=max(binary.severity, severity),
        score=max(binary.score, score),
        summary=f"{binary.summary} Code that runs at {runner.evidence['reach']} time starts it "
        f"({where}).",
        evidence={**binary.evidence, "run_by": where},
    )


def _linked(ref: ArtifactRef, finding: Finding) -> Finding:
    ev = finding.evidence
    path = ev.get("path")
    link = inspector_url(
        ref, path if isinstance(path, str) else None, ev.get("line"), ev.get("end_line")
    )
    return replace(finding, evidence={**ev, "filename": ref.filename, "inspector_url": link})


def _capped(findings: Iterable[Finding]) -> list[Finding]:
    """At most MAX_PER_CHECK findings per check, strongest first; the last kept one says how
    many more there were (a minified file must not bury the store in findings)."""
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    kept: list[Finding] = []
    for group in by_check.values():
        group.sort(key=lambda f: (-f.severity, -f.score))
        kept += _with_more(group[:MAX_PER_CHECK], len(group) - MAX_PER_CHECK)
    return kept


def _with_more(group: Sequence[Finding], more: int) -> list[Finding]:
    if more <= 0:
        return list(group)
    *head, last = group
    return [*head, replace(last, evidence={**last.evidence, "more_hits": more})]


_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/!$&'()*+,;=:@"
)


def _quote(text: str) -> str:
    """Percent-encode a URL path (RFC 3986 path characters stay)."""
    raw = text.encode("utf-8", "surrogateescape")
    return "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in raw)
