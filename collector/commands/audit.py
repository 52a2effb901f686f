"""`pypi-sentinel audit FILE`: check a project's own dependencies before installing them.

Reads requirements.txt, pyproject.toml, pylock.toml, uv.lock or poetry.lock, or an installed
environment's metadata (--path); checks every dependency name for typosquats
and looks up what the store has found on those projects. Exit 1 when a dependency's name verdict
or a stored finding is at or above --fail-on (default: low), 2 for a file we cannot read, 3 when
the database is unavailable (use --no-store to check names only). With no database URL and no
embedded database yet, only names are checked: auditing a file never creates a database.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis import AnalysisContext, assess_name
from analysis.licences import Licence, normalize_licence
from analysis.model import Assessment, Severity
from analysis.osv import Advisory, Exposure, exposure
from analysis.policy import Facts, violations
from analysis.requirements import Dependency, pinned_version
from collector.commands.check import (
    KNOWN_MALICIOUS,
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
from collector.corpus import render_list_age_json
from collector.dependency_files import read_dependencies, read_installed
from collector.errors import UsageError
from collector.output import OutputFormat, add_format_flag, print_json, print_text
from collector.policy import load_policy
from collector.progress import Progress
from collector.store import PgConnection
from collector.store.database import open_database
from collector.store.osv import fetch_advisories
from collector.store.releases import fetch_licence_fields

EXIT_OK, EXIT_FINDINGS = 0, 1
# The latest finding of each check on each release of the audited projects, worst first.
FINDINGS_SQL = """
SELECT project, version, check_id, severity::text AS severity, score, summary, target,
       first_seen_at
  FROM findings
 WHERE project = ANY($1::text[])
 ORDER BY project, severity DESC, score DESC, first_seen_at DESC
"""


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding the collector stored on one release of a dependency."""

    project: str
    version: str
    check_id: str
    severity: Severity
    score: int
    summary: str
    target: str | None
    first_seen_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "version": self.version,
            "check_id": self.check_id,
            "severity": self.severity.label,
            "score": self.score,
            "summary": self.summary,
            "target": self.target,
            "first_seen_at": self.first_seen_at,
        }


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit", help="check a requirements file against what we know"
    )
    parser.add_argument(
        "file", type=Path, metavar="FILE", nargs="?",
        help="requirements.txt, pyproject.toml, pylock.toml, uv.lock or poetry.lock",
    )  # fmt: skip
    parser.add_argument(
        "--path", type=Path, metavar="SITE_PACKAGES",
        help="audit an installed environment instead: its *.dist-info/METADATA, never imported",
    )  # fmt: skip
    parser.add_argument(
        "--no-store", action="store_true",
        help="check names only; do not open the database for stored findings (the default "
        "when no database URL is set and the embedded one was never created)",
    )  # fmt: skip
    add_format_flag(parser, OutputFormat.CYCLONEDX_JSON)
    add_fail_on_flag(parser)
    parser.set_defaults(handler=run)
    return parser


async def fetch_stored_findings(
    conn: PgConnection, projects: Sequence[str]
) -> dict[str, list[StoredFinding]]:
    found: dict[str, list[StoredFinding]] = {}
    for row in await conn.fetch(FINDINGS_SQL, list(projects)):
        finding = StoredFinding(
            project=row["project"],
            version=row["version"],
            check_id=row["check_id"],
            severity=Severity.parse(row["severity"]),
            score=row["score"],
            summary=row["summary"],
            target=row["target"],
            first_seen_at=row["first_seen_at"],
        )
        found.setdefault(finding.project, []).append(finding)
    return found


# A known vulnerability weighs as high against --fail-on: it fails the default (low) as
# pip-audit fails on any; known malware weighs as check's KNOWN_MALICIOUS, the worst there is.
KNOWN_VULNERABLE = Severity.HIGH


