"""Changelog rows and action strings, decoded exactly as Warehouse writes them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collector.pypi.changelog import EventKind, GarbageError, parse_action, parse_changelog_rows

# (action, version, kind, filename, python_version, detail) - every action Warehouse emits.
ACTIONS = [
    ("create", None, EventKind.CREATE, None, None, {}),
    ("new release", "1.0", EventKind.NEW_RELEASE, None, None, {}),
    (
        "add py3 file openllm-0.4.33.dev3-py3-none-any.whl",
        "0.4.33.dev3",
        EventKind.ADD_FILE,
        "openllm-0.4.33.dev3-py3-none-any.whl",
        "py3",
        {},
    ),
    ("add source file pkg-1.0.tar.gz", "1.0", EventKind.ADD_FILE, "pkg-1.0.tar.gz", "source", {}),
    (
        "add py2.py3 file a-1-py2.py3-none-any.whl",
        "1",
        EventKind.ADD_FILE,
        "a-1-py2.py3-none-any.whl",
        "py2.py3",
        {},
    ),
    (
        "add cp310 file n-1-cp310-cp310-manylinux_2_17_x86_64.whl",
        "1",
        EventKind.ADD_FILE,
        "n-1-cp310-cp310-manylinux_2_17_x86_64.whl",
        "cp310",
        {},
    ),
    ("remove file pkg-1.0.tar.gz", "1.0", EventKind.REMOVE_FILE, "pkg-1.0.tar.gz", None, {}),
    ("remove release", "1.0", EventKind.REMOVE_RELEASE, None, None, {}),
    ("remove project", None, EventKind.REMOVE_PROJECT, None, None, {}),
    ("yank release", "1.0", EventKind.YANK, None, None, {}),
    ("unyank release", "1.0", EventKind.UNYANK, None, None, {}),
    ("project quarantined", None, EventKind.PROJECT_QUARANTINED, None, None, {}),
    ("project quarantine cleared", None, EventKind.PROJECT_QUARANTINE_CLEARED, None, None, {}),
    ("release quarantined", "1.0", EventKind.RELEASE_QUARANTINED, None, None, {}),
    ("release quarantine cleared", "1.0", EventKind.RELEASE_QUARANTINE_CLEARED, None, None, {}),
    ("add Owner alice", None, EventKind.ROLE_ADD, None, None, {"role": "Owner", "user": "alice"}),
    (
        "remove Maintainer bob",
        None,
        EventKind.ROLE_REMOVE,
        None,
        None,
        {"role": "Maintainer", "user": "bob"},
    ),
    (
        "change Maintainer bob to Owner",
        None,
        EventKind.ROLE_CHANGE,
        None,
        None,
        {"role": "Maintainer", "user": "bob", "new_role": "Owner"},
    ),
    (
        "invite Owner carol",
        None,
        EventKind.ROLE_INVITE,
        None,
        None,
        {"role": "Owner", "user": "carol"},
    ),
    (
        "revoke_invite Owner carol",
        None,
        EventKind.ROLE_INVITE_REVOKED,
        None,
        None,
        {"role": "Owner", "user": "carol"},
    ),
    (
        "accepted Owner carol",
        None,
        EventKind.ROLE_ACCEPTED,
        None,
        None,
        {"role": "Owner", "user": "carol"},
    ),
    # historical, pre-Warehouse rows
    ("remove", "0.1", EventKind.REMOVE_RELEASE, None, None, {}),  # bare remove with a version
    ("remove", None, EventKind.REMOVE_PROJECT, None, None, {}),  # bare remove of a project
    ("update description", "0.1", EventKind.UNKNOWN, None, None, {}),  # kept raw
    ("docupdate", None, EventKind.UNKNOWN, None, None, {}),
]


@pytest.mark.parametrize(("action", "version", "kind", "filename", "pyver", "detail"), ACTIONS)
def test_parse_action(
    action: str,
    version: str | None,
    kind: EventKind,
    filename: str | None,
    pyver: str | None,
    detail: dict[str, str],
) -> None:
    parsed = parse_action(action, version)
    assert parsed.kind is kind
    assert parsed.filename == filename
    assert parsed.python_version == pyver
    assert dict(parsed.detail) == detail


def test_rows_are_decoded_normalized_and_sorted() -> None:
    rows = [
        ["Open_LLM", "0.4.33.dev3", 1701280908, "add py3 file x.whl", 4601226],
        ["Open_LLM", "0.4.33.dev3", 1701280908, "new release", 4601225],
        ["gone", None, 1701280000, "remove project", 4601300],  # timestamp goes backwards
    ]
    events = parse_changelog_rows(rows)
    assert [e.serial for e in events] == [4601225, 4601226, 4601300]
    first = events[0]
    assert first.name == "Open_LLM"
    assert first.normalized == "open-llm"
    assert first.occurred_at == datetime(2023, 11, 29, 18, 1, 48, tzinfo=UTC)
    assert events[2].version is None
    assert events[2].kind is EventKind.REMOVE_PROJECT


@pytest.mark.parametrize(
    "rows",
    [
        "not a list",  # a fault-less garbage response
        [["a", "1", 1, "new release"]],  # 4 fields
        [["a", "1", 1, "new release", "12"]],  # serial as a string
        [["a", "1", 1, "new release", True]],  # a bool is not a serial
        [["", "1", 1, "new release", 12]],  # no name
        [["a", "1", "yesterday", "new release", 12]],  # timestamp not an int
        [["a", 1.0, 1, "new release", 12]],  # version not a string
        [["a", "1", 1, None, 12]],  # action not a string
        [["a", "1", 10**20, "new release", 12]],  # timestamp out of range
    ],
)
def test_garbage_rows_are_rejected(rows: object) -> None:
    with pytest.raises(GarbageError):
        parse_changelog_rows(rows)
