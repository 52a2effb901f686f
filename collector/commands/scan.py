"""`pypi-sentinel scan TARGET...`: inspect distribution files the way the collector does, without a
database: vet a download, a directory of them, or a release on PyPI before installing it.

A TARGET is a file, a directory (every distribution file in it), an http(s) URL (a #sha256=...
fragment is checked), or NAME==VERSION (every file of that release, downloaded from the
configured PyPI and checked against the sha256 it lists, as the collector does).

Each file is read in an isolated reader process (never installed, imported, built or run).
Exit 0 when every file was read whole and its verdict is below --fail-on (default: medium; a
capability alone is low, a capability paired with a threat is medium or above); 1 when a verdict
is at or above it or a file could not be inspected (truncated, not an archive, too large, digest
mismatch, reader failure): what was not read cannot be vouched for; 2 for a path that cannot be
read or a release PyPI does not have; 3 when PyPI or a URL cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from analysis.archive import is_distribution_name
from analysis.artifact import ArtifactRef
from analysis.inspect import FileInspection
from analysis.model import Assessment, Finding, ReleaseMetadata, Severity
from analysis.names import fast_normalize
from analysis.scoring import combine
from collector.commands.check import EXIT_FINDINGS, EXIT_OK, add_fail_on_flag
from collector.config import Settings
from collector.errors import UpstreamError, UsageError
from collector.output import OutputFormat, add_format_flag, print_json, print_text
from collector.pipeline.artifacts import (
    digest_finding,
    fetch_file,
    reader_failed,
    too_large_finding,
)
from collector.pipeline.fetcher import Fetched, ReleaseFetcher
from collector.pipeline.inspector import InspectionFailed, ProcessInspector
from collector.progress import Progress
from collector.pypi.files import DigestMismatch, FileGone, TooLarge
from collector.pypi.http import Http, PyPIUrls, new_session
from collector.store.jobs import Job

_RELEASE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.!+_-]+)$")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="inspect distribution files, a directory of them, URLs or NAME==VERSION on PyPI "
        "for install- and import-time code",
    )
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="a .whl, .tar.gz, .zip, .egg, ... file; a directory (every such file in it); an "
        "http(s) URL of one (a #sha256=... fragment is checked); or NAME==VERSION (every file "
        "of that release on PyPI, its sha256 checked)",
    )
    add_format_flag(parser)
    add_fail_on_flag(parser, Severity.MEDIUM)
    parser.set_defaults(handler=run)
    return parser


@dataclass(frozen=True, slots=True)
class Source:
    """One file to read: where from, and what PyPI (or a URL fragment) says it should be."""

    target: str  # as the user named it (a file of a directory or release: its own path or URL)
    ref: ArtifactRef
    path: Path | None = None  # a local file; else downloaded from ref.url
    sha256: str | None = None
    size: int | None = None
    metadata: ReleaseMetadata | None = None


@dataclass(frozen=True, slots=True)
class Scanned:
    target: str
    ref: ArtifactRef
    size: int
    sha256: str | None
    inspection: FileInspection | None  # None: not read (too large, digest mismatch, reader died)
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Assessment:
        return combine(self.findings)

    @property
    def not_inspected(self) -> str | None:
        """Why the file was not read whole; None when it was."""
        if self.inspection is None:
            return self.findings[0].summary if self.findings else "not read"
        if self.inspection.complete:
            return None
        return self.inspection.error or "reading stopped early"


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with new_session() as session:
        http = Http(session)
        sources = await _sources(settings, http, args.targets)
        processes = max(1, min(settings.inspect_processes, len(sources)))
        inspector = ProcessInspector(processes)
        progress = Progress("scanning", len(sources))
        # A file waiting for a reader holds its bytes: keep a few per reader in memory, not all.
        slots = asyncio.Semaphore(2 * processes)
        try:
            scanned = await asyncio.gather(
                *(_scan_counted(settings, http, inspector, s, progress, slots) for s in sources)
            )
        finally:
            progress.done()
            inspector.close()
    _print(args, scanned)
    return exit_code(scanned, args.fail_on)


def exit_code(scanned: list[Scanned], fail_on: Severity) -> int:
    """1 when a verdict reaches --fail-on or a file was not inspected whole."""
    failing = any(s.verdict.severity >= fail_on or s.not_inspected for s in scanned)
    return EXIT_FINDINGS if failing else EXIT_OK


def _print(args: argparse.Namespace, scanned: list[Scanned]) -> None:
    if args.format is OutputFormat.JSON:
        print_json(
            {
                "fail_on": args.fail_on.label,
                "files": [_file_json(s) for s in scanned],
                "findings": [f for s in scanned for f in _findings_json(s)],
            }
        )
    else:
        print_text("\n".join(_text(s) for s in scanned))


# -- what to read ---------------------------------------------------------------------------------
async def _sources(settings: Settings, http: Http, targets: list[str]) -> list[Source]:
    sources: list[Source] = []
    for target in targets:
        sources += await _expand(settings, http, target)
    return sources


async def _expand(settings: Settings, http: Http, target: str) -> list[Source]:
    """The files one TARGET names."""
    release = _release_spec(target)
    if release is not None:
        return await _release(settings, http, *release)
    return _local_or_url(target)


def _release_spec(target: str) -> tuple[str, str] | None:
    """(name, version) of a NAME==VERSION target; a file of that name wins."""
    match = _RELEASE.match(target)
    return (match[1], match[2]) if match and not Path(target).exists() else None


def _local_or_url(target: str) -> list[Source]:
    if target.startswith(("http://", "https://")):
        return [_url_source(target)]
    path = Path(target)
    if path.is_dir():
        return _directory(path)
    return [Source(target, _ref(path.name, ""), path=path)]


def _url_source(url: str) -> Source:
    fragment = urlsplit(url).fragment
    expected = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else None
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return Source(url, _ref(name, url.split("#", 1)[0]), sha256=expected)


def _directory(path: Path) -> list[Source]:
    try:
        files = sorted(p for p in path.iterdir() if p.is_file() and is_distribution_name(p.name))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not files:
        raise UsageError(f"{path}: no distribution files (.whl, .tar.gz, .zip, ...) in it")
    return [Source(str(p), _ref(p.name, ""), path=p) for p in files]


async def _release(settings: Settings, http: Http, name: str, version: str) -> list[Source]:
    """Every file of NAME==VERSION as PyPI's JSON API lists it: the collector's fetch."""
    project = fast_normalize(name)
    fetcher = ReleaseFetcher(http, PyPIUrls(settings.pypi_url), sleep=asyncio.sleep)
    fetched = await fetcher.fetch(Job(0, project, version, 0, "scan", 1))
    if not isinstance(fetched, Fetched):
        status = getattr(fetched, "status", "stale page")
        raise UsageError(f"{name}=={version} is not on PyPI ({status})")
    page = fetched.page
    if not page.files:
        raise UsageError(f"{name}=={version} has no files on PyPI")
    return [
        Source(
            f"{name}=={version}",
            ArtifactRef(project, version, f.filename, f.url),
            sha256=f.sha256 or None,
            size=f.size or None,
            metadata=page.metadata,
        )
        for f in page.files
    ]


def _ref(filename: str, url: str) -> ArtifactRef:
    project, version = parse_filename(filename)
    return ArtifactRef(project, version, filename, url)


def parse_filename(filename: str) -> tuple[str, str]:
    """(normalized project, version) from a wheel or sdist filename; the stem and '' else."""
    try:
        if filename.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(filename)
            return str(name), str(version)
        name, version = parse_sdist_filename(filename)
        return str(name), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        stem = filename.split("-", 1)
        rest = stem[1].split(".tar")[0] if len(stem) > 1 else ""
        return canonicalize_name(stem[0] or filename), rest


# -- reading --------------------------------------------------------------------------------------
async def _scan_counted(
    settings: Settings,
    http: Http,
    inspector: ProcessInspector,
    source: Source,
    progress: Progress,
    slots: asyncio.Semaphore,
) -> Scanned:
    async with slots:
        try:
            return await _scan(settings, http, inspector, source)
        finally:
            progress.advance(source.ref.filename)


async def _scan(
    settings: Settings, http: Http, inspector: ProcessInspector, source: Source
) -> Scanned:
    ref, limit = source.ref, settings.max_file_size
    if source.path is not None:
        data = _read(source.path, limit)
        if data is None:
            return _unread(source, too_large_finding(ref, source.path.stat().st_size, limit))
    else:
        download = await fetch_file(
            http, ref.url, sha256=source.sha256, size=source.size, max_bytes=limit
        )
        if isinstance(download, TooLarge):
            return _unread(source, too_large_finding(ref, download.size, limit))
        if isinstance(download, FileGone):
            raise UpstreamError("not_found", f"GET {ref.url}: HTTP {download.status}")
        if isinstance(download, DigestMismatch):
            return _unread(source, digest_finding(ref, download))
        data = download.data
    try:
        inspection = await inspector.inspect(ref, data, source.metadata)
    except InspectionFailed as exc:
        return _unread(source, reader_failed(ref, exc))
    digest = hashlib.sha256(data).hexdigest()
    return Scanned(source.target, ref, len(data), digest, inspection, inspection.findings)


def _unread(source: Source, finding: Finding) -> Scanned:
    return Scanned(source.target, source.ref, 0, source.sha256, None, (finding,))


def _read(path: Path, limit: int) -> bytes | None:
    """The file's bytes; None when it is over the cap."""
    try:
        if path.stat().st_size > limit:
            return None
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


