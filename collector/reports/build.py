"""Building a report for PyPI's admins from what we found. Pure: findings and files in, text out.

The summary must be 10-2000 characters (PyPI's form and API) and say what to look at; the
inspector link points at the exact file (and line, when a finding's evidence names one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INSPECTOR = "https://inspector.pypi.io/project"
KINDS = ("is_malware", "is_spam", "is_dependency_confusion", "something_else")
SUMMARY_MIN, SUMMARY_MAX = 10, 2000


@dataclass(frozen=True, slots=True)
class ReportFinding:
    """A stored finding as a report quotes it (severity as its label)."""

    check_id: str
    severity: str
    score: int
    summary: str
    evidence: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FileRef:
    filename: str
    url: str
    packagetype: str


@dataclass(frozen=True, slots=True)
class Report:
    project: str
    version: str
    kind: str
    summary: str
    inspector_url: str


def build_report(
    project: str,
    version: str,
    kind: str,
    findings: Sequence[ReportFinding],
    files: Sequence[FileRef],
    *,
    dashboard_url: str | None = None,
) -> Report:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    return Report(
        project,
        version,
        kind,
        _summary(project, version, findings, dashboard_url),
        inspector_url(project, version, findings, files),
    )


def _summary(
    project: str, version: str, findings: Sequence[ReportFinding], dashboard_url: str | None
) -> str:
    ordered = sorted(findings, key=lambda f: (-f.score, f.check_id))
    verdict = next((f for f in ordered if f.check_id == "release.assessment"), None)
    head = f"pypi-sentinel flagged {project} {version}"
    if verdict is not None:
        head += f" as {verdict.severity} risk (score {verdict.score}/100)"
    lines = [head + "."]
    lines += [
        f"- {f.summary} [{f.check_id}]" for f in ordered if f.check_id != "release.assessment"
    ]
    if dashboard_url:
        lines.append(f"Details: {dashboard_url}")
    text = "\n".join(lines)
    if len(text) > SUMMARY_MAX:
        text = text[: SUMMARY_MAX - 1] + "…"
    return text if len(text) >= SUMMARY_MIN else f"{text} (flagged)"


def inspector_url(
    project: str, version: str, findings: Sequence[ReportFinding], files: Sequence[FileRef]
) -> str:
    """The most precise link: a file and line from evidence, else the sdist, else the release."""
    release = f"{INSPECTOR}/{project}/{version}/"
    by_name = {f.filename: f for f in files}
    for finding in sorted(findings, key=lambda f: -f.score):
        linked = finding.evidence.get("inspector_url")  # file findings carry their exact line
        if isinstance(linked, str) and linked.startswith(f"{release}packages/"):
            return linked
        filename = finding.evidence.get("filename")
        if isinstance(filename, str) and filename in by_name:
            path = _packages_path(by_name[filename])
            inner = finding.evidence.get("path")
            line = finding.evidence.get("line")
            if path and isinstance(inner, str):
                anchor = f"#line.{line}" if isinstance(line, int) else ""
                return f"{release}{path}{inner.lstrip('/')}{anchor}"
    chosen = sorted(files, key=lambda f: (f.packagetype != "sdist", f.filename))
    for ref in chosen:
        path = _packages_path(ref)
        if path:
            return release + path
    return release


def _packages_path(ref: FileRef) -> str | None:
    """'packages/aa/bb/<hash>/<filename>/' from a files.pythonhosted.org URL (or a mirror's)."""
    marker = "/packages/"
    if marker not in ref.url:
        return None
    tail = ref.url.split(marker, 1)[1].strip("/")
    return f"packages/{tail}/"
