"""`pypi-sentinel audit FILE`: names and stored findings, against a real Postgres."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import sys
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
import pytest

from collector.cli import main
from tests.collector.popular_list import days_ago, write_cached_list


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def audit(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(["audit", *args, "--home", str(tmp_path / "home")])
    out, err = capsys.readouterr()
    return code, out, err


def test_names_the_list_date_and_age(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "requirements.txt", "requests\n")
    write_cached_list(tmp_path / "home", days_ago(90))
    _, out, err = audit([str(path), "--no-store"], tmp_path, capsys)
    assert f"popular list: {days_ago(90)}, 90 days old (refreshed cache)" in out.splitlines()
    assert "popular-projects list is 90 days old" in err
    _, out, err = audit([str(path), "--no-store", "--format", "json"], tmp_path, capsys)
    listed = json.loads(out)["popular_list"]
    assert (listed["origin"], listed["age_days"], listed["stale"]) == ("cache", 90, True)


def test_a_recent_list_gives_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "requirements.txt", "requests\n")
    write_cached_list(tmp_path / "home", days_ago(5))
    _, out, err = audit([str(path), "--no-store"], tmp_path, capsys)
    assert out.splitlines()[-1] == f"popular list: {days_ago(5)}, 5 days old (refreshed cache)"
    assert "popular-projects list" not in err


def test_names_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "requirements.txt", "requests>=2\nreqeusts\n")
    code, out, _ = audit([str(path), "--no-store"], tmp_path, capsys)
    assert code == 1
    assert "reqeusts (line 2): low" in out
    assert "requests (line 1): ok" in out
    assert "--no-store" in out


def test_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "pyproject.toml", '[project]\ndependencies = ["requests", "numpy"]\n')
    assert audit([str(path), "--no-store"], tmp_path, capsys)[0] == 0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [("missing.txt", None, "cannot read"), ("pyproject.toml", "[project\n", "not valid TOML")],
)
def test_unreadable_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str | None, message: str
) -> None:
    path = write(tmp_path, name, text) if text is not None else tmp_path / name
    code, _, err = audit([str(path), "--no-store"], tmp_path, capsys)
    assert code == 2
    assert message in err


AUDIT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "schemas" / "audit.schema.json").read_text()
)


def valid_audit(text: str) -> dict[str, Any]:
    """The document `audit --format json` printed, checked against its published schema."""
    document: dict[str, Any] = json.loads(text)
    jsonschema.Draft7Validator.check_schema(AUDIT_SCHEMA)
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    jsonschema.Draft7Validator(AUDIT_SCHEMA, format_checker=checker).validate(document)
    return document


async def _seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            INSERT INTO projects (normalized, name) VALUES ('leftpadx', 'leftpadx');
            INSERT INTO releases (project, version, first_seen_source, metadata)
                 VALUES ('leftpadx', '9.9', 'changelog', '{"metadata": {"license":
                         "Apache License, Version 2.0", "license_expression": "",
                         "classifiers": []}}');
            INSERT INTO findings (release_id, project, version, check_id, severity, score, summary)
                 SELECT id, 'leftpadx', '9.9', 'metadata.url-dependency', 'medium', 40,
                        'evil is installed from a URL.' FROM releases;
            -- What a sync leaves on the newest affected release: not the audit's to count, the
            -- audit matches OSV records against the pinned version itself.
            INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity,
                                  score, summary)
                 SELECT id, 'leftpadx', '9.9', 'known.vulnerability', 'PYSEC-1', 'high', 60,
                        'leftpadx 9.9: known vulnerability PYSEC-1' FROM releases;
            """
        )
    finally:
        await conn.close()


