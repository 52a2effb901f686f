"""`pypi-sentinel scan`: vet local files and URLs without a database, through the installed
command, on archives built here (never installed or run)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pty
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from standin.archives import ArchiveRecipe, build_blob
from standin.metadata import build_metadata
from tests.collector.pipeline.conftest import run_cli
from tests.conftest import CLI

PAYLOAD = 'import base64\nexec(base64.b64decode("cHJpbnQoMSk="))\n'  # decodes to print(1)


def build(filename: str, module_code: str | None = None) -> bytes:
    name, version = filename.split("-")[:2]
    version = version.removesuffix(".tar.gz")
    recipe = ArchiveRecipe(
        name,
        version,
        filename,
        build_metadata(name, "alice", None),
        datetime(2026, 1, 2, tzinfo=UTC),
        module_code=module_code,
    )
    return build_blob(recipe).content


def write(tmp_path: Path, filename: str, content: bytes) -> str:
    path = tmp_path / filename
    path.write_bytes(content)
    return str(path)


async def test_clean_files_pass_and_a_payload_fails_with_its_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    sdist = build("neat_lib-1.0.tar.gz")
    clean = write(tmp_path, "neat_lib-1.0.tar.gz", sdist)
    code, out, err = await run_cli(cli_env, "scan", clean, "--format", "json")
    assert code == 0, err
    assert "WARNING" not in err, "a normal run stops its readers without alarming anyone"
    report = json.loads(out)
    assert report["schema"] == 1
    (file,) = report["files"]
    assert file["name"] == "neat-lib"
    assert file["version"] == "1.0"
    assert file["complete"] is True
    assert file["members"] >= 2
    assert file["sha256"] == hashlib.sha256(sdist).hexdigest()

    wheel = "neat_lib-1.1-py3-none-any.whl"
    bad = write(tmp_path, wheel, build(wheel, PAYLOAD))
    code, out, err = await run_cli(cli_env, "scan", clean, bad, "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert [f["severity"] for f in report["files"]] == ["info", "high"]
    hit = next(f for f in report["findings"] if f["check"] == "code.decode-exec")
    assert {"check", "evidence", "name", "score", "severity", "summary", "version"} <= set(hit)
    assert (hit["name"], hit["version"], hit["file"]) == ("neat-lib", "1.1", wheel)
    assert hit["evidence"]["path"] == "neat_lib/__init__.py"
    assert hit["evidence"]["line"] == 2

    code, out, _ = await run_cli(cli_env, "scan", bad)
    assert code == 1
    head = out.splitlines()[0]
    assert head.startswith(f"{wheel}: high")
    assert "decode" in head.split(")", 1)[1], "the strongest reason stands next to the verdict"
    assert "code.decode-exec" in out


async def test_a_hostile_file_is_reported_never_a_crash(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    garbage = write(tmp_path, "junk-1.0.tar.gz", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    code, out, err = await run_cli(
        cli_env, "scan", garbage, "--format", "json", "--fail-on", "info"
    )
    assert code == 1, err
    (file,) = json.loads(out)["files"]
    assert file["complete"] is False
    assert file["error"]
    assert any(f["check"].startswith("archive.") for f in json.loads(out)["findings"])


async def test_a_missing_path_is_a_usage_error(tmp_path: Path, cli_env: dict[str, str]) -> None:
    code, _, err = await run_cli(cli_env, "scan", str(tmp_path / "nope-1.0.tar.gz"))
    assert code == 2
    assert "cannot read" in err


async def test_a_url_is_downloaded_and_its_sha256_fragment_checked(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    wheel = "neat_lib-1.1-py3-none-any.whl"
    content = build(wheel, PAYLOAD)

    async def serve_file(_: web.Request) -> web.Response:
        return web.Response(body=content)

    app = web.Application()
    app.router.add_get(f"/packages/aa/bb/cc/{wheel}", serve_file)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url(f"/packages/aa/bb/cc/{wheel}"))
        digest = hashlib.sha256(content).hexdigest()
        code, out, err = await run_cli(
            cli_env, "scan", f"{url}#sha256={digest}", "--format", "json"
        )
        assert code == 1, err
        hit = next(f for f in json.loads(out)["findings"] if f["check"] == "code.decode-exec")
        assert hit["evidence"]["inspector_url"].endswith(
            f"/neat-lib/1.1/packages/aa/bb/cc/{wheel}/neat_lib/__init__.py#line.2"
        )
        code, out, err = await run_cli(
            cli_env, "scan", f"{url}#sha256={'0' * 64}", "--format", "json"
        )
        assert code == 1, err  # a finding about the file, not "PyPI unavailable"
        (file,) = json.loads(out)["files"]
        assert file["inspected"] is False
        assert "sha256" in file["error"]
        assert [f["check"] for f in json.loads(out)["findings"]] == ["archive.digest-mismatch"]
        missing = str(server.make_url("/packages/aa/bb/cc/gone-1.0.tar.gz"))
        code, _, err = await run_cli(cli_env, "scan", missing)
        assert code == 3
        assert "404" in err
    finally:
        await server.close()


def truncated(filename: str) -> bytes:
    whole = build(filename)
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("filename", "content", "why"),
    [
        ("neat_lib-1.0.tar.gz", truncated("neat_lib-1.0.tar.gz"), "a truncated download"),
        (
            "neat_lib-1.0-py3-none-any.whl",
            truncated("neat_lib-1.0-py3-none-any.whl"),
            "a truncated wheel",
        ),
        ("neat_lib-1.0.tar.gz", b"<html>Not Found</html>", "an error page saved as the file"),
        ("notes.txt", b"hello", "not a distribution at all"),
    ],
)
async def test_a_file_that_was_not_inspected_fails_with_the_reason(
    tmp_path: Path, cli_env: dict[str, str], filename: str, content: bytes, why: str
) -> None:
    path = write(tmp_path, filename, content)
    code, out, err = await run_cli(cli_env, "scan", path, "--format", "json")
    assert code == 1, f"{why}: nothing was read, so nothing is vouched for ({err})"
    (file,) = json.loads(out)["files"]
    assert file["inspected"] is False
    assert file["error"]
    code, out, _ = await run_cli(cli_env, "scan", path, "--fail-on", "critical")
    assert code == 1, why
    assert "NOT INSPECTED" in out.splitlines()[0]


async def test_a_directory_is_every_distribution_file_in_it(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    wheel = "neat_lib-1.1-py3-none-any.whl"
    write(tmp_path, "neat_lib-1.0.tar.gz", build("neat_lib-1.0.tar.gz"))
    write(tmp_path, wheel, build(wheel, PAYLOAD))
    write(tmp_path, "requirements.txt", b"neat-lib==1.1\n")
    (tmp_path / "sub").mkdir()
    code, out, err = await run_cli(cli_env, "scan", str(tmp_path), "--format", "json")
    assert code == 1, err
    files = json.loads(out)["files"]
    assert [f["file"] for f in files] == ["neat_lib-1.0.tar.gz", wheel]
    assert [f["severity"] for f in files] == ["info", "high"]
    code, _, err = await run_cli(cli_env, "scan", str(tmp_path / "sub"))
    assert code == 2
    assert "no distribution files" in err


async def test_many_files_show_progress_on_a_terminal_only(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    for name in ("neat_lib-1.0.tar.gz", "neat_lib-1.1.tar.gz"):
        write(tmp_path, name, build(name))
    code, _, err = await run_cli(cli_env, "scan", str(tmp_path))
    assert code == 0, err
    assert "scanning" not in err, "no progress line in a log or a pipe"
    leader, follower = pty.openpty()
    try:
        proc = await asyncio.create_subprocess_exec(
            CLI,
            "scan",
            str(tmp_path),
            env=cli_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=follower,
        )
        await proc.communicate()
        os.set_blocking(leader, False)
        shown = os.read(leader, 65536).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert proc.returncode == 0
    assert "scanning 2/2" in shown
