"""`pypi-sentinel audit FILE`: check a project's own dependencies before installing them.

Reads requirements.txt, pyproject.toml, pylock.toml, uv.lock or poetry.lock, or an installed
environment's metadata (--path); checks every dependency name for typosquats
and looks up what the store has found on those projects. With --resolve, an unpinned requirement
is checked at the newest stored release that satisfies it (the store's releases, never pip). Exit 1 when a dependency's name verdict
or a stored finding is at or above --fail-on (default: low), 2 for a file we cannot read, 3 when
the database is unavailable (use --no-store to check names only). With no database URL and no
embedded database yet, only names are checked: auditing a file never creates a database.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis import AnalysisContext
from analysis.licences import Licence
from analysis.model import Severity
from analysis.osv import Exposure
from analysis.requirements import Dependency
from collector.audit import Audit, Known, Lookup, judge, look_up, worst
from collector.commands.check import (
    add_fail_on_flag,
    corpus_json,
    load_index,
    popular_list_age,
    popular_list_text,
    store_exists,
    verdict_json,
    verdict_text,
)
from collector.config import Settings
from collector.corpus import ListAge, LoadedCorpus, render_list_age_json
from collector.dependency_files import read_dependencies, read_installed
from collector.errors import UsageError
from collector.output import OutputFormat, add_format_flag, print_json, print_text
from collector.policy import load_policy
from collector.sarif import render_sarif
from collector.store.database import open_database

EXIT_OK, EXIT_FINDINGS = 0, 1


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit", help="check a requirements file against what we know"
    )
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        nargs="?",
        help="requirements.txt, pyproject.toml, pylock.toml, uv.lock or poetry.lock",
    )
    parser.add_argument(
        "--path",
        type=Path,
        metavar="SITE_PACKAGES",
        help="audit an installed environment instead: its *.dist-info/METADATA, never imported",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="check names only; do not open the database for stored findings (the default "
        "when no database URL is set and the embedded one was never created)",
    )
    parser.add_argument(
        "--resolve",
        action="store_true",
        help="check an unpinned requirement at the newest release the store knows that "
        "satisfies it (needs the store; never runs pip or asks PyPI)",
    )
    add_format_flag(parser, OutputFormat.CYCLONEDX_JSON, OutputFormat.SARIF)
    add_fail_on_flag(parser)
    parser.set_defaults(handler=run)
    return parser


def _licence_json(licence: Licence | None) -> dict[str, Any] | None:
    if licence is None:
        return None
    return {
        "spdx": licence.spdx,
        "known": licence.known,
        "source": licence.source,
        "text": licence.text,
    }


def _licence_text(licence: Licence | None) -> str:
    if licence is None:
        return ""
    if licence.spdx is not None:
        return f" [{licence.spdx}]"
    return f" [licence not SPDX: {licence.text!r}]" if licence.text else " [no licence given]"


def _exposure_json(found: Exposure) -> dict[str, Any]:
    return {
        "vulnerabilities": [
            {"id": a.id, "aliases": list(a.aliases), "summary": a.summary, "fixed_in": fixed}
            for a, fixed in found.vulnerabilities
        ],
        "known_malicious": [a.id for a in found.malicious],
        "unchecked_vulnerabilities": found.unchecked,
    }


def _exposure_text(found: Exposure) -> list[str]:
    lines = [f"  - KNOWN MALICIOUS: {a.id}: {a.summary}" for a in found.malicious]
    for advisory, fixed in found.vulnerabilities:
        aliases = f" ({', '.join(advisory.aliases[:3])})" if advisory.aliases else ""
        fix = f"; fixed in {fixed}" if fixed else "; no fixed version"
        lines.append(f"  - vulnerable: {advisory.id}{aliases}: {advisory.summary}{fix}")
    if found.unchecked:
        lines.append(
            f"  - unpinned: {found.unchecked} vulnerability record(s) name this project; pin a "
            "version to check them"
        )
    return lines


def _version_text(known: Known) -> str:
    if known.version is None:
        return ""
    if known.resolved_from is not None:
        return f" {known.version} (resolved from the {known.resolved_from})"
    return f"=={known.version}"


def render_audit_json(result: Audit) -> list[dict[str, Any]]:
    rows = []
    for dependency, verdict, mine, reasons in zip(
        result.dependencies, result.verdicts, result.known, result.broken, strict=True
    ):
        row = verdict_json(dependency.name, verdict)
        row.update(
            spec=dependency.spec, where=dependency.where, url=dependency.url, file=dependency.source
        )
        row.update(version=mine.version, pinned=mine.pinned)
        row.update(resolved=mine.resolved_from is not None, resolved_from=mine.resolved_from)
        row["stored_findings"] = [f.as_json() for f in mine.findings]
        row.update(_exposure_json(mine.exposure))
        row["licence"] = _licence_json(mine.licence)
        row["policy_violations"] = list(reasons)
        row["worst"] = worst(verdict, mine).label
        rows.append(row)
    return rows


def render_audit_document(
    audited: Path | str,
    loaded: LoadedCorpus,
    age: ListAge,
    result: Audit,
    settings: Settings,
    fail_on: Severity | None = None,
) -> dict[str, Any]:
    """What `audit --format json` prints; the dashboard's download is this too, without
    `fail_on` (it shows the audit, it passes or fails nothing)."""
    document: dict[str, Any] = {
        "file": str(audited),
        "corpus": corpus_json(loaded),
        "popular_list": render_list_age_json(age),
    }
    if fail_on is not None:
        document["fail_on"] = fail_on.label
    document.update(
        stored_findings_checked=result.checked,
        advisories_checked=result.checked,
        resolved_from_store=result.resolving,
        policy=None if settings.policy is None else str(settings.policy),
        dependencies=render_audit_json(result),
    )
    return document


def render_audit_text(path: Path | str, result: Audit, skipped: str | None = None) -> str:
    lines = [f"{path}: {len(result.dependencies)} dependencies"]
    for dependency, verdict, mine, reasons in zip(
        result.dependencies, result.verdicts, result.known, result.broken, strict=True
    ):
        label = f"{dependency.name}{_version_text(mine)} ({dependency.where})"
        label += _licence_text(mine.licence)
        lines.append(verdict_text(label, verdict))
        lines.extend(
            f"  - stored: {found.severity.label} {found.check_id} on {found.version}: "
            f"{found.summary}"
            for found in mine.findings
        )
        lines.extend(_exposure_text(mine.exposure))
        if result.resolving and mine.version is None and dependency.url is None:
            lines.append("  - not resolved: the store knows no release that satisfies it")
        lines.extend(f"  x breaks the policy: {reason}" for reason in reasons)
    if skipped is not None:
        lines.append(f"(stored findings and known vulnerabilities not checked: {skipped})")
    return "\n".join(lines)


def _wants_store(settings: Settings, args: argparse.Namespace) -> bool:
    """Whether to open the store; --resolve without one is a usage error, not a silent skip."""
    if args.resolve and args.no_store:
        raise UsageError("audit: --resolve reads the store's releases; drop --no-store")
    if args.resolve and not store_exists(settings):
        raise UsageError(
            "audit: --resolve needs the store (set a database URL, or run the collector first)"
        )
    return not args.no_store and store_exists(settings)


def _read(args: argparse.Namespace) -> tuple[Path, tuple[Dependency, ...]]:
    if (args.file is None) == (args.path is None):
        raise UsageError("audit: give a FILE or --path SITE_PACKAGES (one of them)")
    if args.path is not None:
        return args.path, read_installed(args.path)
    return args.file, read_dependencies(args.file)


async def _look_up(
    settings: Settings, dependencies: tuple[Dependency, ...], resolve: bool
) -> Lookup:
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        return await look_up(conn, dependencies, resolve=resolve)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    use_store = _wants_store(settings, args)
    policy = load_policy(settings.policy)
    audited, dependencies = _read(args)
    index, loaded = load_index(settings)
    context = AnalysisContext(now=datetime.now(UTC), index=index)
    age = popular_list_age(loaded, context.now)
    lookup = await _look_up(settings, dependencies, args.resolve) if use_store else None
    result = judge(dependencies, context, lookup, policy, context.now.date())
    if args.format is OutputFormat.CYCLONEDX_JSON:
        from collector.sbom import render_cyclonedx  # the SBOM library loads only when asked

        print_text(render_cyclonedx(dependencies, result.known))
    elif args.format is OutputFormat.SARIF:
        print_text(render_sarif(audited, result))
    elif args.format is OutputFormat.JSON:
        print_json(render_audit_document(audited, loaded, age, result, settings, args.fail_on))
    else:
        skipped = None if result.checked else "--no-store" if args.no_store else "no database yet"
        text = render_audit_text(audited, result, skipped)
        print_text(f"{text}\n{popular_list_text(age)}")
    return EXIT_FINDINGS if result.fails(args.fail_on, policy) else EXIT_OK