@pytest.mark.slow
async def test_stored_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    await _seed(database_url)
    path = write(
        tmp_path,
        "pylock.toml",
        'lock-version = "1.0"\n[[packages]]\nname = "leftpadx"\nversion = "9.9"\n'
        '[[packages]]\nname = "requests"\n',
    )
    args = [str(path), "--database-url", database_url, "--format", "json"]
    code = await asyncio.to_thread(main, ["audit", *args, "--home", str(tmp_path / "home")])
    document = valid_audit(capsys.readouterr().out)
    assert code == 1
    assert document["stored_findings_checked"] is True
    leftpad, requests = document["dependencies"]
    assert (leftpad["severity"], leftpad["worst"]) == ("info", "medium")
    assert [f["check_id"] for f in leftpad["stored_findings"]] == ["metadata.url-dependency"]
    assert requests["stored_findings"] == []
    assert leftpad["licence"] == {
        "spdx": "Apache-2.0",
        "known": True,
        "source": "license",
        "text": "Apache License, Version 2.0",
    }
    assert requests["licence"] is None  # unpinned: which release's licence is unknown
    code = await asyncio.to_thread(
        main, ["audit", *args[:-2], "--fail-on", "high", "--home", str(tmp_path / "home")]
    )
    assert code == 0
    assert "stored: medium metadata.url-dependency on 9.9" in capsys.readouterr().out


@pytest.mark.slow
async def test_stored_findings_worst_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """By severity, not by its name: as text, "medium" sorts above "critical"."""
    await _seed(database_url)  # a medium finding on leftpadx 9.9
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """
            INSERT INTO findings (release_id, project, version, check_id, severity, score, summary)
                 SELECT id, 'leftpadx', '9.9', check_id, severity::severity, score, 'x'
                   FROM releases, (VALUES ('release.assessment', 'critical', 90),
                                          ('metadata.no-project-urls', 'low', 10)) AS f(check_id,
                                          severity, score)
            """
        )
    finally:
        await conn.close()
    path = write(tmp_path, "requirements.txt", "leftpadx==9.9\n")
    args = ["audit", str(path), "--database-url", database_url, "--format", "json"]
    await asyncio.to_thread(main, [*args, "--home", str(tmp_path / "home")])
    (leftpad,) = json.loads(capsys.readouterr().out)["dependencies"]
    assert [f["severity"] for f in leftpad["stored_findings"]] == ["critical", "medium", "low"]


# What `pip-compile --generate-hashes` writes: every pin carries options after it.
PIP_COMPILE = """\
#
# This file is autogenerated by pip-compile with Python 3.12
#
certifi==2024.8.30 \\
    --hash=sha256:922820b53db7a7257ffbda3f597266d435245903d80737e34f06d5e7b6e7d6ff \\
    --hash=sha256:bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda73ea9afffd69fd9
    # via reqeusts
reqeusts==2.32.3 \\
    --hash=sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760
    # via -r requirements.in
"""


def test_hashed_lock_file_yields_every_dependency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "requirements.txt", PIP_COMPILE)
    code, out, _ = audit([str(path), "--no-store", "--format", "json"], tmp_path, capsys)
    rows = json.loads(out)["dependencies"]
    assert code == 1, "the typosquat behind --hash must be found"
    assert [(r["name"], r["where"], r["file"]) for r in rows] == [
        ("certifi", "line 4", str(path)),
        ("reqeusts", "line 8", str(path)),
    ]
    assert rows[1]["severity"] == "low"


def test_includes_are_followed_relative_to_their_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINS", "constraints")
    write(tmp_path, "common.txt", "attrs\n")
    (tmp_path / "req").mkdir()
    write(tmp_path, "req/base.txt", "six\n-r ../common.txt\n")
    (tmp_path / "constraints").mkdir()
    write(tmp_path, "constraints/pins.txt", "reqeusts==1.0\n-r more.txt\n")
    write(tmp_path, "constraints/more.txt", "colourama==1.0\n")
    top = write(tmp_path, "requirements.txt", "-r req/base.txt\n-c ${PINS}/pins.txt\nnumpy\n")
    code, out, err = audit([str(top), "--no-store", "--format", "json"], tmp_path, capsys)
    rows = json.loads(out)["dependencies"]
    assert [(r["name"], r["where"]) for r in rows] == [
        ("six", f"{tmp_path / 'req/base.txt'} line 1"),
        ("attrs", f"{tmp_path / 'req/../common.txt'} line 1"),
        ("numpy", "line 3"),
    ], "constraint files pin versions but add no dependency, as in pip"
    assert code == 0, err


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"requirements.txt": "six\n-r sub/b.txt\n", "sub/b.txt": "attrs\n\nsix --frob\n"},
            "sub/b.txt:3: unknown option '--frob'",
        ),
        (
            {"requirements.txt": "-r a.txt\n", "a.txt": "six\n-c b.txt\n", "b.txt": "-r a.txt\n"},
            "include cycle: ",
        ),
        ({"requirements.txt": "six\n-r gone.txt\n"}, "(included from "),
        ({"requirements.txt": "six\nnot a requirement!\n"}, "requirements.txt:2: not a requ"),
    ],
)
def test_unreadable_lines_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        write(tmp_path, name, text)
    code, out, err = audit([str(tmp_path / "requirements.txt"), "--no-store"], tmp_path, capsys)
    assert code == 2
    assert message in err
    assert out == ""


