"""A typosquat next to the project it imitates: names with the edit marked, and what we know."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard import actions, links
from dashboard.context import PageContext
from dashboard.queries import TargetProfile
from dashboard.text import Segment, caret_line, edit_segments, highlighted_name
from dashboard.widgets import field, when


def squat_comparison(
    ctx: PageContext,
    release: Mapping[str, Any],
    finding: Mapping[str, Any],
    target: TargetProfile | None,
) -> None:
    evidence = finding["evidence"] if isinstance(finding["evidence"], dict) else {}
    typed = str(evidence.get("name") or release["project"])
    intended = str(evidence.get("imitated") or finding["target"] or "")
    st.subheader("Side by side")
    st.text(edit_text(evidence))
    edit: dict[str, Any] = evidence["edit"] if isinstance(evidence.get("edit"), dict) else {}
    ours, theirs = edit_segments(typed, intended, edit)
    left, right = st.columns(2, border=True)
    with left:
        st.caption("this release")
        name(ours)
        downloads = evidence.get("candidate_downloads")
        field(
            "downloads a month",
            f"{downloads:,}" if isinstance(downloads, int) else "not among the popular projects",
        )
        field("summary", release["summary"])
        field("author", _author(release["author"], release["author_email"]))
        field("first release we saw", when(release["project_first_upload"]))
    with right:
        st.caption("the project it imitates")
        name(theirs)
        downloads = evidence.get("target_downloads")
        field("downloads a month", f"{downloads:,}" if isinstance(downloads, int) else "unknown")
        imitated(ctx, target, intended)
        st.link_button(
            "Imitated project on PyPI",
            links.pypi_project_url(ctx.settings.pypi_url, str(finding["target"] or intended)),
        )


def imitated(ctx: PageContext, target: TargetProfile | None, name: str) -> None:
    """What we stored of the imitated project, else what PyPI says of it now."""
    if target is not None and target.version is not None:
        field("summary", target.summary)
        field("author", _author(target.author, target.author_email))
        field("first release we saw", when(target.first_upload))
        return
    found = actions.lookup_project(ctx.db, ctx.settings.pypi_url, name)
    if isinstance(found, str):
        st.caption(f"Not in our store, and its summary is unavailable: {found}")
        return
    field("summary", found.summary)
    field("author", _author(found.author, found.author_email))
    field("latest version on PyPI", found.version)
    st.caption("From PyPI (we store the projects that released while we watched).")


def name(segments: list[Segment]) -> None:
    """The name with its changed letters marked; plain text with carets if not literal-safe."""
    marked = highlighted_name(segments)
    if marked is not None:
        st.markdown(f"### {marked}")
    else:
        st.code("".join(s.text for s in segments) + "\n" + caret_line(segments), language=None)


def edit_text(evidence: Mapping[str, Any]) -> str:
    """'rule typosquat.swapped-chars · swap at 3: "eu" -> "ue" (distance 1)'."""
    edit = evidence.get("edit") if isinstance(evidence.get("edit"), dict) else {}
    parts = [f"rule {evidence.get('rule', '?')}"]
    if edit:
        how = str(edit.get("op", "?"))
        if "position" in edit:
            how += f" at {edit['position']}"
        if edit.get("intended") or edit.get("typed"):
            how += f": {edit.get('intended', '')!r} -> {edit.get('typed', '')!r}"
        if edit.get("slip"):
            how += f" ({edit['slip']})"
        parts.append(how)
    if "distance" in evidence:
        parts.append(f"distance {evidence['distance']}")
    ratio = evidence.get("popularity_ratio")
    if isinstance(ratio, int | float):
        parts.append(f"{ratio:,.0f}x more downloads")
    return " · ".join(parts)


def _author(author: str | None, email: str | None) -> str:
    return " ".join(part for part in (author, f"<{email}>" if email else None) if part)
