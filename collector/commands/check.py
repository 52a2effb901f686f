"""`pypi-sentinel check NAME...`: typosquat verdicts for project names, offline; with
`--metadata`, every check on each release's metadata fetched from PyPI (NAME or NAME==VERSION).

Exit 0 when every name is below --fail-on (default: low, so any flagged name fails), 1 when one is
at or above it, 2 for usage errors, 3 when PyPI cannot be reached. With --metadata, a name PyPI
does not know is reported on its own (an `error`, and its offline name verdict) and the others are
still checked; the run then exits 2 unless a verdict already makes it 1: a finding matters more
to CI than a name that may be a typo. Names are judged against the cached top-packages list,
else the shipped snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import AnalysisContext, NameIndex, assess_name
from analysis.model import Assessment, Severity
from analysis.names import fast_normalize
from analysis.osv import KNOWN_MALICIOUS
from collector.config import Settings
from collector.corpus import (
    ListAge,
    LoadedCorpus,
    list_age,
    load_local_corpus,
    render_list_age_json,
    render_list_age_text,
    render_stale_warning,
)
from collector.errors import UsageError
from collector.name_index import load_or_build_index
from collector.output import OutputFormat, add_format_flag, print_json, print_text

if TYPE_CHECKING:  # --metadata only: names alone start without the collector's HTTP and pipeline
    from collector.pipeline.analyzer import EngineAnalyzer
    from collector.pipeline.fetcher import ReleaseFetcher

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
_VALID_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(==[A-Za-z0-9.!+_-]+)?$")
_NAME_IN_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def add_fail_on_flag(parser: argparse.ArgumentParser, default: Severity = Severity.LOW) -> None:
    parser.add_argument(
        "--fail-on",
        type=_severity,
        default=default,
        metavar="SEVERITY",
        help=f"exit 1 when a verdict is at or above this: info, low, medium, high, critical "
        f"(default: {default.label})",
    )


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check", help="check package names for typosquats, offline"
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="project names to check")
    parser.add_argument(
        "--file",
        type=Path,
        action="append",
        default=[],
        metavar="F",
        help="also check the names in F, one per line (requirement lines work too)",
    )
    parser.add_argument(
        "--metadata",
        action="store_true",
        help="also fetch each release's JSON from PyPI and apply every metadata check",
    )
    add_format_flag(parser)
    add_fail_on_flag(parser)
    parser.set_defaults(handler=run)
    return parser


def names_from_lines(lines: Iterable[str]) -> list[str]:
    """The project name at the start of each non-comment line."""
    found = []
    for line in lines:
        text = line.split("#", 1)[0]
        match = _NAME_IN_LINE.match(text)
        if match and not text.lstrip().startswith("-"):
            found.append(match[1].rstrip("._-"))
    return found


def _names(args: argparse.Namespace) -> list[str]:
    names = list(args.names)
    for path in args.file:
        try:
            names += names_from_lines(path.read_text().splitlines())
        except OSError as exc:
            raise UsageError(f"--file {path}: {exc.strerror or exc}") from exc
    invalid = [name for name in names if not _VALID_NAME.match(name)]
    if invalid:
        raise UsageError(f"not a valid project name: {', '.join(map(repr, invalid))}")
    if not names:
        raise UsageError("check: give at least one NAME or --file")
    return names


def load_index(settings: Settings) -> tuple[NameIndex, LoadedCorpus]:
    """The popular-name index of the local list, for a one-shot command (check, audit)."""
    loaded = load_local_corpus(settings.cache_dir)
    index = load_or_build_index(settings.cache_dir, loaded.corpus)
    # The index is millions of objects that live as long as this one-shot command: out of the
    # garbage collector's reach, full collections no longer walk them while names are checked.
    gc.freeze()
    return index, loaded


def verdict_json(name: str, verdict: Assessment) -> dict[str, Any]:
    return {
        "name": name,
        "normalized": fast_normalize(name),
        "flagged": verdict.severity >= Severity.LOW,
        "severity": verdict.severity.label,
        "score": verdict.score,
        "matches": [
            {
                "target": f.target,
                "rule": f.check_id,
                "distance": f.evidence.get("distance"),
                "severity": f.severity.label,
                "score": f.score,
                "edit": f.evidence.get("edit"),
                "popularity_ratio": f.evidence.get("popularity_ratio"),
            }
            for f in verdict.findings
            if f.check_id.startswith("typosquat.")
        ],
        "reasons": list(verdict.reasons),
    }


def corpus_json(loaded: LoadedCorpus) -> dict[str, Any]:
    return {
        "origin": loaded.origin,
        "source": loaded.corpus.source,
        "last_update": loaded.corpus.last_update,
        "fetched_at": loaded.fetched_at,
        "projects": len(loaded.corpus.projects),
    }


def popular_list_age(loaded: LoadedCorpus, now: datetime) -> ListAge:
    """The list's date and age, with a warning on stderr when it is too old to trust."""
    age = list_age(loaded, now.date())
    warning = render_stale_warning(age)
    if warning:
        print(f"pypi-sentinel: warning: {warning}", file=sys.stderr)
    return age


def popular_list_text(age: ListAge) -> str:
    return f"popular list: {render_list_age_text(age)}"


def verdict_text(name: str, verdict: Assessment) -> str:
    """`name: severity (score): strongest reason`, then the other reasons."""
    if not verdict.findings:
        return f"{name}: ok"
    head = f"{name}: {verdict.severity.label} ({verdict.score})"
    if not verdict.reasons:
        return head
    strongest, *others = verdict.reasons
    return "\n".join([f"{head}: {strongest}", *(f"  - {reason}" for reason in others)])


