"""`osv sync`: OSV's real PyPI records served by a local server as the dump, stored once, then
only what changed; bad sources fail in one line with the right exit code and change nothing."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from collector.store.database import connect
from collector.store.osv import fetch_advisories
from tests.collector.pipeline.conftest import cli_environment, run_cli

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DUMPS = {"pysec": DATA / "osv-pypi-pysec.zip", "malicious": DATA / "osv-pypi-malicious-dev.zip"}


def _records(path: Path) -> dict[str, dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: json.loads(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".json")
        }


def _zip(records: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, record in records.items():
            archive.writestr(name, record if isinstance(record, str) else json.dumps(record))
    return buffer.getvalue()


@dataclass
class Dumps:
    """What the local OSV server answers per path: (status, body)."""

    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        status, body = self.files.get(request.match_info["name"], (404, b"not found"))
        return web.Response(status=status, body=body, content_type="application/zip")


@pytest.fixture(scope="module")
def real() -> dict[str, dict[str, dict[str, Any]]]:
    return {kind: _records(path) for kind, path in DUMPS.items()}


@pytest.fixture
async def osv_server() -> AsyncIterator[tuple[Dumps, str]]:
    dumps = Dumps()
    app = web.Application()
    app.router.add_get("/{name}", dumps.handle)
    server = TestServer(app, port=0)
    await server.start_server()
    try:
        yield dumps, str(server.make_url("/"))
    finally:
        await server.close()


async def _sync(env: dict[str, str], *sources: str) -> tuple[int, dict[str, Any], str]:
    args = [arg for source in sources for arg in ("--source", source)]
    code, out, err = await run_cli(env, "osv", "sync", *args, "--format", "json")
    return code, json.loads(out) if code == 0 else {}, err


async def _count(url: str, sql: str) -> int:
    conn = await connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def test_both_real_dumps_load_once_then_only_what_changed(
    osv_server: tuple[Dumps, str],
    real: dict[str, dict[str, dict[str, Any]]],
    database_url: str,
    tmp_path: Path,
) -> None:
    dumps, base = osv_server
    for kind, path in DUMPS.items():
        dumps.files[f"{kind}.zip"] = (200, path.read_bytes())
    env = cli_environment(database_url, None, tmp_path / "home")
    urls = [f"{base}pysec.zip", f"{base}malicious.zip"]
    total = {kind: len({r["id"] for r in records.values()}) for kind, records in real.items()}

    code, first, err = await _sync(env, *urls)
    assert code == 0, err
    assert [(s["records"], s["added"], s["updated"]) for s in first["sources"]] == [
        (total["pysec"], total["pysec"], 0),
        (total["malicious"], total["malicious"], 0),
    ]
    assert first["stored"] == {"vulnerabilities": total["pysec"], "malicious": total["malicious"]}

    code, again, err = await _sync(env, *urls)
    assert code == 0, err
    assert [(s["added"], s["updated"], s["unchanged"]) for s in again["sources"]] == [
        (0, 0, total["pysec"]),
        (0, 0, total["malicious"]),
    ]

    # OSV edits one record (a new `modified`): the next sync stores that one alone.
    records = dict(real["pysec"])
    name, record = next(iter(records.items()))
    records[name] = {**record, "modified": "2099-01-01T00:00:00Z", "summary": "edited"}
    dumps.files["pysec.zip"] = (200, _zip(records))
    code, edited, err = await _sync(env, urls[0])
    assert code == 0, err
    assert (edited["sources"][0]["added"], edited["sources"][0]["updated"]) == (0, 1)
    stored = await _count(
        database_url,
        f"SELECT count(*) FROM osv_advisories WHERE id = '{record['id']}' AND summary = 'edited'",
    )
    assert stored == 1
    assert await _count(database_url, "SELECT count(*) FROM osv_syncs") == 5


async def test_a_changed_record_replaces_the_projects_it_names(
    osv_server: tuple[Dumps, str], database_url: str, tmp_path: Path
) -> None:
    dumps, base = osv_server
    env = cli_environment(database_url, None, tmp_path / "home")
    old = _advisory("PYSEC-0000-1", "2024-01-01T00:00:00Z", "Old_Name", fixed="2.0")
    dumps.files["dump.zip"] = (200, _zip({"a.json": old}))
    assert (await _sync(env, f"{base}dump.zip"))[0] == 0
    new = _advisory("PYSEC-0000-1", "2024-02-01T00:00:00Z", "new-name", fixed="3.0")
    dumps.files["dump.zip"] = (200, _zip({"a.json": new}))
    assert (await _sync(env, f"{base}dump.zip"))[0] == 0
    conn = await connect(database_url)
    try:
        assert await fetch_advisories(conn, ["old-name"]) == []
        (found,) = await fetch_advisories(conn, ["new-name"])
    finally:
        await conn.close()
    assert (found.id, found.projects) == ("PYSEC-0000-1", frozenset({"new-name"}))


async def test_members_that_are_not_records_are_skipped_and_named(
    osv_server: tuple[Dumps, str], database_url: str, tmp_path: Path
) -> None:
    dumps, base = osv_server
    env = cli_environment(database_url, None, tmp_path / "home")
    good = _advisory("MAL-0000-1", "2024-01-01T00:00:00Z", "evil-pkg", versions=["1.0"])
    dumps.files["dump.zip"] = (
        200,
        _zip({"good.json": good, "truncated.json": '{"id": "X', "list.json": "[]", "README": "x"}),
    )
    code, summary, err = await _sync(env, f"{base}dump.zip")
    assert code == 0, err
    (source,) = summary["sources"]
    assert (source["records"], source["added"], source["malformed_count"]) == (1, 1, 2)
    assert {bad["member"] for bad in source["malformed"]} == {"truncated.json", "list.json"}
    assert summary["stored"] == {"vulnerabilities": 0, "malicious": 1}


@pytest.mark.parametrize(
    ("served", "code", "says"),
    [
        ((404, b"gone"), 3, "HTTP 404"),
        ((200, b"<html>not a zip</html>"), 3, "not a zip archive of OSV records"),
    ],
    ids=["404", "garbage"],
)
async def test_a_bad_url_exits_3_in_one_line_and_keeps_what_was_stored(
    osv_server: tuple[Dumps, str],
    database_url: str,
    tmp_path: Path,
    served: tuple[int, bytes],
    code: int,
    says: str,
) -> None:
    dumps, base = osv_server
    env = cli_environment(database_url, None, tmp_path / "home")
    kept = _advisory("PYSEC-0000-2", "2024-01-01T00:00:00Z", "kept", fixed="1.1")
    dumps.files["good.zip"] = (200, _zip({"k.json": kept}))
    assert (await _sync(env, f"{base}good.zip"))[0] == 0
    dumps.files["bad.zip"] = served
    got, _, err = await _sync(env, f"{base}bad.zip")
    assert got == code
    (line,) = [line for line in err.splitlines() if line.startswith("pypi-sentinel:")]
    assert says in line
    assert await _count(database_url, "SELECT count(*) FROM osv_advisories") == 1


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "No such file or directory"), (b"not a zip", "not a zip archive of OSV records")],
    ids=["missing", "not-a-zip"],
)
async def test_a_bad_path_exits_2_in_one_line(
    database_url: str, tmp_path: Path, content: bytes | None, says: str
) -> None:
    path = tmp_path / "dump.zip"
    if content is not None:
        path.write_bytes(content)
    env = cli_environment(database_url, None, tmp_path / "home")
    code, _, err = await _sync(env, str(path))
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("pypi-sentinel: ")
    assert says in err


async def test_a_local_dump_syncs_like_a_served_one_and_status_tells(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "dump.zip"
    path.write_bytes(_zip({"a.json": _advisory("GHSA-x", "2024-01-01T00:00:00Z", "p", "1.0")}))
    env = cli_environment(database_url, None, tmp_path / "home")
    code, out, _ = await run_cli(env, "status")
    assert "never synced: run `pypi-sentinel osv sync`" in out
    code, out, err = await run_cli(env, "osv", "sync", "--source", str(path))
    assert code == 0, err
    assert f"{path}: 1 records: 1 added, 0 updated, 0 unchanged" in out
    assert "stored: 1 vulnerability records, 0 known-malicious records" in out
    code, out, err = await run_cli(env, "status", "--format", "json")
    osv = json.loads(out)["osv"]
    assert (osv["vulnerabilities"], osv["malicious"]) == (1, 0)
    assert osv["last_sync"]["source"] == str(path)


def _advisory(
    advisory_id: str,
    modified: str,
    project: str,
    fixed: str | None = None,
    versions: list[str] | None = None,
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": project}}
    if fixed is not None:
        events = [{"introduced": "0"}, {"fixed": fixed}]
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": advisory_id, "modified": modified, "summary": "s", "affected": [affected]}