# -- output ---------------------------------------------------------------------------------------
def _file_json(s: Scanned) -> dict[str, Any]:
    i = s.inspection
    verdict = s.verdict
    return {
        "target": s.target,
        "file": s.ref.filename,
        "name": s.ref.project,
        "version": s.ref.version,
        "size": s.size,
        "sha256": s.sha256,
        "kind": i.kind.value if i else None,
        "members": i.members if i else 0,
        "unpacked": i.unpacked if i else 0,
        "complete": bool(i and i.complete),
        "error": s.not_inspected,
        "inspected": s.not_inspected is None,
        "severity": verdict.severity.label,
        "score": verdict.score,
        "reason": verdict.reasons[0] if verdict.reasons else None,
    }


def _findings_json(s: Scanned) -> list[dict[str, Any]]:
    """The shape of `findings --format json` rows, so one script reads both."""
    return [
        {
            "name": s.ref.project,
            "version": s.ref.version,
            "check": f.check_id,
            "severity": f.severity.label,
            "score": f.score,
            "summary": f.summary,
            "evidence": dict(f.evidence),
            "target": f.target,
            "file": s.ref.filename,
        }
        for f in s.findings
    ]


def _text(s: Scanned) -> str:
    """The verdict with its strongest reason on the first line, then every finding."""
    verdict = s.verdict
    head = f"{s.ref.filename}: {verdict.severity.label} (score {verdict.score})"
    if s.not_inspected:
        head += f": NOT INSPECTED: {s.not_inspected}"
    elif verdict.reasons:
        head += f": {verdict.reasons[0]}"
    lines = [head] + [f"  {f.severity.label:<8} {f.check_id}  {f.summary}" for f in s.findings]
    return "\n".join(lines)
