"""docs/checks.md, rendered from the check registry so the page cannot drift from the code."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.checks import CHECKS, Check

HEADER = """# Checks

<!-- Generated from analysis/checks.py by analysis.docs.render_checks_markdown(); do not edit. -->

Every finding names one of these checks. The severity is what the check is worth on its own;
`analysis/scoring.py` combines findings. Weak signals (a name resemblance, thin metadata, low
file findings) may add up but stay **low**, except a flagged name on a young project (first
release, or first upload under 90 days old) with thin metadata (two of: no description, no URL,
a placeholder version or e-mail), which is **medium**: the fresh squat. A flagged name plus a
medium or stronger finding is **high**, and **critical** with two of them or a decisive one
(metadata copied from the imitated project, a look-alike dependency). On an established project
(first upload a year before the release and 3 earlier releases, or 20 releases) name findings
are **info** and a borrowed repository or copied text at most **low** (`analysis/standing.py`).
"""


def _table(checks: Sequence[Check], with_example: bool) -> list[str]:
    head = "| id | severity | score | what it means |"
    lines = [head + (" example |" if with_example else ""), "|---|---|---|---|"]
    lines[1] += "---|" if with_example else ""
    for check in checks:
        row = f"| `{check.id}` | {check.severity.label} | {check.score} | **{check.title}.** "
        row += f"{check.description} |"
        if with_example:
            row += f" {check.example} |"
        lines.append(row)
    return lines


# Sections after the name checks, by id prefix, in registry order; a new prefix gets its own.
SECTIONS = {
    "metadata": "Metadata checks",
    "archive": "Archive checks (distribution files)",
    "code": "Code checks (what a file's code does, with its member, line and reach: install, "
    "startup, import, command or runtime)",
    "known": "Known reports (public OSV records naming a stored release)",
}


def render_checks_markdown(checks: Sequence[Check] = CHECKS) -> str:
    names = [c for c in checks if c.id.startswith("typosquat.")]
    parts = [
        HEADER,
        "## Name checks (typosquats)",
        "",
        "A name match's own strength (0-100) decides between **info** and **low**: typing "
        "slips against the 5,000 most-downloaded projects are low, edits that are not typing "
        "slips are info unless the target is among the 100 most-downloaded.",
        "",
        *_table(names, True),
        "",
    ]
    prefixes = dict.fromkeys(c.id.partition(".")[0] for c in checks if c not in names)
    for prefix in prefixes:
        section = [c for c in checks if c.id.partition(".")[0] == prefix]
        title = SECTIONS.get(prefix, f"{prefix.capitalize()} checks")
        parts += [f"## {title}", "", *_table(section, False), ""]
    return "\n".join(parts)
