"""`pypi-sentinel scan`: vet local files and URLs without a database, through the installed
command, on archives built here (never installed or run)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from collector.standin.archives import ArchiveRecipe, build_blob
from collector.standin.metadata import build_metadata
from tests.collector.pipeline.conftest import run_cli

PAYLOAD = 'import base64\nexec(base64.b64decode("cHJpbnQoMSk="))\n'  # decodes to print(1)


def build(filename: str, module_code: str | None = None) -> bytes:
    name, version = filename.split("-")[:2]
    version = version.removesuffix(".tar.gz")
    recipe = ArchiveRecipe(
        name, version, filename, build_metadata(name, "alice", None),
        datetime(2026, 1, 2, tzinfo=UTC), module_code=module_code,
    )  # fmt: skip
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
    assert {"name", "version", "check", "severity", "score", "summary", "evidence"} <= set(hit)
    assert (hit["name"], hit["version"], hit["file"]) == ("neat-lib", "1.1", wheel)
    assert hit["evidence"]["path"] == "neat_lib/__init__.py"
    assert hit["evidence"]["line"] == 2

    code, out, _ = await run_cli(cli_env, "scan", bad)
    assert code == 1
    assert f"{wheel}: high" in out
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
        code, _, err = await run_cli(cli_env, "scan", f"{url}#sha256={'0' * 64}")
        assert code == 3
        assert "sha256" in err
        missing = str(server.make_url("/packages/aa/bb/cc/gone-1.0.tar.gz"))
        code, _, err = await run_cli(cli_env, "scan", missing)
        assert code == 3
        assert "404" in err
    finally:
        await server.close()