@dataclass(frozen=True, slots=True)
class Checked:
    """One name's result with --metadata: the release's verdict, or why PyPI gave none."""

    verdict: Assessment
    version: str | None
    error: str | None = None  # the name (or NAME==VERSION) is not on PyPI: verdict is offline


async def assess_on_pypi(
    settings: Settings, context: AnalysisContext, names: Sequence[str]
) -> list[Checked]:
    """Fetch each name's release (NAME or NAME==VERSION; default the latest) and run every check;
    a name PyPI does not know gets its offline verdict and an error, and the others go on."""
    from collector.pipeline.analyzer import EngineAnalyzer
    from collector.pipeline.fetcher import ReleaseFetcher
    from collector.pypi.http import Http, PyPIUrls, new_session

    async with new_session() as session:
        http = Http(session)
        urls = PyPIUrls(settings.pypi_url)
        engine = EngineAnalyzer(context.index, http, urls)
        fetcher = ReleaseFetcher(http, urls, sleep=asyncio.sleep)
        return [await _assess_one(engine, fetcher, context, name) for name in names]


async def _assess_one(
    engine: EngineAnalyzer, fetcher: ReleaseFetcher, context: AnalysisContext, spec: str
) -> Checked:
    from collector.pipeline.fetcher import Fetched
    from collector.pipeline.snapshot import build_snapshot
    from collector.pypi.json_api import NotFound, fetch_project
    from collector.store.jobs import Job
    from collector.store.releases import History

    name, _, version = spec.partition("==")
    project = fast_normalize(name)
    if not version:
        page = await fetch_project(fetcher.http, fetcher.urls, project)
        if isinstance(page, NotFound):
            return _unknown(name, context, f"{name} is not on PyPI (or is quarantined)")
        version = page.metadata.version
    job = Job(0, project, version, 0, "check", 1)
    fetched = await fetcher.fetch(job)
    if not isinstance(fetched, Fetched):
        status = getattr(fetched, "status", "stale page")
        return _unknown(name, context, f"{name} {version} is not on PyPI ({status})")
    snapshot = build_snapshot(job, fetched, History(None, 0, None))
    return Checked(await engine.assess(snapshot, None), version)


def _unknown(name: str, context: AnalysisContext, error: str) -> Checked:
    return Checked(assess_name(name, context), None, error)


def exit_code(verdicts: Sequence[Assessment], fail_on: Severity) -> int:
    return EXIT_FINDINGS if any(v.severity >= fail_on for v in verdicts) else EXIT_OK


def store_exists(settings: Settings) -> bool:
    """A configured URL is a store the user chose (unreachable means exit 3); without one, only an
    embedded data directory that was already initialised counts, so that reading names or a file
    never creates a database as a side effect."""
    return bool(settings.database_url) or (settings.pg_dir / "PG_VERSION").is_file()


async def fetch_known_malicious(settings: Settings, specs: Sequence[str]) -> dict[str, list[str]]:
    """The known-malicious OSV records for each NAME (any version) or NAME==VERSION, by spec:
    a field of its own, never folded into the name verdict."""
    from analysis.osv import exposure
    from collector.store.database import open_database
    from collector.store.osv import fetch_advisories

    pairs = {spec: spec.partition("==")[::2] for spec in specs}  # NAME==VERSION: (NAME, VERSION)
    names = sorted({fast_normalize(name) for name, _ in pairs.values()})
    async with open_database(settings, max_size=1) as db, db.pool.acquire() as conn:
        advisories = await fetch_advisories(conn, names)
    return {
        spec: [a.id for a in exposure(advisories, name, version or None).malicious]
        for spec, (name, version) in pairs.items()
    }


async def run(settings: Settings, args: argparse.Namespace) -> int:
    names = _names(args)
    index, loaded = load_index(settings)
    context = AnalysisContext(now=datetime.now(UTC), index=index)
    age = popular_list_age(loaded, context.now)
    if args.metadata:
        checked = await assess_on_pypi(settings, context, names)
    else:
        checked = [Checked(assess_name(name, context), None) for name in names]
    known = await fetch_known_malicious(settings, names) if store_exists(settings) else None
    if args.format is OutputFormat.JSON:
        print_json(
            {
                "corpus": corpus_json(loaded),
                "popular_list": render_list_age_json(age),
                "fail_on": args.fail_on.label,
                "advisories_checked": known is not None,
                "results": [
                    _result_json(n, c, args.metadata, (known or {}).get(n, []))
                    for n, c in zip(names, checked, strict=True)
                ],
            },
            rows="results",
        )
    else:
        lines = [
            _result_text(n, c, (known or {}).get(n, []))
            for n, c in zip(names, checked, strict=True)
        ]
        print_text("\n".join([*lines, popular_list_text(age)]))
    code = exit_code([c.verdict for c in checked], args.fail_on)
    if any((known or {}).values()) and args.fail_on <= KNOWN_MALICIOUS:
        code = EXIT_FINDINGS
    return EXIT_USAGE if code == EXIT_OK and any(c.error for c in checked) else code


def _result_json(
    name: str, checked: Checked, metadata: bool, known_malicious: list[str]
) -> dict[str, Any]:
    result = verdict_json(name, checked.verdict)  # extended in place: 20,000 of these add up
    result["version"] = checked.version
    result["metadata"] = metadata and checked.error is None
    result["error"] = checked.error
    result["known_malicious"] = known_malicious
    return result


def _result_text(name: str, checked: Checked, known_malicious: list[str]) -> str:
    lines = [verdict_text(name, checked.verdict)]
    lines += [f"  ! KNOWN MALICIOUS: {advisory_id} (OSV)" for advisory_id in known_malicious]
    if checked.error:
        lines.append(f"  ! {checked.error}")
    return "\n".join(lines)
