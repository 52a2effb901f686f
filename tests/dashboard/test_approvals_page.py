"""The Approvals page: waiting requests with their evidence, decisions, and approving or denying
behind the login, against a seeded real Postgres with OSV records."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import PASSWORD, MakeApp
from tests.dashboard.seed import Seeded, seed_osv
from tests.dashboard.test_pages import fetch, no_errors

PAGE = "views/approvals.py"
REQUESTS = """
INSERT INTO approval_requests (project, version, requested_by, count) VALUES
    ('reqeusts', NULL, 'index', 3), ('requests', '2.32.3', 'index', 1);
UPDATE projects SET ownership = '{"roles": [{"role": "Owner", "user": "mallory"}]}'
 WHERE normalized = 'reqeusts';
INSERT INTO approvals (project, version, decision, actor, reason) VALUES
    ('numpy', NULL, 'approved', 'alice', 'widely used');
"""


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_read_only_shows_the_evidence_and_no_form(
    make_app: MakeApp, seeded: Seeded, database_url: str
) -> None:
    seed_osv(database_url, REQUESTS)
    at = make_app(PAGE)
    no_errors(at)
    assert at.title[0].value == "Approvals"
    assert "Read-only dashboard" in at.info[0].value
    assert not at.form
    waiting = frame_with(at, "requested_by").set_index("target")
    assert set(waiting.index) == {"requests==2.32.3", "reqeusts"}
    evil = waiting.loc["reqeusts"]
    assert list(evil["malicious"]) == ["MAL-2099-3"]
    assert (evil["count"], evil["release"], evil["verdict"]) == (3, "1.0.0", "critical")
    assert list(evil["owners"]) == ["mallory"]
    assert evil["licence"] == "MIT"
    assert list(waiting.loc["requests==2.32.3"]["vulnerabilities"]) == ["PYSEC-2099-1"]
    assert int(waiting.loc["requests==2.32.3"]["downloads"]) > 10**8  # the popular list's
    assert evil["downloads"] == ""  # the squat is off the list: an empty cell, not a zero
    decided = frame_with(at, "reason")
    assert list(decided["target"]) == ["numpy"]
    assert (decided["actor"][0], decided["reason"][0]) == ("alice", "widely used")


def test_logged_in_approve_and_deny_record_the_actor(
    make_app: MakeApp, seeded: Seeded, database_url: str
) -> None:
    seed_osv(database_url, REQUESTS)
    at = make_app(PAGE, password=PASSWORD, logged_in_as="frank")
    no_errors(at)
    # no reason: refused, nothing stored
    at.selectbox(key="approval_target").set_value("reqeusts")
    at.radio(key="approval_decision").set_value("denied")
    at.form[0].form_submit_button[0].click()
    at.run()
    assert "needs a --reason" in at.error[0].value
    assert len(fetch(database_url, "SELECT 1 FROM approvals")) == 1
    # a bad expiry: refused
    at.text_area(key="approval_reason").set_value("typosquat of requests, known malware")
    at.text_input(key="approval_expires").set_value("tomorrow")
    at.form[0].form_submit_button[0].click()
    at.run()
    assert "--expires" in at.error[0].value
    # complete: stored with the logged-in user, and the request leaves the waiting list
    at.text_input(key="approval_expires").set_value("")
    at.form[0].form_submit_button[0].click()
    at.run()
    no_errors(at)
    rows = fetch(
        database_url,
        "SELECT project, version, decision, actor, reason, expires_at FROM approvals "
        "WHERE actor = 'frank'",
    )
    assert [tuple(r) for r in rows] == [
        ("reqeusts", None, "denied", "frank", "typosquat of requests, known malware", None)
    ]
    assert list(frame_with(at, "requested_by")["target"]) == ["requests==2.32.3"]
    assert "reqeusts" in at.success[0].value
    # a typed name with an expiry
    at.text_input(key="approval_typed").set_value("Requests==2.32.3")
    at.text_area(key="approval_reason").set_value("pinned, fix reviewed")
    at.text_input(key="approval_expires").set_value("30d")
    at.radio(key="approval_decision").set_value("approved")
    at.form[0].form_submit_button[0].click()
    at.run()
    no_errors(at)
    row = fetch(database_url, "SELECT * FROM approvals WHERE version = '2.32.3'")[0]
    assert (row["project"], row["decision"], row["actor"]) == ("requests", "approved", "frank")
    assert row["expires_at"] is not None
    assert not [d for d in at.dataframe if "requested_by" in d.value.columns]
    assert "Nothing waits" in "\n".join(c.value for c in at.caption)
