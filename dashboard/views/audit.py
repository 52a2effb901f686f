"""Audit: paste or upload a dependency file, and see what `pypi-sentinel audit` says of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard import auditing, context, links
from dashboard.auditing import FILE_KINDS, MAX_BYTES, AuditAnswer
from dashboard.context import PageContext
from dashboard.text import literal_code, markdown_literal
from dashboard.widgets import table

ANSWER = "audit_answer"  # the last audit of this session, kept while the user reads it
SOURCES = ("Paste the file", "Upload the file")
UPLOAD_TYPES = ["in", "lock", "toml", "txt"]
MAX_MB = MAX_BYTES // 1024 // 1024
COLUMNS = {
    "known_malicious": "known malicious",
    "name_verdict": st.column_config.TextColumn("name verdict", width="large"),
    "policy": "policy violations",
    "stored_findings": "stored findings",
}


def render(ctx: PageContext) -> None:
    st.title("Audit")
    st.caption(
        "Check a project's dependencies before installing them: each name against the popular "
        "projects, and what the store knows of it (our findings, OSV's known vulnerabilities and "
        "malware, the licence of a pinned release). The same answer as `pypi-sentinel audit`; "
        "nothing you give is stored."
    )
    submitted = submission()
    if submitted is not None:
        st.session_state.pop(ANSWER, None)
        answer = audit(ctx, *submitted)
        if isinstance(answer, str):
            st.error(answer)
            return
        st.session_state[ANSWER] = answer
    kept = st.session_state.get(ANSWER)
    if isinstance(kept, AuditAnswer):
        show(kept)


def submission() -> tuple[str, bytes] | None:
    """(file name, bytes) once the user asks for an audit; the name picks the parser."""
    how = st.radio("Dependency file", SOURCES, horizontal=True, key="audit_source")
    with st.form("audit", border=False):
        if how == SOURCES[0]:
            kind = st.selectbox("File kind", FILE_KINDS, key="audit_kind") or FILE_KINDS[0]
            text = st.text_area(
                "Contents",
                height=240,
                max_chars=MAX_BYTES,
                key="audit_text",
                placeholder="requests==2.32.3\nnumpy>=2",
            )
            upload = None
        else:
            st.caption("requirements.txt, pyproject.toml, pylock.toml, uv.lock or poetry.lock")
            upload = st.file_uploader(
                "File", type=UPLOAD_TYPES, key="audit_upload", max_upload_size=MAX_MB
            )
        go = st.form_submit_button("Audit", type="primary")
    if not go:
        return None
    if how == SOURCES[0]:
        return kind, text.encode()
    if upload is None:
        return "", b""  # audit() says what is missing
    return upload.name, upload.getvalue()


def audit(ctx: PageContext, filename: str, data: bytes) -> AuditAnswer | str:
    if not filename or not data.strip():
        return "Nothing to audit: paste a dependency file or choose one to upload."
    with st.spinner("Auditing..."):
        submitted = auditing.read_submission(filename, data)
        if isinstance(submitted, str):
            return submitted
        return auditing.run_audit(ctx.db, ctx.settings, submitted, datetime.now(UTC))


def show(answer: AuditAnswer) -> None:
    result = answer.result
    rows = auditing.render_rows(result)
    count = len(rows)
    problems = sum(map(auditing.has_problem, result.worst, result.broken))
    st.subheader("Result")
    noun = "dependency" if count == 1 else "dependencies"
    st.markdown(f"**{count} {noun}, {problems} with problems**")
    st.text(f"audited: {answer.submitted.filename}")
    pairs = zip(result.dependencies, result.known, strict=True)
    malicious = [d.name for d, known in pairs if known.exposure.malicious]
    if malicious:
        names = ", ".join(markdown_literal(name) or "?" for name in malicious)
        st.error(f"**Known malware**: {names}. Do not install these.", icon=":material/dangerous:")
    notes(answer)
    if rows:
        frame = pd.DataFrame(rows)
        table(frame, COLUMNS, key="audit_rows")
    records(answer)
    st.download_button(
        "Download JSON",
        auditing.render_download(answer),
        file_name="audit.json",
        mime="application/json",
        on_click="ignore",  # downloading is no reason to run the page again
        icon=":material/download:",
    )


def notes(answer: AuditAnswer) -> None:
    if answer.list_warning:
        st.warning(answer.list_warning[:1].upper() + answer.list_warning[1:])
    if answer.submitted.includes:
        st.info(
            f"{answer.submitted.includes} `-r` / `-c` line(s) name other files, which were not "
            "read: audit those too."
        )
    policy = answer.document.get("policy")
    if policy:
        st.caption(f"Policy: {literal_code(str(policy))}")


def records(answer: AuditAnswer) -> None:
    """Every OSV record that affects a pinned dependency, linked to osv.dev."""
    found = auditing.vulnerability_rows(answer.result)
    if not found:
        return
    st.subheader(f"Known vulnerabilities and malware ({len(found)})")
    frame = pd.DataFrame(
        [(name, links.osv_url(record), *rest) for name, record, *rest in found],
        columns=["dependency", "record", "aliases", "summary", "fixed_in"],
    )
    columns = {
        "record": st.column_config.LinkColumn("record", display_text=links.OSV_LINK_TEXT),
        "summary": st.column_config.TextColumn("summary", width="large"),
        "fixed_in": "first fixed version",
    }
    table(frame, columns, key="audit_records")


if __name__ == "__main__":
    render(context.current())