def test_no_database_is_created_to_read_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "requirements.txt", "reqeusts\n")
    code, out, _ = audit([str(path), "--format", "json"], tmp_path, capsys)
    assert code == 1
    assert json.loads(out)["stored_findings_checked"] is False
    assert not (tmp_path / "home" / "pg").exists()
    code, out, _ = audit([str(path)], tmp_path, capsys)
    assert "(stored findings and known vulnerabilities not checked: no database yet)" in out
    assert not (tmp_path / "home" / "pg").exists()


def test_progress_on_a_terminal_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "requirements.txt", "six\nattrs\nnumpy\n")
    assert "checking" not in audit([str(path), "--no-store"], tmp_path, capsys)[2]
    leader, follower = pty.openpty()
    try:
        with open(follower, "w", closefd=False) as terminal:
            monkeypatch.setattr(sys, "stderr", terminal)
            audit([str(path), "--no-store"], tmp_path, capsys)
        os.set_blocking(leader, False)
        try:
            shown = os.read(leader, 65536).decode()
        except BlockingIOError:  # nothing was written to the terminal
            shown = ""
    finally:
        os.close(leader)
        os.close(follower)
    assert "checking 3/3 numpy" in shown


OSV_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def _real_records(dump: str) -> list[dict[str, object]]:
    import zipfile

    with zipfile.ZipFile(OSV_DATA / dump) as archive:
        return [json.loads(archive.read(name)) for name in sorted(archive.namelist())]


def _first_fixed_vulnerability() -> tuple[str, str, str, str]:
    """From the real PYSEC dump: (project, a listed vulnerable version, the record id, its fix)."""
    from analysis.osv import fixed_in, parse_advisory

    for document in _real_records("osv-pypi-pysec.zip"):
        advisory = parse_advisory(document)
        if advisory.withdrawn is None and advisory.affected and advisory.affected[0].versions:
            entry = advisory.affected[0]
            fixed = fixed_in(advisory, entry.project, entry.versions[-1])
            if fixed is not None:
                return entry.project, entry.versions[-1], advisory.id, fixed
    raise AssertionError("no record with a fixed version")


