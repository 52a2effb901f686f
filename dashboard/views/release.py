"""Release detail: metadata, every reason with its evidence, typosquat comparison, known
vulnerabilities and licence, triage, report."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analysis.licences import Licence
from analysis.names import normalize
from analysis.osv import Exposure
from collector.reports.build import KINDS
from dashboard import actions, context, links, queries
from dashboard.context import PageContext
from dashboard.forms import reportable, triage_problem
from dashboard.squat import squat_comparison
from dashboard.text import (
    LICENCE_SOURCES,
    evidence_rows,
    licence_text,
    literal_code,
    markdown_literal,
)
from dashboard.widgets import (
    VERDICT_LABELS,
    field,
    notice,
    read_only_notice,
    severity_badge,
    table,
    when,
)

FLASH = "release_flash"
CONFIRM = "report_confirming"
VERDICT_KEY, NOTE_KEY, TRIAGE_PROBLEM = "triage_verdict", "triage_note", "triage_problem"
SHOWN_ABOVE = ("inspector_url", "snippet")  # code_evidence shows these


def render(ctx: PageContext) -> None:
    release_id = requested_release(ctx)
    if release_id is None:
        return
    db = ctx.db
    detail = db.run(queries.fetch_release(db.pool, release_id))
    if detail is None:
        st.warning(f"There is no release with id {release_id}.")
        return
    release = detail.release
    heading(ctx, release)
    flash()
    main, side = st.columns([2, 1], gap="large")
    with main:
        verdict_section(detail)
        known_issues(ctx, release)
        squat = next(
            (
                f
                for f in detail.findings
                if f["check_id"].startswith("typosquat.") and f["severity"] != "info"
            ),
            None,
        )
        if squat is not None:
            squat_comparison(ctx, release, squat, detail.targets.get(squat["target"] or ""))
    with side:
        triage(ctx, detail)
        report(ctx, detail)
    reasons(detail)
    metadata(release)
    files(release, detail)


def requested_release(ctx: PageContext) -> int | None:
    """The release in the URL (?release=id), or one looked up by name and version."""
    raw = st.query_params.get("release")
    if raw and raw.isdigit():
        return int(raw)
    st.title("Release detail")
    with st.form("lookup", border=False):
        left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
        project = left.text_input("Project", placeholder="e.g. reqeusts")
        version = middle.text_input("Version", placeholder="newest when empty")
        found = right.form_submit_button("Open", type="primary")
    if not found or not project.strip():
        st.caption("Open a release from the Findings or Overview page, or look one up here.")
        return None
    db = ctx.db
    release_id = db.run(queries.find_release(db.pool, normalize(project), version.strip() or None))
    if release_id is None:
        st.warning("No such release in the store.")
        return None
    st.query_params["release"] = str(release_id)
    st.rerun()


def heading(ctx: PageContext, release: dict[str, Any]) -> None:
    name, version = release["display_name"], release["version"]
    title = markdown_literal(name), markdown_literal(version)
    if title[0] and title[1]:
        st.title(f"{title[0]} {title[1]}")
    else:  # not a name PyPI would accept: never let it near markdown
        st.title("Release")
        st.code(f"{name} {version}", language=None)
    status = release["status"]
    badges = [
        severity_badge(release["risk_severity"]),
        f":gray-badge[score {release['risk_score'] if release['risk_score'] is not None else '-'}]",
        f":{'gray' if status == 'active' else 'red'}-badge[{status}]",
    ]
    st.markdown(" ".join(badges))
    pypi = ctx.settings.pypi_url
    with st.container(horizontal=True):
        st.link_button(
            "PyPI",
            links.pypi_release_url(pypi, release["project"], version),
            icon=":material/open_in_new:",
        )
        st.link_button(
            "Inspector",
            links.inspector_release_url(release["project"], version),
            icon=":material/search:",
        )
        st.link_button("Project on PyPI", links.pypi_project_url(pypi, release["project"]))


def flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if isinstance(message, tuple):
        notice(*message)


def verdict_section(detail: queries.ReleaseDetail) -> None:
    aggregate = next((f for f in detail.findings if f["check_id"] == queries.RELEASE_CHECK), None)
    if aggregate is None:
        return
    st.subheader("Verdict")
    st.markdown(f"{severity_badge(aggregate['severity'])} score {int(aggregate['score'])}")
    st.text(aggregate["summary"])
    evidence = aggregate["evidence"] if isinstance(aggregate["evidence"], dict) else {}
    for reason in evidence.get("reasons", []) or []:
        st.text(f"• {reason}")


def known_issues(ctx: PageContext, release: dict[str, Any]) -> None:
    """The OSV records that affect this version, known malware first, and the licence."""
    db, project, version = ctx.db, release["project"], release["version"]
    known = db.run(queries.fetch_known_issues(db.pool, project, version))
    st.subheader("Known vulnerabilities and licence")
    for advisory in known.exposure.malicious:
        st.error(
            f"**Known malicious.** OSV record {literal_code(advisory.id)} lists this release as "
            "malware: do not install it.",
            icon=":material/dangerous:",
        )
    advisories(known.exposure)
    if not known.synced:
        st.caption("No OSV records are stored: `pypi-sentinel osv sync` fetches them.")
    elif known.others:
        st.caption(f"{known.others} other OSV record(s) name this project but not this version.")
    elif not known.exposure.vulnerabilities and not known.exposure.malicious:
        st.caption("No OSV record names this project.")
    licence(known.licence)


def advisories(found: Exposure) -> None:
    rows = [(a, "known malicious", "") for a in found.malicious]
    rows += [(a, "vulnerability", fixed or "") for a, fixed in found.vulnerabilities]
    if not rows:
        return
    frame = pd.DataFrame(
        [
            (links.osv_url(a.id), kind, ", ".join(a.aliases), a.summary, fixed)
            for a, kind, fixed in rows
        ],
        columns=["record", "kind", "aliases", "summary", "fixed_in"],
    )
    columns = {
        "record": st.column_config.LinkColumn("record", display_text=links.OSV_LINK_TEXT),
        "summary": st.column_config.TextColumn("summary", width="large"),
        "fixed_in": "first fixed version",
    }
    table(frame, columns, key="advisories")


def licence(found: Licence | None) -> None:
    if found is None:
        field("licence", "unknown: the release's metadata is not stored")
        return
    field("licence (SPDX)" if found.known else "licence", licence_text(found))
    st.caption(f"from {LICENCE_SOURCES[found.source]}")


def reasons(detail: queries.ReleaseDetail) -> None:
    checks = [f for f in detail.findings if f["check_id"] != queries.RELEASE_CHECK]
    st.subheader(f"Reasons ({len(checks)})")
    if not checks:
        st.caption("No check fired on this release.")
        return
    for finding in checks:
        label = markdown_literal(finding["check_id"]) or "check"
        title = f"{severity_badge(finding['severity'])} {label} · score {int(finding['score'])}"
        with st.expander(title, expanded=finding["severity"] not in ("info", "low")):
            st.text(finding["summary"])
            if finding["target"]:
                field("imitates", finding["target"])
            code_evidence(finding["evidence"])
            evidence(finding["evidence"])


def evidence(document: object) -> None:
    """The evidence as rows to read (what code_evidence showed already is left out)."""
    shown = isinstance(document, dict) and isinstance(document.get("inspector_url"), str)
    rows = evidence_rows(document, skip=SHOWN_ABOVE if shown else ())
    if rows:
        frame = pd.DataFrame(rows, columns=["evidence", "value"])
        table(frame, {"value": st.column_config.TextColumn("value", width="large")})


def code_evidence(evidence: object) -> None:
    """Where a file finding points: the member and line, the offending code as plain text, and
    the line on inspector.pypi.io (a URL we built, with the archive's path percent-encoded)."""
    if not isinstance(evidence, dict) or not isinstance(evidence.get("inspector_url"), str):
        return
    line = evidence.get("line")
    where = f"{evidence.get('filename', '')} : {evidence.get('path', '')}"
    field("file", where + (f", line {line}" if isinstance(line, int) else ""))
    if isinstance(evidence.get("snippet"), str):
        st.code(evidence["snippet"], language=None, wrap_lines=True)
    url = evidence["inspector_url"]
    if url.startswith(links.INSPECTOR_URL + "/"):
        st.link_button("Open on inspector", url, icon=":material/search:")


def metadata(release: dict[str, Any]) -> None:
    st.subheader("Metadata")
    document: dict[str, Any] = release["metadata"] if isinstance(release["metadata"], dict) else {}
    meta: dict[str, Any] = (
        document["metadata"] if isinstance(document.get("metadata"), dict) else {}
    )
    owners = (document.get("ownership") or {}).get("roles") or []
    urls = [f"{pair[0]}: {pair[1]}" for pair in meta.get("project_urls") or [] if len(pair) == 2]
    rows = [
        ("summary", release["summary"]),
        ("author", release["author"]),
        ("author e-mail", release["author_email"]),
        (
            "maintainer",
            " ".join(filter(None, (meta.get("maintainer"), meta.get("maintainer_email")))),
        ),
        ("owners on PyPI", ", ".join(f"{r.get('user')} ({r.get('role')})" for r in owners)),
        ("licence", meta.get("license_expression") or meta.get("license")),
        ("home page (not a link)", meta.get("home_page")),
        ("project URLs (not links)", " | ".join(urls)),
        ("requires", ", ".join(meta.get("requires_dist") or [])),
        ("requires Python", meta.get("requires_python")),
        ("uploaded", when(release["uploaded_at"])),
        ("first seen", f"{when(release['first_seen_at'])} via {release['first_seen_source']}"),
        ("project's first upload we saw", when(release["project_first_upload"])),
        ("releases of the project we saw", str(release["project_releases"])),
        ("changelog serial", release["serial"]),
        ("yanked reason", release["yanked_reason"]),
    ]
    frame = pd.DataFrame(
        [(k, "" if v is None else str(v)) for k, v in rows], columns=["field", "value"]
    )
    table(frame, {"value": st.column_config.TextColumn("value", width="large")}, key="metadata")
    description = meta.get("description") or ""
    with st.expander(f"Description ({len(description):,} characters, shown as plain text)"):
        st.code(description[:20_000] or "(empty)", language=None, wrap_lines=True)


def files(release: dict[str, Any], detail: queries.ReleaseDetail) -> None:
    st.subheader(f"Files ({len(detail.files)})")
    if detail.files.empty:
        st.caption("No files recorded.")
        return
    frame = detail.files.copy()
    frame["inspect"] = [
        links.inspector_file_url(release["project"], release["version"], url)
        for url in frame["url"]
    ]
    table(
        frame,
        {
            "filename": "file",
            "packagetype": "type",
            "python_version": "python",
            "size": st.column_config.NumberColumn("bytes", format="%d"),
            "uploaded_at": st.column_config.DatetimeColumn(
                "uploaded (UTC)", format="YYYY-MM-DD HH:mm"
            ),
            "sha256": "sha256",
            "inspect": st.column_config.LinkColumn("inspector", display_text="inspect"),
            "inspection": "inspection",
            "inspection_error": "inspection error",
            "inspected_members": st.column_config.NumberColumn("members read", format="%d"),
        },
        column_order=[
            "filename",
            "packagetype",
            "python_version",
            "size",
            "uploaded_at",
            "status",
            "inspection",
            "inspected_members",
            "inspection_error",
            "yanked",
            "sha256",
            "inspect",
        ],
    )


def triage(ctx: PageContext, detail: queries.ReleaseDetail) -> None:
    st.subheader("Triage")
    history = detail.verdicts
    status = "new" if history.empty else str(history.iloc[0]["verdict"])
    st.markdown(f"Status: **{VERDICT_LABELS.get(status, 'new')}**")
    if not history.empty:
        table(
            history,
            {
                "created_at": st.column_config.DatetimeColumn(
                    "when (UTC)", format="YYYY-MM-DD HH:mm:ss"
                ),
                "verdict": "verdict",
                "actor": "who",
                "note": st.column_config.TextColumn("note", width="large"),
            },
            column_order=["created_at", "verdict", "actor", "note"],
        )
    if not read_only_notice(ctx.access):
        return
    with st.form("triage"):
        st.selectbox(
            "Verdict",
            queries.VERDICTS,
            index=None,
            format_func=VERDICT_LABELS.__getitem__,
            placeholder="Choose a verdict",
            key=VERDICT_KEY,
        )
        st.text_area(
            "Note",
            max_chars=2000,
            key=NOTE_KEY,
            placeholder="what you checked, for the next person (required for malicious)",
        )
        st.form_submit_button(
            "Record verdict", type="primary", on_click=record, args=(ctx, int(detail.release["id"]))
        )
    problem = st.session_state.pop(TRIAGE_PROBLEM, None)
    if problem:
        st.error(problem)


def record(ctx: PageContext, release_id: int) -> None:
    """Store the verdict once it is complete, then blank the form; otherwise say what is
    missing and store nothing. A callback: only it may reset the widgets it reads."""
    verdict = st.session_state.get(VERDICT_KEY)
    note = str(st.session_state.get(NOTE_KEY) or "").strip()
    problem = triage_problem(verdict, note)
    if problem is not None or verdict is None:
        st.session_state[TRIAGE_PROBLEM] = problem or "Choose a verdict."
        return
    db = ctx.db
    db.run(queries.record_verdict(db.pool, release_id, verdict, note, ctx.access.actor or ""))
    st.session_state[VERDICT_KEY], st.session_state[NOTE_KEY] = None, ""
    st.session_state[FLASH] = ("success", f"Recorded **{VERDICT_LABELS[verdict]}**.")


def report(ctx: PageContext, detail: queries.ReleaseDetail) -> None:
    st.subheader("Report to PyPI")
    stored = detail.report
    if stored is None:
        st.caption("Not reported.")
    else:
        report_state(ctx, stored)
    if not ctx.access.can_act or (stored and stored["status"] == "submitted"):
        return
    if not reportable(detail.release["risk_severity"]):
        st.caption("Reporting is offered for releases scored medium or above.")
        return
    kind = st.selectbox("Report as", KINDS, key="report_kind") or KINDS[0]
    if not st.session_state.get(CONFIRM):
        st.button("Report to PyPI", key="report_button", on_click=_ask, args=(True,))
        return
    st.warning(
        f"Send a **{kind}** report to PyPI's admins? They act on it: report a release only "
        "after checking it yourself."
    )
    with st.container(horizontal=True):
        confirmed = st.button("Send the report", type="primary", key="report_confirm")
        st.button("Cancel", key="report_cancel", on_click=_ask, args=(False,))
    if confirmed:
        send_report(ctx, detail.release, kind)


def send_report(ctx: PageContext, release: dict[str, Any], kind: str) -> None:
    """Report, then show the stored state on a fresh run, so it is never shown twice."""
    _ask(False)
    result = actions.report_release(
        ctx.db, ctx.settings, release["project"], release["version"], kind, ctx.access.actor or ""
    )
    if not result.ok:  # a success shows as the report's stored state, in one place
        st.session_state[FLASH] = (
            "error",
            f"Report {result.status or 'not made'}:",
            result.message,
        )
    st.rerun()


def _ask(confirming: bool) -> None:
    st.session_state[CONFIRM] = confirming


def report_state(ctx: PageContext, stored: dict[str, Any]) -> None:
    """What we sent or prepared, once; a prepared report links PyPI's form to finish it."""
    st.markdown(
        f"Report **{stored['status']}** ({stored['kind']}) on {when(stored['created_at'])}"
        + (f", HTTP {int(stored['http_status'])}" if stored["http_status"] else "")
    )
    if stored["actor"]:
        field("by", stored["actor"])
    field("summary sent" if stored["status"] == "submitted" else "summary", stored["summary"])
    form = stored.get("submit_url") or ""
    if stored["status"] != "submitted" and form.startswith(ctx.settings.pypi_url.rstrip("/") + "/"):
        st.link_button("Open PyPI's report form", form)


if __name__ == "__main__":
    render(context.current())
