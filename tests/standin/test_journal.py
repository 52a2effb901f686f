"""Every mutation writes Warehouse's journal rows, with its action strings, serials and times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from standin import RegistryError, StandInPyPI
from tests.standin.conftest import START, FakeClock


def rows(pypi: StandInPyPI, since: int) -> list[tuple[str, str | None, str]]:
    return [(e.name, e.version, e.action) for e in pypi.journal if e.serial > since]


def test_upload_of_a_new_project_writes_create_owner_release_and_files(pypi: StandInPyPI) -> None:
    upload = pypi.upload("Foo_Bar", "1.0")
    assert rows(pypi, 1000) == [
        ("Foo_Bar", None, "create"),
        ("Foo_Bar", None, "add Owner alice"),
        ("Foo_Bar", "1.0", "new release"),
        ("Foo_Bar", "1.0", "add source file foo_bar-1.0.tar.gz"),
        ("Foo_Bar", "1.0", "add py3 file foo_bar-1.0-py3-none-any.whl"),
    ]
    assert upload.serials == (1001, 1002, 1003, 1004, 1005)
    assert upload.filenames == ("foo_bar-1.0.tar.gz", "foo_bar-1.0-py3-none-any.whl")
    assert (upload.files[1].packagetype, upload.files[1].python_version) == ("bdist_wheel", "py3")
    assert upload.files[0].size == len(upload.files[0].blob.content)
    assert (upload.project, upload.name, upload.serial) == ("foo-bar", "Foo_Bar", 1005)
    assert pypi.last_serial == 1005
    assert pypi.project("foo.bar") is not None
    assert pypi.project("foo.bar").last_serial == 1005


def test_second_release_and_explicit_files_and_python_tags(pypi: StandInPyPI) -> None:
    pypi.upload("demo", "1.0", files=[])
    before = pypi.last_serial
    pypi.upload(
        "demo",
        "2.0",
        files=["demo-2.0-py2.py3-none-any.whl", "demo-2.0-cp312-cp312-win_amd64.whl"],
        owner="bob",
    )
    assert rows(pypi, before) == [
        ("demo", "2.0", "new release"),
        ("demo", "2.0", "add py2.py3 file demo-2.0-py2.py3-none-any.whl"),
        ("demo", "2.0", "add cp312 file demo-2.0-cp312-cp312-win_amd64.whl"),
    ]


def test_every_other_mutation_and_its_action_string(pypi: StandInPyPI) -> None:
    pypi.upload("demo", "1.0")
    before = pypi.last_serial
    pypi.add_file("demo", "1.0", "demo-1.0-cp313-cp313-macosx_11_0_arm64.whl")
    pypi.add_file("demo", "1.0", "demo-1.0.zip", python_version="source")
    pypi.remove_file("demo", "1.0", "demo-1.0.zip")
    pypi.yank("demo", "1.0", reason="broken")
    pypi.unyank("demo", "1.0")
    pypi.quarantine_release("demo", "1.0")
    pypi.clear_release_quarantine("demo", "1.0")
    pypi.quarantine_project("demo")
    pypi.clear_project_quarantine("demo")
    pypi.add_role("demo", "Maintainer", "bob")
    pypi.change_role("demo", "bob", "Owner")
    pypi.remove_role("demo", "Owner", "bob")
    pypi.remove_release("demo", "1.0")
    pypi.remove_project("demo")
    assert rows(pypi, before) == [
        ("demo", "1.0", "add cp313 file demo-1.0-cp313-cp313-macosx_11_0_arm64.whl"),
        ("demo", "1.0", "add source file demo-1.0.zip"),
        ("demo", "1.0", "remove file demo-1.0.zip"),
        ("demo", "1.0", "yank release"),
        ("demo", "1.0", "unyank release"),
        ("demo", "1.0", "release quarantined"),
        ("demo", "1.0", "release quarantine cleared"),
        ("demo", None, "project quarantined"),
        ("demo", None, "project quarantine cleared"),
        ("demo", None, "add Maintainer bob"),
        ("demo", None, "change Maintainer bob to Owner"),
        ("demo", None, "remove Owner bob"),
        ("demo", "1.0", "remove release"),
        ("demo", None, "remove project"),
    ]
    assert pypi.project("demo") is None


def test_create_project_alone(pypi: StandInPyPI) -> None:
    pypi.create_project("Empty.Project", owner="carol")
    assert rows(pypi, 1000) == [
        ("Empty.Project", None, "create"),
        ("Empty.Project", None, "add Owner carol"),
    ]


def test_raw_events_gaps_and_backward_timestamps(pypi: StandInPyPI, clock: FakeClock) -> None:
    pypi.upload("demo", "1.0", files=[])
    pypi.skip_serials(3)
    assert pypi.last_serial == 1003  # a gap shows only once the next row lands
    entry = pypi.append_raw_event("Ancient", "0.1", "remove")
    assert entry.serial == 1007
    assert entry.name == "Ancient"
    clock.advance(minutes=5)
    pypi.upload("demo", "1.1", files=[], timestamp=START - timedelta(minutes=2))
    journal = pypi.journal
    assert [e.serial for e in journal] == [1001, 1002, 1003, 1007, 1008]
    assert journal[-1].timestamp < journal[-2].timestamp  # timestamps may go backwards
    assert journal[-1].epoch == int((START - timedelta(minutes=2)).timestamp())


def test_refusals(pypi: StandInPyPI) -> None:
    pypi.upload("demo", "1.0")
    with pytest.raises(RegistryError, match="already exists"):
        pypi.create_project("DEMO")
    with pytest.raises(RegistryError, match="already been used"):
        pypi.add_file("demo", "1.0", "demo-1.0.tar.gz")
    pypi.remove_file("demo", "1.0", "demo-1.0.tar.gz")
    with pytest.raises(RegistryError, match="already been used"):  # PyPI never reuses a filename
        pypi.add_file("demo", "1.0", "demo-1.0.tar.gz")
    with pytest.raises(RegistryError, match="no release"):
        pypi.yank("demo", "9.9")
    with pytest.raises(RegistryError, match="no project"):
        pypi.remove_project("nothing")
    with pytest.raises(RegistryError, match="invalid project name"):
        pypi.create_project("-bad-")
    with pytest.raises(ValueError, match="unknown metadata keys"):
        pypi.upload("other", "1.0", metadata={"sumary": "typo"})


def test_versions_match_canonically(pypi: StandInPyPI) -> None:
    pypi.upload("demo", "1.0.0")
    assert pypi.release("demo", "1.0") is pypi.release("demo", "1.0.0")
    assert pypi.release("Demo", "1.0.0") is not None
