"""`pypi-sentinel approve|deny|pending|approvals`, run as a reviewer would, against a real Postgres."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from collector.cli import main
from collector.corpus import load_snapshot
from collector.store.approvals import record_request
from tests.collector.commands.store_seed import MALWARE, VULNERABILITY, seed_store


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


async def arun(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, args)
    out, err = capsys.readouterr()
    return code, out, err


async def request(database_url: str, *wanted: tuple[str, str | None]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for project, version in wanted:
            await record_request(conn, project, version, "index")
    finally:
        await conn.close()


async def test_pending_names_a_popular_projects_monthly_downloads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = await seed_store(tmp_path, database_url, capsys)
    popular = load_snapshot().corpus.projects[0]
    await request(database_url, (popular.name, None))
    code, out, _ = await arun(["pending", "--format", "json", *home], capsys)
    assert code == 0
    (pending,) = json.loads(out)["pending"]
    assert pending["downloads"] == popular.downloads
    code, out, _ = await arun(["pending", *home], capsys)
    assert f"{popular.downloads:,} a month" in out


async def test_pending_shows_the_evidence_and_a_decision_clears_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = await seed_store(tmp_path, database_url, capsys)
    await request(database_url, ("leftpadx", "1.5"), ("evilx", None), ("nothere", None))
    code, out, _ = await arun(["pending", "--format", "json", *home], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["schema"] == 1
    by_name = {p["project"]: p for p in document["pending"]}
    assert [p["project"] for p in document["pending"]] == ["nothere", "evilx", "leftpadx"]
    left = by_name["leftpadx"]
    assert left["release"]["version"] == "1.5"
    assert left["licence"] == {"spdx": "MIT", "text": "MIT"}
    assert [v["id"] for v in left["vulnerabilities"]] == [VULNERABILITY]
    assert left["vulnerabilities"][0]["fixed_in"] == "1.6"
    assert [m["id"] for m in by_name["evilx"]["malicious"]] == [MALWARE]
    assert by_name["nothere"]["release"] is None
    assert by_name["nothere"]["owners"] is None
    assert by_name["nothere"]["downloads"] is None  # a name nobody downloads is evidence too
    assert by_name["nothere"]["downloads_floor"] > 0

    code, out, _ = await arun(["pending", *home], capsys)
    assert code == 0
    assert "leftpadx==1.5" in out
    assert VULNERABILITY in out
    assert "MIT" in out
    assert MALWARE in out
    assert "not analysed, on 1.5" in out
    assert "release not stored" in out  # nothere
    assert "not among the most downloaded" in out

    code, out, _ = await arun(
        ["deny", "EvilX", "--reason", "known malware", "--by", "carol", *home], capsys
    )
    assert (code, out) == (0, "evilx denied by carol\n")
    code, out, _ = await arun(
        ["approve", "LeftPadX==1.5", "--reason", "fix pending", "--expires", "30d", *home],
        capsys,
    )
    assert code == 0
    assert out.startswith("leftpadx==1.5 approved by ")
    code, out, _ = await arun(["pending", "--format", "json", *home], capsys)
    assert [p["project"] for p in json.loads(out)["pending"]] == ["nothere"]


async def test_approvals_lists_who_when_why_and_expiry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    assert (await arun(["approve", "requests", "--reason", "core", "--by", "dan", *home], capsys))[
        0
    ] == 0
    args = ["deny", "flask==0.1", "--reason", "old", "--expires", "2999-01-01", *home]
    assert (await arun(args, capsys))[0] == 0
    conn = await asyncpg.connect(database_url)
    try:  # one that lapsed yesterday
        await conn.execute(
            "INSERT INTO approvals (project, decision, actor, reason, expires_at) "
            "VALUES ('gone', 'approved', 'eve', 'trial', now() - interval '1 day')"
        )
    finally:
        await conn.close()
    code, out, _ = await arun(["approvals", "--format", "json", *home], capsys)
    assert code == 0
    listed = json.loads(out)["approvals"]
    assert [(a["project"], a["version"], a["decision"]) for a in listed] == [
        ("flask", "0.1", "denied"),
        ("requests", None, "approved"),
    ]
    assert listed[0]["expires_at"].startswith("2999-01-01T00:00:00")
    assert (listed[1]["actor"], listed[1]["reason"], listed[1]["expires_at"]) == (
        "dan",
        "core",
        None,
    )
    code, out, _ = await arun(["approvals", "--all", "--format", "json", *home], capsys)
    everything = json.loads(out)["approvals"]
    assert {a["project"]: a["active"] for a in everything} == {
        "gone": False,
        "flask": True,
        "requests": True,
    }
    code, out, _ = await arun(["approvals", "--all", *home], capsys)
    lines = out.splitlines()
    assert lines[0].split() == ["PROJECT", "DECISION", "BY", "ON", "EXPIRES", "REASON"]
    assert any("gone" in line and "(expired)" in line for line in lines)


def test_an_empty_store_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    assert run(["pending", *home], capsys) == (0, "no pending requests\n", "")
    assert run(["approvals", "--all", *home], capsys) == (0, "no decisions\n", "")
    code, out, _ = run(["approvals", "--format", "json", *home], capsys)
    assert (code, json.loads(out)) == (0, {"schema": 1, "approvals": []})


@pytest.mark.parametrize(
    ("args", "message", "reason"),
    [
        (["approve", "not a name!", "--reason", "x"], "not a project name", "bad NAME"),
        (["approve", "pkg==", "--reason", "x"], "not a project name", "empty version"),
        (["deny", "pkg==not.a.version!", "--reason", "x"], "not a PEP 440 version", "bad version"),
        (["approve", "pkg"], "--reason", "missing --reason"),
        (["approve", "pkg", "--reason", "  "], "needs a --reason", "blank --reason"),
        (["approve", "pkg", "--reason", "x", "--expires", "soon"], "--expires", "bad expiry"),
        (
            ["approve", "pkg", "--reason", "x", "--expires", "2000-01-01"],
            "not in the future",
            "expiry in the past",
        ),
        (["approve", "pkg", "--reason", "x", "--expires", "0d"], "at least 1d", "zero days"),
        (["pending", "--format", "yaml"], "--format", "bad format"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    message: str,
    reason: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No database is reachable at this URL: input is checked before one is opened.
    nowhere = ["--home", str(tmp_path), "--database-url", "postgresql://nobody@127.0.0.1:1/x"]
    try:
        code, _, err = run([*args, *nowhere], capsys)
    except SystemExit as exc:  # argparse's own errors
        code, err = int(exc.code or 0), capsys.readouterr().err
    assert code == 2, reason
    assert len(err.strip().splitlines()) == 1, (reason, err)
    assert message in err, reason


def test_an_unreachable_database_is_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = ["--home", str(tmp_path), "--database-url", "postgresql://nobody@127.0.0.1:1/x"]
    code, _, err = run(["approve", "pkg", "--reason", "ok", *nowhere], capsys)
    assert code == 3, err
