"""inspect_file: every file check in one call, findings capped, each linked to its line on
inspector.pypi.io."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from analysis.artifact import ArchiveKind, ArtifactRef
from analysis.inspect import MAX_PER_CHECK, inspect_file, inspector_url, not_inspected
from analysis.model import ReleaseMetadata, Severity

URL = "https://files.pythonhosted.org/packages/aa/bb/cccc/pkg-1.0-py3-none-any.whl"
REF = ArtifactRef("pkg", "1.0", "pkg-1.0-py3-none-any.whl", URL)
BASE = "https://inspector.pypi.io/project/pkg/1.0/packages/aa/bb/cccc/pkg-1.0-py3-none-any.whl/"


def wheel(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def sdist(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


SDIST_REF = ArtifactRef("pkg", "1.0", "pkg-1.0.tar.gz")
METADATA = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"
DIST = [
    ("pkg-1.0.dist-info/METADATA", METADATA),
    ("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
]


@pytest.mark.parametrize(
    ("ref", "path", "line", "end", "expected", "reason"),
    [
        (REF, None, None, None, BASE, "the file's listing"),
        (REF, "pkg/__init__.py", 3, None, BASE + "pkg/__init__.py#line.3", "one line"),
        (REF, "/pkg/a.py", 3, 7, BASE + "pkg/a.py#line.3-7", "a range; no doubled slash"),
        (REF, "pkg/a.py", 3, 3, BASE + "pkg/a.py#line.3", "a range of one line is one line"),
        (REF, "pkg/a.py", 0, None, BASE + "pkg/a.py", "line 0 is no line"),
        (REF, "pkg/a.py", "3", None, BASE + "pkg/a.py", "a line that is not a number is ignored"),
        (
            REF,
            "pkg/my file#x>|.py",
            None,
            None,
            BASE + "pkg/my%20file%23x%3E%7C.py",
            "a hostile member name cannot break out of the URL or a Slack link",
        ),
        (REF, "pkg/é.py", None, None, BASE + "pkg/%C3%A9.py", "UTF-8, percent-encoded"),
        (
            ArtifactRef("pkg", "1.0+local x", "pkg.whl", "/tmp/pkg.whl"),
            "a.py",
            1,
            None,
            "https://inspector.pypi.io/project/pkg/1.0+local%20x/",
            "no PyPI URL: the release page",
        ),
    ],
)
def test_inspector_url(
    ref: ArtifactRef, path: str | None, line: object, end: object, expected: str, reason: str
) -> None:
    assert inspector_url(ref, path, line, end) == expected, reason


def test_every_finding_names_its_file_and_links_its_member() -> None:
    data = wheel([*DIST, ("/etc/evil.py", b"x = 1\n")])
    result = inspect_file(REF, data)
    assert result.kind is ArchiveKind.WHEEL
    assert result.complete
    assert result.members == 2
    (finding,) = [f for f in result.findings if f.check_id == "archive.absolute-path"]
    assert finding.evidence["filename"] == REF.filename
    assert finding.evidence["inspector_url"] == BASE + "etc/evil.py"


def test_findings_of_one_check_are_capped_and_the_rest_counted() -> None:
    extra = MAX_PER_CHECK + 5
    data = wheel([*DIST, *((f"/abs/{i}.py", b"") for i in range(extra))])
    hits = [f for f in inspect_file(REF, data).findings if f.check_id == "archive.absolute-path"]
    assert len(hits) == MAX_PER_CHECK
    assert [h.evidence.get("more_hits") for h in hits].count(5) == 1


def test_metadata_is_compared_only_when_given() -> None:
    data = wheel(DIST)
    other = ReleaseMetadata(name="pkg", version="2.0")
    assert not [f for f in inspect_file(REF, data).findings if "mismatch" in f.check_id]
    (mismatch,) = [f for f in inspect_file(REF, data, other).findings if "mismatch" in f.check_id]
    assert mismatch.evidence["inspector_url"].startswith(BASE)


def test_a_file_that_was_not_read_still_gets_a_finding() -> None:
    finding = not_inspected(REF, "archive.too-large", "not inspected: too large.", size=9)
    assert finding.severity is Severity.INFO
    assert finding.summary == f"pkg 1.0: {REF.filename}: not inspected: too large."
    assert finding.evidence == {"filename": REF.filename, "size": 9, "inspector_url": BASE}
    assert finding.fingerprint == REF.filename


ELF = b"\x7fELF" + bytes(60)


@pytest.mark.parametrize(
    ("init", "expected", "reason"),
    [
        (b"VERSION = '1.0'\n", Severity.LOW, "a binary alone is a capability"),
        (
            b"import subprocess\nsubprocess.Popen(['pkg/agent', '--daemon'])\n",
            Severity.MEDIUM,
            "code run on import starts it: code nobody can review runs on its own",
        ),
        (
            b"import subprocess\ndef run():\n    subprocess.Popen(['pkg/agent'])\n",
            Severity.LOW,
            "a process started only on demand does not raise it",
        ),
        (
            b"import os, subprocess\n"
            b"subprocess.Popen([os.path.join(os.path.dirname(__file__), 'agent')])\n",
            Severity.MEDIUM,
            "the binary beside __init__, named by os.path.join, started on import",
        ),
        (
            b"import os, subprocess\ndef run():\n"
            b"    subprocess.Popen([os.path.join(os.path.dirname(__file__), 'agent')])\n",
            Severity.LOW,
            "the same path joined in a function run only on demand",
        ),
        (
            b"import subprocess\nsubprocess.run(['dpkg', '-L', 'libopenblas-dev'])\n",
            Severity.LOW,
            "FP regression: a process on import that does not name the binary",
        ),
        (
            b"import os, subprocess\nexe = os.path.join(os.path.dirname(__file__), 'agent')\n"
            b"subprocess.Popen([exe, '--daemon'])\n",
            Severity.MEDIUM,
            "the binary's path held in a variable, started on import",
        ),
        (
            b"import os, subprocess\nexe = os.path.join(os.path.dirname(__file__), 'agent')\n"
            b"subprocess.Popen(exe)\n",
            Severity.MEDIUM,
            "the variable is the whole command",
        ),
        (
            b"import subprocess\nprog = ['pkg/agent']\nsubprocess.Popen([prog, '-d'])\n",
            Severity.LOW,
            "a list spliced in as the program stays unknown",
        ),
    ],
)
def test_a_bundled_binary_is_raised_by_code_that_runs_a_process(
    init: bytes, expected: Severity, reason: str
) -> None:
    data = wheel([*DIST, ("pkg/__init__.py", init), ("pkg/agent", ELF)])
    (binary,) = [
        f for f in inspect_file(REF, data).findings if f.check_id == "archive.bundled-binary"
    ]
    assert binary.severity is expected, reason
    assert ("run_by" in binary.evidence) is (expected is Severity.MEDIUM)


def test_a_bundled_binary_started_at_install_is_high() -> None:
    setup = b"import subprocess\nfrom setuptools import setup\nsubprocess.Popen(['pkg/agent'])\nsetup()\n"
    files = [
        ("pkg-1.0/setup.py", setup),
        ("pkg-1.0/PKG-INFO", b"Name: pkg\nVersion: 1.0\n"),
        ("pkg-1.0/pkg/__init__.py", b""),
        ("pkg-1.0/pkg/agent", ELF),
    ]
    (binary,) = [
        f
        for f in inspect_file(SDIST_REF, sdist(files)).findings
        if f.check_id == "archive.bundled-binary"
    ]
    assert binary.severity is Severity.HIGH
    assert binary.evidence["run_by"] == "pkg-1.0/setup.py line 3"
