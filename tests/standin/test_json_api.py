"""The JSON API: Warehouse's release and project payloads, headers, redirects and 404s."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from standin import StandInPyPI
from tests.standin.conftest import FakeClock

INFO_KEYS = {
    "author",
    "author_email",
    "bugtrack_url",
    "classifiers",
    "description",
    "description_content_type",
    "docs_url",
    "download_url",
    "downloads",
    "dynamic",
    "home_page",
    "keywords",
    "license",
    "license_expression",
    "license_files",
    "maintainer",
    "maintainer_email",
    "name",
    "package_url",
    "platform",
    "project_url",
    "project_urls",
    "provides_extra",
    "release_url",
    "requires_dist",
    "requires_python",
    "summary",
    "version",
    "yanked",
    "yanked_reason",
}
FILE_KEYS = {
    "comment_text",
    "core-metadata",
    "digests",
    "downloads",
    "filename",
    "has_sig",
    "md5_digest",
    "packagetype",
    "python_version",
    "requires_python",
    "size",
    "upload_time",
    "upload_time_iso_8601",
    "url",
    "yanked",
    "yanked_reason",
}


async def get_json(
    session: aiohttp.ClientSession, server: TestServer, path: str, **kwargs: Any
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with session.get(server.make_url(path), **kwargs) as response:
        payload = await response.json() if response.content_type == "application/json" else None
        return response.status, payload, response


async def test_release_payload(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Foo_Bar", "1.0", owner="ann", metadata={"requires_dist": ["requests>=2"]})
    pypi.add_role("foo-bar", "Maintainer", "bob")
    status, payload, response = await get_json(session, server, "/pypi/foo-bar/1.0/json")
    assert status == 200
    assert response.headers["X-PyPI-Last-Serial"] == str(pypi.last_serial)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert list(payload) == ["info", "last_serial", "urls", "vulnerabilities", "ownership"]
    info = payload["info"]
    assert set(info) == INFO_KEYS
    assert (info["name"], info["version"], info["yanked"], info["yanked_reason"]) == (
        "Foo_Bar",
        "1.0",
        False,
        None,
    )
    assert info["requires_dist"] == ["requests>=2"]
    assert info["project_urls"] == {
        "Homepage": "https://github.com/ann/foo-bar",
        "Source": "https://github.com/ann/foo-bar",
    }
    assert info["release_url"] == f"{pypi.base_url}/project/foo-bar/1.0/"
    assert info["downloads"] == {"last_day": -1, "last_month": -1, "last_week": -1}
    assert payload["last_serial"] == pypi.last_serial
    assert payload["vulnerabilities"] == []
    assert payload["ownership"] == {
        "roles": [{"role": "Owner", "user": "ann"}, {"role": "Maintainer", "user": "bob"}],
        "organization": None,
    }
    sdist, wheel = payload["urls"]
    assert set(sdist) == FILE_KEYS
    assert (sdist["packagetype"], sdist["python_version"], sdist["core-metadata"]) == (
        "sdist",
        "source",
        False,
    )
    assert (wheel["packagetype"], wheel["python_version"]) == ("bdist_wheel", "py3")
    assert set(wheel["core-metadata"]) == {"sha256"}
    assert sdist["url"].startswith(f"{pypi.base_url}/packages/")
    assert sdist["md5_digest"] == sdist["digests"]["md5"]
    assert sdist["upload_time"] == "2026-03-01T12:00:00"
    assert sdist["upload_time_iso_8601"] == "2026-03-01T12:00:00Z"
    assert (sdist["downloads"], sdist["has_sig"], sdist["requires_python"]) == (-1, False, ">=3.9")


async def test_project_payload_picks_latest_final_non_yanked(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    for version in ("1.0", "1.1", "2.0", "3.0b1"):
        pypi.upload("demo", version, files=[] if version == "1.0" else None)
    pypi.yank("demo", "2.0", reason="broken")
    status, payload, response = await get_json(session, server, "/pypi/demo/json")
    assert status == 200
    assert list(payload) == [
        "info",
        "last_serial",
        "releases",
        "urls",
        "vulnerabilities",
        "ownership",
    ]
    assert payload["info"]["version"] == "1.1"
    assert list(payload["releases"]) == ["1.0", "1.1", "2.0", "3.0b1"]
    assert payload["releases"]["1.0"] == []
    assert payload["releases"]["2.0"][0]["yanked"] is True
    assert payload["releases"]["2.0"][0]["yanked_reason"] == "broken"
    assert [f["filename"] for f in payload["urls"]] == [
        "demo-1.1.tar.gz",
        "demo-1.1-py3-none-any.whl",
    ]
    _, yanked, _ = await get_json(session, server, "/pypi/demo/2.0/json")
    assert (yanked["info"]["yanked"], yanked["info"]["yanked_reason"]) == (True, "broken")
    assert response.headers["Cache-Control"] == "max-age=900, public"


async def test_redirects_to_the_normalized_url(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Foo_Bar", "1.0")
    for path, target in (
        ("/pypi/Foo_Bar/json", "/pypi/foo-bar/json"),
        ("/pypi/foo-bar/json/", "/pypi/foo-bar/json"),
        ("/pypi/Foo.Bar/1.0/json", "/pypi/foo-bar/1.0/json"),
        ("/pypi/foo-bar/1.0/json/", "/pypi/foo-bar/1.0/json"),
    ):
        status, _, response = await get_json(session, server, path, allow_redirects=False)
        assert (status, response.headers["Location"]) == (301, target)
    status, payload, _ = await get_json(session, server, "/pypi/Foo_Bar/1.0/json")
    assert status == 200
    assert payload["info"]["name"] == "Foo_Bar"


async def test_not_found_removed_and_quarantined(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("demo", "1.0")
    pypi.upload("demo", "2.0")
    pypi.upload("bad", "1.0")
    pypi.remove_release("demo", "2.0")
    pypi.quarantine_project("bad")
    for path in (
        "/pypi/demo/2.0/json",
        "/pypi/bad/json",
        "/pypi/bad/1.0/json",
        "/pypi/nothing/json",
    ):
        status, payload, _ = await get_json(session, server, path)
        assert (status, payload) == (404, {"message": "Not Found"}), path
    pypi.clear_project_quarantine("bad")
    pypi.quarantine_release("demo", "1.0")
    assert (await get_json(session, server, "/pypi/bad/1.0/json"))[0] == 200
    assert (await get_json(session, server, "/pypi/demo/1.0/json"))[0] == 404
    assert (await get_json(session, server, "/pypi/demo/json"))[0] == 404  # no visible release left
    pypi.remove_project("bad")
    assert (await get_json(session, server, "/pypi/bad/1.0/json"))[0] == 404


async def test_cache_follows_changes(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    pypi.upload("demo", "1.0", files=["demo-1.0.tar.gz"])
    _, before, first = await get_json(session, server, "/pypi/demo/1.0/json")
    clock.advance(hours=5)
    pypi.add_file("demo", "1.0", "demo-1.0-py3-none-any.whl")
    _, after, second = await get_json(session, server, "/pypi/demo/1.0/json")
    assert len(before["urls"]) == 1
    assert len(after["urls"]) == 2
    assert after["urls"][1]["upload_time"] == "2026-03-01T17:00:00"
    assert int(second.headers["X-PyPI-Last-Serial"]) > int(first.headers["X-PyPI-Last-Serial"])
    etag = second.headers["ETag"]
    status, _, _ = await get_json(
        session, server, "/pypi/demo/1.0/json", headers={"If-None-Match": etag}
    )
    assert status == 304