@dataclass(frozen=True, slots=True)
class Known:
    """What the store knows about one dependency beyond its name: findings, OSV records, and its
    licence (from the installed metadata, or the stored release of the pinned version)."""

    version: str | None  # the one version the requirement pins, if it pins one
    findings: Sequence[StoredFinding]
    exposure: Exposure
    licence: Licence | None = None


def _named_worst(verdict: Assessment, known: Known) -> Severity:
    """Our own view: the name verdict and the stored findings."""
    return max([verdict.severity, *(f.severity for f in known.findings)])


def _worst(verdict: Assessment, known: Known) -> Severity:
    severities = [_named_worst(verdict, known)]
    if known.exposure.vulnerabilities:
        severities.append(KNOWN_VULNERABLE)
    if known.exposure.malicious:
        severities.append(KNOWN_MALICIOUS)
    return max(severities)


def known_about(
    dependencies: Sequence[Dependency],
    stored: Mapping[str, Sequence[StoredFinding]] | None,
    advisories: Mapping[str, Sequence[Advisory]] | None,
    licences: Mapping[tuple[str, str], Licence] | None = None,
) -> list[Known]:
    known = []
    for d in dependencies:
        version = pinned_version(d.spec)
        licence = d.licence or (licences or {}).get((d.name, version or ""))
        found = exposure((advisories or {}).get(d.name, []), d.name, version)
        known.append(Known(version, (stored or {}).get(d.name, []), found, licence))
    return known


def policy_facts(dependency: Dependency, verdict: Assessment, known: Known) -> Facts:
    return Facts(
        name=dependency.name,
        severity=_named_worst(verdict, known),
        vulnerabilities=[(a.id, a.aliases) for a, _ in known.exposure.vulnerabilities],
        known_malicious=[a.id for a in known.exposure.malicious],
        licence=known.licence,
    )


def _licence_json(licence: Licence | None) -> dict[str, Any] | None:
    if licence is None:
        return None
    return {"spdx": licence.spdx, "known": licence.known, "source": licence.source,
            "text": licence.text}  # fmt: skip


def _licence_text(licence: Licence | None) -> str:
    if licence is None:
        return ""
    if licence.spdx is not None:
        return f" [{licence.spdx}]"
    return f" [licence not SPDX: {licence.text!r}]" if licence.text else " [no licence given]"


async def fetch_licences(
    conn: PgConnection, dependencies: Sequence[Dependency]
) -> dict[tuple[str, str], Licence]:
    """Licences of the pinned versions the store holds (their JSON pages were stored)."""
    pinned = sorted({(d.name, v) for d in dependencies if (v := pinned_version(d.spec))})
    fields = await fetch_licence_fields(conn, pinned)
    return {key: normalize_licence(*value) for key, value in fields.items()}


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


def render_audit_json(
    path: Path,
    dependencies: Sequence[Dependency],
    verdicts: Sequence[Assessment],
    known: Sequence[Known],
    broken: Sequence[Sequence[str]],
) -> list[dict[str, Any]]:
    rows = []
    for dependency, verdict, mine, reasons in zip(
        dependencies, verdicts, known, broken, strict=True
    ):
        row = verdict_json(dependency.name, verdict)
        row.update(
            spec=dependency.spec, where=dependency.where, url=dependency.url, file=dependency.source
        )
        row.update(version=mine.version, pinned=mine.version is not None)
        row["stored_findings"] = [f.as_json() for f in mine.findings]
        row.update(_exposure_json(mine.exposure))
        row["licence"] = _licence_json(mine.licence)
        row["policy_violations"] = list(reasons)
        row["worst"] = _worst(verdict, mine).label
        rows.append(row)
    return rows