async def test_audit_names_known_vulnerabilities_and_known_malware_from_osv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    """The real dumps synced, then a requirements file of the shape pip-compile writes: a pinned
    vulnerable release, a pinned known-malicious one, and an unpinned dependency."""
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    sources = [str(OSV_DATA / "osv-pypi-pysec.zip"), str(OSV_DATA / "osv-pypi-malicious-dev.zip")]
    args = ["osv", "sync", *(a for s in sources for a in ("--source", s)), *home]
    assert await asyncio.to_thread(main, args) == 0
    capsys.readouterr()
    project, version, advisory_id, fixed = _first_fixed_vulnerability()
    malware = next(
        d
        for d in _real_records("osv-pypi-malicious-dev.zip")
        if d["affected"][0].get("versions")  # type: ignore[index]
    )
    evil = malware["affected"][0]  # type: ignore[index]
    lines = [
        f"{project}=={version} \\\n    --hash=sha256:{'0' * 64}",
        f"{evil['package']['name']}=={evil['versions'][0]}",
        f"{project}>=0",
    ]
    path = write(tmp_path, "requirements.txt", "\n".join(lines) + "\n")
    code = await asyncio.to_thread(main, ["audit", str(path), "--format", "json", *home])
    document = valid_audit(capsys.readouterr().out)
    assert code == 1
    assert document["advisories_checked"] is True
    vulnerable, bad, unpinned = document["dependencies"]
    assert (vulnerable["version"], vulnerable["pinned"]) == (version, True)
    found = {v["id"]: v for v in vulnerable["vulnerabilities"]}
    assert found[advisory_id]["fixed_in"] == fixed
    assert vulnerable["worst"] == "high"
    assert bad["known_malicious"] == [malware["id"]]
    assert bad["worst"] == "critical"
    assert bad["matches"] == [] or all("MAL-" not in m["rule"] for m in bad["matches"])
    assert (unpinned["pinned"], unpinned["vulnerabilities"]) == (False, [])
    assert unpinned["unchecked_vulnerabilities"] >= 1

    code = await asyncio.to_thread(main, ["audit", str(path), *home])
    out = capsys.readouterr().out
    assert f"  - vulnerable: {advisory_id}" in out
    await asyncio.to_thread(
        _check_sbom, path, home, capsys, project, version, advisory_id, str(malware["id"])
    )
    assert f"  - KNOWN MALICIOUS: {malware['id']}" in out
    assert "pin a version to check them" in out


def test_an_installed_environment_is_audited_from_its_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site-packages"
    for name, version in (("reqeusts", "2.31.0"), ("attrs", "23.1.0")):
        folder = site / f"{name}-{version}.dist-info"
        folder.mkdir(parents=True)
        classifier = (
            "Classifier: License :: OSI Approved :: MIT License\n" if name == "attrs" else ""
        )
        (folder / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{classifier}"
        )
    (site / "reqeusts").mkdir()
    (site / "reqeusts" / "__init__.py").write_text("raise SystemExit('imported!')\n")  # never run
    code, out, err = audit(
        ["--path", str(site), "--no-store", "--format", "json"], tmp_path, capsys
    )
    assert code == 1, err
    document = json.loads(out)
    assert document["file"] == str(site)
    rows = {d["name"]: d for d in document["dependencies"]}
    assert (rows["attrs"]["version"], rows["attrs"]["pinned"]) == ("23.1.0", True)
    assert rows["attrs"]["licence"]["spdx"] == "MIT"
    assert rows["reqeusts"]["licence"] == {
        "spdx": None,
        "known": False,
        "source": "none",
        "text": "",
    }
    assert rows["reqeusts"]["flagged"] is True


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give a FILE or --path SITE_PACKAGES"),
        (["requirements.txt", "--path", "."], "give a FILE or --path SITE_PACKAGES"),
        (["--path", "nowhere"], "--path nowhere: not a directory"),
    ],
    ids=["neither", "both", "missing"],
)
def test_what_to_audit_is_one_file_or_one_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, _, err = audit([*args, "--no-store"], tmp_path, capsys)
    assert code == 2
    assert says in err


def test_a_uv_lock_is_audited_by_its_locked_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "uv.lock",
        'version = 1\n[[package]]\nname = "reqeusts"\n'
        'version = "2.31.0"\nsource = { registry = "https://pypi.org/simple" }\n',
    )
    code, out, _ = audit([str(path), "--no-store", "--format", "json"], tmp_path, capsys)
    (row,) = json.loads(out)["dependencies"]
    assert (code, row["name"], row["version"], row["where"]) == (
        1,
        "reqeusts",
        "2.31.0",
        "package[0]",
    )


