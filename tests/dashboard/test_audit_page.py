"""The Audit page: the answer `audit` gives, for a pasted or uploaded file, against a seeded real
Postgres with OSV records stored the way `osv sync` stores them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit.testing.v1.app_test as app_test
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from collector.cli import main
from tests.dashboard.conftest import MakeApp
from tests.dashboard.seed import Seeded
from tests.dashboard.test_pages import no_errors

AUDIT = "views/audit.py"
REQUIREMENTS = "requests==2.32.3\nreqeusts==1.0.0\nnumpy\n"


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one table with this column."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


class Downloads:
    """What the app offered for download: AppTest keeps media in a storage it makes per run."""

    def __init__(self) -> None:
        self.storages: list[MemoryMediaFileStorage] = []

    def get(self, url: str) -> bytes:
        name = url.rsplit("/", 1)[-1]
        for storage in reversed(self.storages):
            try:
                return storage.get_file(name).content
            except MediaFileStorageError:  # an earlier run's storage
                continue
        raise AssertionError(f"nothing was offered at {url}")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    found = Downloads()

    class Kept(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            found.storages.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Kept)
    return found


def paste(at: AppTest, text: str, kind: str = "requirements.txt") -> AppTest:
    at.selectbox(key="audit_kind").set_value(kind)
    at.text_area(key="audit_text").set_value(text)
    return submit(at)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="audit_source").set_value("Upload the file").run()
    at.file_uploader(key="audit_upload").set_value((name, data, "text/plain"))
    return submit(at)


def submit(at: AppTest) -> AppTest:
    (button,) = [b for b in at.form_submit_button if b.label == "Audit"]
    return button.click().run()


def test_a_pasted_requirements_file_is_audited(make_app: MakeApp, osv: Seeded) -> None:
    at = paste(make_app(AUDIT), REQUIREMENTS)
    assert not at.exception
    assert "**3 dependencies, 2 with problems**" in [m.value for m in at.markdown]
    (malware,) = [str(e.value) for e in at.error]
    assert malware.startswith("**Known malware**: reqeusts.")
    rows = {row["dependency"]: row for row in table(at, "name_verdict").to_dict("records")}
    assert list(rows) == ["requests", "reqeusts", "numpy"]  # the file's order
    requests, reqeusts, numpy = rows.values()
    assert (requests["pinned"], requests["declared"], requests["name_verdict"]) == (
        "2.32.3",
        "line 1",
        "ok",
    )
    assert requests["vulnerabilities"] == "PYSEC-2099-1 (fixed in 2.32.4)"
    assert (requests["licence"], requests["worst"]) == ("MIT", "high")
    assert reqeusts["name_verdict"].startswith("low (")
    assert "requests" in reqeusts["name_verdict"]
    assert reqeusts["known_malicious"] == "MAL-2099-3"
    assert reqeusts["stored_findings"].startswith("critical release.assessment on 1.0.0; ")
    assert reqeusts["worst"] == "critical"
    assert numpy["pinned"] == ""  # unpinned: no version to match, no release's licence
    assert (numpy["licence"], numpy["vulnerabilities"], numpy["worst"]) == ("", "", "info")
    records = table(at, "fixed_in")
    assert list(records["record"]) == [
        "https://osv.dev/vulnerability/MAL-2099-3",
        "https://osv.dev/vulnerability/PYSEC-2099-1",
    ]
    assert [b.label for b in at.get("download_button")] == ["Download JSON"]


def test_the_download_is_what_the_command_prints(
    make_app: MakeApp,
    osv: Seeded,
    database_url: str,
    tmp_path: Path,
    downloads: Downloads,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = upload(make_app(AUDIT), "requirements.txt", REQUIREMENTS.encode())
    assert not at.exception
    (button,) = at.get("download_button")
    page = json.loads(downloads.get(button.proto.url))
    monkeypatch.chdir(tmp_path)  # the file by the name the page saw
    Path("requirements.txt").write_text(REQUIREMENTS)
    args = [
        "audit",
        "requirements.txt",
        "--database-url",
        database_url,
        "--format",
        "json",
        "--home",
        str(tmp_path / "home"),
    ]  # the home the page runs with
    assert main(args) == 1
    cli = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in page["dependencies"]] == ["requests", "reqeusts", "numpy"]
    assert page["dependencies"] == cli["dependencies"]
    assert page == {key: value for key, value in cli.items() if key != "fail_on"}


def test_a_policy_is_applied_as_the_command_applies_it(
    make_app: MakeApp, osv: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[policy]\ndeny = ["numpy"]\nallow_licenses = ["MIT"]\n')
    monkeypatch.setenv("PYPI_SENTINEL_POLICY", str(policy))
    at = paste(make_app(AUDIT), "requests==2.32.3\nnumpy\n")
    rows = table(at, "name_verdict")
    assert list(rows["policy"]) == [
        "known vulnerability PYSEC-2099-1",
        "denied by the policy; licence unknown: the policy names licences",
    ]
    assert f"Policy: ` {policy} `" in [c.value for c in at.caption]


def test_a_pyproject_is_read_by_the_kind_chosen(make_app: MakeApp, osv: Seeded) -> None:
    text = '[project]\ndependencies = ["requests==2.32.3"]\n'
    at = paste(make_app(AUDIT), text, kind="pyproject.toml")
    assert not at.exception
    (row,) = table(at, "name_verdict").to_dict("records")
    assert (row["declared"], row["vulnerabilities"]) == (
        "project.dependencies[0]",
        "PYSEC-2099-1 (fixed in 2.32.4)",
    )


def test_includes_are_named_not_followed(make_app: MakeApp, osv: Seeded) -> None:
    at = paste(make_app(AUDIT), "-r base.txt\n-c constraints.txt\nrequests\n")
    assert "**1 dependency, 0 with problems**" in [m.value for m in at.markdown]
    assert at.info[0].value.startswith("2 `-r` / `-c` line(s) name other files")


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("pyproject.toml", b"[project\n", "pyproject.toml: not valid TOML"),
        ("requirements.txt", b"requests\nfoo bar baz\n", "requirements.txt, line 2: "),
        ("requirements.txt", b"requests\n\xff\xfe\n", "requirements.txt is not UTF-8 text"),
        ("uv.lock", b"#" * (2 * 1024 * 1024 + 1), "uv.lock is 2.0 MB: the page audits files up"),
        ("requirements.txt", b"  \n", "Nothing to audit"),
    ],
    ids=["bad-toml", "bad-line", "not-utf8", "too-big", "empty"],
)
def test_bad_input_is_one_line_never_a_traceback(
    make_app: MakeApp, seeded: Seeded, name: str, data: bytes, says: str
) -> None:
    at = upload(make_app(AUDIT), name, data)
    assert not at.exception
    (error,) = [str(e.value) for e in at.error]
    assert error.startswith(says), error
    assert "\n" not in error
    assert not at.dataframe


def test_a_bad_input_clears_the_last_answer(make_app: MakeApp, seeded: Seeded) -> None:
    at = paste(make_app(AUDIT), "requests\n")
    assert table(at, "name_verdict")["dependency"].tolist() == ["requests"]
    at = paste(at, "requests ==\n")
    assert at.error[0].value.startswith("requirements.txt, line 1: ")
    assert not at.dataframe


def test_a_bad_policy_file_is_one_line(
    make_app: MakeApp, seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[policy]\nblock_at = "severe"\n')
    monkeypatch.setenv("PYPI_SENTINEL_POLICY", str(policy))
    at = paste(make_app(AUDIT), "requests\n")
    assert not at.exception
    (error,) = [str(e.value) for e in at.error]
    assert error.startswith(f"The policy file cannot be used: --policy {policy}: policy.block_at")


def test_the_audit_needs_no_login(make_app: MakeApp, seeded: Seeded) -> None:
    from tests.dashboard.conftest import PASSWORD

    at = paste(make_app(AUDIT, password=PASSWORD), "requests\n")
    no_errors(at)
    assert "**1 dependency, 0 with problems**" in [m.value for m in at.markdown]


def test_a_database_that_is_down_gives_the_message(make_app: MakeApp) -> None:
    at = make_app(url="postgresql://nobody:secret@127.0.0.1:9/none")
    at.switch_page(AUDIT).run()
    at = paste(at, "requests\n")
    assert not at.exception
    assert "database is unavailable" in at.error[0].value