def render_audit_text(
    path: Path,
    dependencies: Sequence[Dependency],
    verdicts: Sequence[Assessment],
    known: Sequence[Known],
    broken: Sequence[Sequence[str]],
    skipped: str | None = None,
) -> str:
    lines = [f"{path}: {len(dependencies)} dependencies"]
    for dependency, verdict, mine, reasons in zip(
        dependencies, verdicts, known, broken, strict=True
    ):
        pin = f"=={mine.version}" if mine.version else ""
        label = f"{dependency.name}{pin} ({dependency.where})"
        label += _licence_text(mine.licence)
        lines.append(verdict_text(label, verdict))
        lines.extend(
            f"  - stored: {found.severity.label} {found.check_id} on {found.version}: "
            f"{found.summary}"
            for found in mine.findings
        )
        lines.extend(_exposure_text(mine.exposure))
        lines.extend(f"  x breaks the policy: {reason}" for reason in reasons)
    if skipped is not None:
        lines.append(f"(stored findings and known vulnerabilities not checked: {skipped})")
    return "\n".join(lines)


def assess_all(dependencies: Sequence[Dependency], context: AnalysisContext) -> list[Assessment]:
    """Name verdicts, with a counter on a terminal: a big lock file takes a while."""
    progress = Progress("checking", len(dependencies))
    verdicts = []
    for dependency in dependencies:
        verdicts.append(assess_name(dependency.name, context))
        progress.advance(dependency.name)
    progress.done()
    return verdicts


def _read(args: argparse.Namespace) -> tuple[Path, tuple[Dependency, ...]]:
    if (args.file is None) == (args.path is None):
        raise UsageError("audit: give a FILE or --path SITE_PACKAGES (one of them)")
    if args.path is not None:
        return args.path, read_installed(args.path)
    return args.file, read_dependencies(args.file)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    policy = load_policy(settings.policy)
    audited, dependencies = _read(args)
    index, loaded = load_index(settings)
    context = AnalysisContext(now=datetime.now(UTC), index=index)
    age = popular_list_age(loaded, context.now)
    verdicts = assess_all(dependencies, context)
    stored: dict[str, list[StoredFinding]] | None = None
    advisories: dict[str, list[Advisory]] | None = None
    licences: dict[tuple[str, str], Licence] | None = None
    if not args.no_store and store_exists(settings):
        names = sorted({d.name for d in dependencies})
        async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
            stored = await fetch_stored_findings(conn, names)
            advisories = _by_project(await fetch_advisories(conn, names))
            licences = await fetch_licences(conn, dependencies)
    known = known_about(dependencies, stored, advisories, licences)
    worst = [_worst(v, k) for v, k in zip(verdicts, known, strict=True)]
    today = datetime.now(UTC).date()
    broken = [
        violations(policy, policy_facts(d, v, k), today) if policy is not None else []
        for d, v, k in zip(dependencies, verdicts, known, strict=True)
    ]
    if args.format is OutputFormat.CYCLONEDX_JSON:
        from collector.sbom import render_cyclonedx  # the SBOM library loads only when asked

        print_text(render_cyclonedx(dependencies, known))
    elif args.format is OutputFormat.JSON:
        print_json(
            {
                "file": str(audited),
                "corpus": corpus_json(loaded),
                "popular_list": render_list_age_json(age),
                "fail_on": args.fail_on.label,
                "stored_findings_checked": stored is not None,
                "advisories_checked": advisories is not None,
                "policy": None if settings.policy is None else str(settings.policy),
                "dependencies": render_audit_json(audited, dependencies, verdicts, known, broken),
            }
        )
    else:
        skipped = (
            None if stored is not None else "--no-store" if args.no_store else "no database yet"
        )
        text = render_audit_text(audited, dependencies, verdicts, known, broken, skipped)
        print_text(f"{text}\n{popular_list_text(age)}")
    if policy is not None:  # the policy decides, and says why per dependency
        return EXIT_FINDINGS if any(broken) else EXIT_OK
    return EXIT_FINDINGS if any(w >= args.fail_on for w in worst) else EXIT_OK


def _by_project(advisories: Sequence[Advisory]) -> dict[str, list[Advisory]]:
    grouped: dict[str, list[Advisory]] = {}
    for advisory in advisories:
        for project in advisory.projects:
            grouped.setdefault(project, []).append(advisory)
    return grouped