async def test_check_names_known_malware_in_a_field_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    dump = OSV_DATA / "osv-pypi-malicious-dev.zip"
    assert await asyncio.to_thread(main, ["osv", "sync", "--source", str(dump), *home]) == 0
    capsys.readouterr()
    malware = next(
        d
        for d in _real_records("osv-pypi-malicious-dev.zip")
        if d["affected"][0].get("versions")  # type: ignore[index]
    )
    name = malware["affected"][0]["package"]["name"]  # type: ignore[index]
    args = ["check", name, "zzz-unknown-project", "--format", "json", *home]
    code = await asyncio.to_thread(main, args)
    out = capsys.readouterr().out
    results = {r["name"]: r for r in json.loads(out)["results"]}
    assert code == 1
    assert results[name]["known_malicious"] == [malware["id"]]
    assert all(malware["id"] not in json.dumps(m) for m in results[name]["matches"])
    assert results["zzz-unknown-project"]["known_malicious"] == []
    code = await asyncio.to_thread(main, ["check", name, *home])
    assert f"  ! KNOWN MALICIOUS: {malware['id']} (OSV)" in capsys.readouterr().out


async def test_a_policy_decides_the_exit_code_and_says_why_per_dependency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    await _seed(database_url)  # leftpadx 9.9: a stored medium finding, licence Apache-2.0
    path = write(tmp_path, "requirements.txt", "leftpadx==9.9\nreqeusts==1.0\nattrs==23.1.0\n")
    policy = write(
        tmp_path,
        "policy.toml",
        '[policy]\nblock_at = "high"\nallow_licenses = ["Apache-2.0"]\n'
        'deny = ["attrs"]\nallow = ["reqeusts"]\n',
    )
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    args = ["audit", str(path), "--policy", str(policy), "--format", "json", *home]
    code = await asyncio.to_thread(main, args)
    document = valid_audit(capsys.readouterr().out)
    assert code == 1
    assert document["policy"] == str(policy)
    rows = {d["name"]: d["policy_violations"] for d in document["dependencies"]}
    assert rows == {
        "leftpadx": [],  # medium is below high; its stored licence is allowed
        "reqeusts": [],  # allowed: the name likeness and the unknown licence do not count
        "attrs": ["denied by the policy", "licence unknown: the policy names licences"],
    }
    code = await asyncio.to_thread(main, ["audit", str(path), "--policy", str(policy), *home])
    assert "  x breaks the policy: denied by the policy" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[policy]\nblock_at = "severe"\n', "policy.block_at:"),
        ("[policy]\nallow_licences = []\n", "policy.allow_licences: unknown key"),
        ("[policy\n", "not TOML"),
        (None, "No such file or directory"),
    ],
    ids=["bad-value", "misspelt-key", "not-toml", "missing"],
)
def test_a_bad_policy_file_is_one_line_naming_the_key_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, says: str
) -> None:
    path = write(tmp_path, "requirements.txt", "requests\n")
    policy = tmp_path / "policy.toml"
    if text is not None:
        policy.write_text(text)
    code, out, err = audit([str(path), "--no-store", "--policy", str(policy)], tmp_path, capsys)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"pypi-sentinel: --policy {policy}: ")
    assert says in line
    assert out == ""


def test_the_policy_comes_from_the_environment_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "requirements.txt", "left-pad\n")
    policy = write(tmp_path, "policy.toml", '[policy]\ndeny = ["left_pad"]\n')
    monkeypatch.setenv("PYPI_SENTINEL_POLICY", str(policy))
    code, out, _ = audit([str(path), "--no-store"], tmp_path, capsys)
    assert code == 1
    assert "breaks the policy: denied by the policy" in out


def _check_sbom(
    path: Path,
    home: list[str],
    capsys: pytest.CaptureFixture[str],
    project: str,
    version: str,
    advisory_id: str,
    malware_id: str,
) -> None:
    """The same audit as a CycloneDX 1.6 SBOM: valid against the schema, with the components'
    purls and the vulnerabilities pointing at them."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    main(["audit", str(path), "--format", "cyclonedx-json", *home])
    text = capsys.readouterr().out
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    refs = {c["purl"]: c["bom-ref"] for c in bom["components"]}
    vulnerable = refs[f"pkg:pypi/{project}@{version}"]
    found = {v["id"]: v for v in bom["vulnerabilities"]}
    assert found[advisory_id]["affects"] == [{"ref": vulnerable}]
    assert found[advisory_id]["source"]["name"] == "OSV"
    assert found[advisory_id]["recommendation"].startswith("Upgrade to ")
    assert "malicious" in found[malware_id]["detail"].lower()
