"""docs/checks.md, rendered from the check registry so the page cannot drift from the code."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.checks import CHECKS, Check

HEADER = """# Checks

<!-- Generated from analysis/checks.py by analysis.docs.render_checks_markdown(); do not edit. -->

Every finding names one of these checks. The severity is what the check is worth on its own;
`analysis/scoring.py` combines findings: a name match alone is at most **low**, a flagged name
match plus suspicious metadata is **high**, and **critical** with two strong signals or metadata
copied from the imitated project.
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


def render_checks_markdown(checks: Sequence[Check] = CHECKS) -> str:
    names = [c for c in checks if c.id.startswith("typosquat.")]
    others = [c for c in checks if c.id.startswith("metadata.")]
    code = [c for c in checks if c.id.startswith("code.")]
    parts = [HEADER, "## Name checks (typosquats)", "",
             "A name match's own strength (0-100) decides between **info** and **low**: typing "
             "slips against the 5,000 most-downloaded projects are low, edits that are not typing "
             "slips are info unless the target is among the 100 most-downloaded.", "",
             *_table(names, True), "", "## Metadata checks", "", *_table(others, False), "",
             "## Code checks", "",
             "Read from the files of each distribution; every finding names the member, line "
             "and reach (install, startup, import, command, runtime).", "",
             *_table(code, False), ""]  # fmt: skip
    return "\n".join(parts)
