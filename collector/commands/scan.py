"""`pypi-sentinel scan PATH_OR_URL...`: inspect distribution files the way the collector does,
without a database: vet a download before installing it.

Each file is read in an isolated reader process (never installed, imported, built or run).
Exit 0 when every file's verdict is below --fail-on (default: medium; a capability alone is low,
a capability paired with a threat is medium or above), 1 when one is at or above it, 2 for a path
that cannot be read, 3 when a URL cannot be fetched.
"""

from __future__ import annotations

import argparse
import hashlib
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

from analysis.artifact import ArtifactRef
from analysis.inspect import TOO_LARGE, FileInspection, not_inspected
from analysis.model import Assessment, Finding, Severity
from analysis.scoring import combine
from collector.commands.check import add_fail_on_flag, exit_code
from collector.config import Settings
from collector.errors import UpstreamError, UsageError
from collector.output import OutputFormat, add_format_flag, print_json, print_text
from collector.pipeline.inspector import InspectionFailed, ProcessInspector
from collector.pypi.files import DigestMismatch, FileGone, TooLarge, fetch_distribution
from collector.pypi.http import Http, new_session


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scan",
        help="inspect local distribution files or URLs for install- and import-time code",
    )
    parser.add_argument(
        "targets", nargs="+", metavar="PATH_OR_URL",
        help="a .whl, .tar.gz, .zip, .egg, ... file, or an http(s) URL of one (a "
        "#sha256=... fragment is checked)",
    )  # fmt: skip
    add_format_flag(parser)
    add_fail_on_flag(parser, Severity.MEDIUM)
    parser.set_defaults(handler=run)
    return parser


@dataclass(frozen=True, slots=True)
class Scanned:
    target: str
    ref: ArtifactRef
    size: int
    sha256: str | None
    inspection: FileInspection | None  # None: not read (too large)
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Assessment:
        return combine(self.findings)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    inspector = ProcessInspector(min(settings.inspect_processes, len(args.targets)))
    try:
        async with new_session() as session:
            http = Http(session)
            scanned = [await _scan(settings, http, inspector, t) for t in args.targets]
    finally:
        inspector.close()
    verdicts = [s.verdict for s in scanned]
    if args.format is OutputFormat.JSON:
        print_json({"fail_on": args.fail_on.label, "files": [_file_json(s) for s in scanned],
                    "findings": [f for s in scanned for f in _findings_json(s)]})  # fmt: skip
    else:
        print_text("\n".join(_text(s) for s in scanned))
    return exit_code(verdicts, args.fail_on)


async def _scan(
    settings: Settings, http: Http, inspector: ProcessInspector, target: str
) -> Scanned:
    is_url = target.startswith(("http://", "https://"))
    data, expected = (
        (await _download(settings, http, target)) if is_url else (_read(settings, target), None)
    )
    name = unquote(urlsplit(target).path.rsplit("/", 1)[-1]) if is_url else Path(target).name
    project, version = parse_filename(name)
    ref = ArtifactRef(project, version, name, target.split("#", 1)[0] if is_url else "")
    if data is None:
        finding = not_inspected(ref, TOO_LARGE, f"not inspected: larger than the "
                                f"{settings.max_file_size:,}-byte cap.", limit=settings.max_file_size)  # fmt: skip
        return Scanned(target, ref, 0, expected, None, (finding,))
    digest = hashlib.sha256(data).hexdigest()
    try:
        inspection = await inspector.inspect(ref, data, None)
    except InspectionFailed as exc:
        raise UsageError(f"{target}: reading failed: {exc}") from exc
    return Scanned(target, ref, len(data), digest, inspection, inspection.findings)


def _read(settings: Settings, target: str) -> bytes | None:
    path = Path(target)
    try:
        if path.stat().st_size > settings.max_file_size:
            return None
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {target}: {exc.strerror or exc}") from exc


async def _download(settings: Settings, http: Http, url: str) -> tuple[bytes | None, str | None]:
    fragment = urlsplit(url).fragment
    expected = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else None
    result = await fetch_distribution(http, url.split("#", 1)[0], max_bytes=settings.max_file_size,
                                      sha256=expected)  # fmt: skip
    if isinstance(result, TooLarge):
        return None, expected
    if isinstance(result, FileGone):
        raise UpstreamError("not_found", f"GET {url}: HTTP {result.status}")
    if isinstance(result, DigestMismatch):
        raise UpstreamError("digest", f"{url}: sha256 {result.actual}, expected {result.expected}")
    return result.data, expected


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
        return canonicalize_name(stem[0] or filename), stem[1].split(".tar")[0] if len(
            stem
        ) > 1 else ""


def _file_json(s: Scanned) -> dict[str, Any]:
    i = s.inspection
    verdict = s.verdict
    return {
        "target": s.target, "file": s.ref.filename, "name": s.ref.project, "version": s.ref.version,
        "size": s.size, "sha256": s.sha256, "kind": i.kind.value if i else None,
        "members": i.members if i else 0, "unpacked": i.unpacked if i else 0,
        "complete": bool(i and i.complete), "error": i.error if i else "not inspected: too large",
        "severity": verdict.severity.label, "score": verdict.score,
    }  # fmt: skip


def _findings_json(s: Scanned) -> list[dict[str, Any]]:
    """The shape of `findings --format json` rows, so one script reads both."""
    return [
        {"name": s.ref.project, "version": s.ref.version, "check": f.check_id,
         "severity": f.severity.label, "score": f.score, "summary": f.summary,
         "evidence": dict(f.evidence), "target": f.target, "file": s.ref.filename}
        for f in s.findings
    ]  # fmt: skip


def _text(s: Scanned) -> str:
    verdict = s.verdict
    head = f"{s.ref.filename}: {verdict.severity.label} (score {verdict.score})"
    lines = [head] + [f"  {f.severity.label:<8} {f.check_id}  {f.summary}" for f in s.findings]
    return "\n".join(lines)
