"""`pypi-sentinel audit FILE`: names and stored findings, against a real Postgres."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from collector.cli import main


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


async def _seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            INSERT INTO projects (normalized, name) VALUES ('leftpadx', 'leftpadx');
            INSERT INTO releases (project, version, first_seen_source)
                 VALUES ('leftpadx', '9.9', 'changelog');
            INSERT INTO findings (release_id, project, version, check_id, severity, score, summary)
                 SELECT id, 'leftpadx', '9.9', 'metadata.url-dependency', 'medium', 40,
                        'evil is installed from a URL.' FROM releases;
            """
        )
    finally:
        await conn.close()


@pytest.mark.slow
async def test_stored_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    await _seed(database_url)
    path = write(tmp_path, "pylock.toml",
                 'lock-version = "1.0"\n[[packages]]\nname = "leftpadx"\nversion = "9.9"\n'
                 '[[packages]]\nname = "requests"\n')  # fmt: skip
    args = [str(path), "--database-url", database_url, "--format", "json"]
    code = await asyncio.to_thread(main, ["audit", *args, "--home", str(tmp_path / "home")])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["stored_findings_checked"] is True
    leftpad, requests = document["dependencies"]
    assert (leftpad["severity"], leftpad["worst"]) == ("info", "medium")
    assert leftpad["stored_findings"][0]["check_id"] == "metadata.url-dependency"
    assert requests["stored_findings"] == []
    code = await asyncio.to_thread(
        main, ["audit", *args[:-2], "--fail-on", "high", "--home", str(tmp_path / "home")]
    )
    assert code == 0
    assert "stored: medium metadata.url-dependency on 9.9" in capsys.readouterr().out
