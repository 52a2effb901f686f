"""The registry is complete, and docs/checks.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from analysis import CHECKS, CHECKS_BY_ID
from analysis.docs import render_checks_markdown
from analysis.names.typosquat import BASE_STRENGTH

DOCS = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_ids_are_unique_and_dotted() -> None:
    assert len(CHECKS_BY_ID) == len(CHECKS)
    assert all(c.id.count(".") == 1 and c.id == c.id.lower() for c in CHECKS)


def test_every_name_rule_is_registered() -> None:
    assert set(BASE_STRENGTH) == {c.id for c in CHECKS if c.id.startswith("typosquat.")}


def test_docs_are_current() -> None:
    assert DOCS.read_text() == render_checks_markdown(), (
        "regenerate: python -c 'from analysis.docs import render_checks_markdown as r; "
        'print(r(), end="")\' > docs/checks.md'
    )


def test_docs_list_every_check() -> None:
    page = render_checks_markdown()
    assert all(f"`{c.id}`" in page for c in CHECKS)
