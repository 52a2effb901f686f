"""The Audit page's work, no layout: read a pasted or uploaded dependency file and audit it with
the core `pypi-sentinel audit` uses (collector.audit), so the page and the command agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from analysis import AnalysisContext, NameIndex
from analysis.errors import AnalysisError
from analysis.model import Assessment, Severity
from analysis.osv import Exposure
from analysis.requirements import (
    Dependency,
    Include,
    RequirementsLineError,
    is_dependency_document,
    parse_dependency_file,
    parse_requirements_file,
)
from collector.audit import Audit, judge
from collector.commands.audit import render_audit_document
from collector.config import Settings
from collector.corpus import LoadedCorpus, list_age, load_local_corpus, render_stale_warning
from collector.errors import UsageError
from collector.name_index import load_or_build_index
from collector.output import render_json
from collector.policy import load_policy
from dashboard import queries
from dashboard.db import AsyncDB
from dashboard.text import licence_text

MAX_BYTES = 2 * 1024 * 1024  # a lock file of thousands of packages is well under this
FILE_KINDS = ("requirements.txt", "pyproject.toml", "pylock.toml", "uv.lock", "poetry.lock")
INDEX_TTL = 3600  # seconds: `run` refreshes the popular list daily; an hour late is fine


@dataclass(frozen=True, slots=True)
class Submitted:
    """The dependencies a file declares, under the name it was given."""

    filename: str
    dependencies: tuple[Dependency, ...]
    includes: int = 0  # `-r` / `-c` lines: their files are not here to follow


@dataclass(frozen=True, slots=True)
class AuditAnswer:
    submitted: Submitted
    result: Audit
    document: dict[str, Any]  # what `audit --format json` prints, less `fail_on`
    list_warning: str | None  # the popular list is too old to trust


def read_submission(filename: str, data: bytes) -> Submitted | str:
    """The dependencies in `data`, parsed by its file name; or one line saying why not."""
    if len(data) > MAX_BYTES:
        return (
            f"{filename} is {len(data) / 1024 / 1024:.1f} MB: the page audits files up to "
            f"{MAX_BYTES // 1024 // 1024} MB. Run `pypi-sentinel audit FILE` for bigger ones."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"{filename} is not UTF-8 text (byte {exc.start} cannot be read)."
    try:
        found, includes = _parse(filename, text)
    except RequirementsLineError as exc:
        return f"{filename}, line {exc.line}: {exc.reason}"
    except AnalysisError as exc:
        return f"{filename}: {exc}"
    return Submitted(filename, tuple(replace(d, source=filename) for d in found), includes)


def _parse(filename: str, text: str) -> tuple[tuple[Dependency, ...], int]:
    if is_dependency_document(filename):
        return parse_dependency_file(filename, text), 0
    parsed = parse_requirements_file(text)  # includes are counted, never read from disk
    return parsed.dependencies, sum(isinstance(e, Include) for e in parsed.entries)


@st.cache_resource(show_spinner="Loading the popular-projects list...", ttl=INDEX_TTL)
def name_index(cache_dir: str) -> tuple[NameIndex, LoadedCorpus]:
    """The index `check` and `audit` judge names against, from the same list and saved index.

    Not their load_index: that one freezes the garbage collector for a one-shot command, and
    this process lives on, dropping an hour-old index for a fresh one."""
    loaded = load_local_corpus(Path(cache_dir))
    return load_or_build_index(Path(cache_dir), loaded.corpus), loaded


def run_audit(
    db: AsyncDB, settings: Settings, submitted: Submitted, now: datetime
) -> AuditAnswer | str:
    """The audit of `submitted` against the store and the policy; or why it cannot run."""
    try:
        policy = load_policy(settings.policy)
    except UsageError as exc:
        return f"The policy file cannot be used: {exc}"
    index, loaded = name_index(str(settings.cache_dir))
    dependencies = submitted.dependencies
    lookup = db.run(queries.fetch_audit_lookup(db.pool, dependencies))
    context = AnalysisContext(now=now, index=index)
    result = judge(dependencies, context, lookup, policy, now.date(), progress=False)
    age = list_age(loaded, now.date())
    document = render_audit_document(submitted.filename, loaded, age, result, settings)
    return AuditAnswer(submitted, result, document, render_stale_warning(age))


def render_download(answer: AuditAnswer) -> str:
    """The JSON the page offers: `audit --format json`'s document, byte for byte its shape."""
    return render_json(answer.document) + "\n"


def has_problem(worst: Severity, reasons: Sequence[str]) -> bool:
    """Flagged at all (low and up, what `audit` fails on by default) or against the policy."""
    return worst >= Severity.LOW or bool(reasons)


def render_rows(result: Audit) -> list[dict[str, str]]:
    """One row per dependency, every cell plain text: the table the page shows."""
    rows = []
    for dependency, verdict, known, reasons, worst in zip(
        result.dependencies, result.verdicts, result.known, result.broken, result.worst, strict=True
    ):
        rows.append(
            {
                "dependency": dependency.name,
                "pinned": known.version or "",
                "declared": dependency.where,
                "name_verdict": _verdict(verdict),
                "stored_findings": "; ".join(
                    f"{f.severity.label} {f.check_id} on {f.version}" for f in known.findings
                ),
                "vulnerabilities": _vulnerabilities(known.exposure),
                "known_malicious": ", ".join(a.id for a in known.exposure.malicious),
                "licence": licence_text(known.licence),
                "policy": "; ".join(reasons),
                "worst": worst.label,
            }
        )
    return rows


def _verdict(verdict: Assessment) -> str:
    if not verdict.findings:
        return "ok"
    head = f"{verdict.severity.label} ({verdict.score})"
    return f"{head}: {verdict.reasons[0]}" if verdict.reasons else head


def _vulnerabilities(found: Exposure) -> str:
    listed = [f"{a.id} (fixed in {fixed})" if fixed else a.id for a, fixed in found.vulnerabilities]
    if found.unchecked:
        listed.append(f"{found.unchecked} record(s) for other versions: pin one to check")
    return "; ".join(listed)


def vulnerability_rows(result: Audit) -> list[tuple[str, str, str, str, str]]:
    """(dependency, OSV record id, aliases, summary, first fixed version), all malware first."""
    pairs = list(zip(result.dependencies, result.known, strict=True))
    malware = [(d.name, a, "") for d, known in pairs for a in known.exposure.malicious]
    vulnerable = [
        (d.name, a, fixed or "")
        for d, known in pairs
        for a, fixed in known.exposure.vulnerabilities
    ]
    return [
        (name, a.id, ", ".join(a.aliases), a.summary, fixed)
        for name, a, fixed in malware + vulnerable
    ]
