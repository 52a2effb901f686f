"""Turn hits into findings: evidence keys, one-sentence summaries, and caps on repeats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from analysis.code.hits import Hit
from analysis.model import Finding, Severity

SCORES = {
    Severity.INFO: 5,
    Severity.LOW: 25,
    Severity.MEDIUM: 50,
    Severity.HIGH: 75,
    Severity.CRITICAL: 95,
}
PER_MEMBER = 5  # hits of one check kept per member: a minified file must not flood the report
PER_ARCHIVE = 20
INFO_KEPT = frozenset({"code.cmdclass-override", "code.startup-hook", "code.build-backend"})


def findings(filename: str, hits: Iterable[tuple[str, Hit]]) -> tuple[Finding, ...]:
    """Worst first, capped per member and per archive, one finding per place."""
    ordered = sorted(hits, key=lambda ph: (-ph[1].severity, ph[0], ph[1].line, ph[1].check_id))
    per_member: Counter[tuple[str, str]] = Counter()
    per_archive: Counter[str] = Counter()
    seen: set[str] = set()
    kept: list[Finding] = []
    for path, hit in ordered:
        if hit.severity < Severity.LOW and hit.check_id not in INFO_KEPT:
            continue
        fingerprint = f"{filename}:{path}:{hit.line}"
        key = f"{hit.check_id} {fingerprint}"
        if key in seen or per_member[hit.check_id, path] >= PER_MEMBER:
            continue
        if per_archive[hit.check_id] >= PER_ARCHIVE:
            continue
        seen.add(key)
        per_member[hit.check_id, path] += 1
        per_archive[hit.check_id] += 1
        kept.append(to_finding(filename, path, hit, fingerprint))
    return tuple(kept)


def to_finding(filename: str, path: str, hit: Hit, fingerprint: str) -> Finding:
    when = "" if hit.reach.when in hit.what else f" {hit.reach.when}"
    summary = f"{path} line {hit.line} {hit.what}{when}."
    evidence = {
        "filename": filename,
        "path": path,
        "line": hit.line,
        "end_line": hit.end_line,
        "snippet": hit.snippet[:200],
        "reach": hit.reach.value,
        **hit.extra,
    }
    return Finding(
        hit.check_id, hit.severity, SCORES[hit.severity], summary, evidence, fingerprint=fingerprint
    )
