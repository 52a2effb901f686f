"""Scripted faults: each kind on the routes it applies to, `project=` targeting, `times` consumed."""

from __future__ import annotations

import asyncio
import json
import xmlrpc.client
from xml.parsers.expat import ExpatError

import aiohttp
import feedparser
import pytest
from aiohttp.test_utils import TestServer

from standin import Fault, FaultError, StandInPyPI
from tests.standin.conftest import SIMPLE_JSON, call

JSON_ROUTES = {
    "release_json": "/pypi/demo/1.0/json",
    "project_json": "/pypi/demo/json",
    "simple_project": "/simple/demo/",
    "simple_index": "/simple/",
    "rss_updates": "/rss/updates.xml",
    "rss_packages": "/rss/packages.xml",
}


@pytest.fixture
def demo(pypi: StandInPyPI) -> StandInPyPI:
    pypi.upload(
        "demo",
        "1.0",
        provenance={"kind": "GitHub", "repository": "a/b", "workflow": "w.yml", "environment": ""},
    )
    pypi.upload("other", "1.0")
    return pypi


async def status_of(session: aiohttp.ClientSession, url: object, accept: str = SIMPLE_JSON) -> int:
    async with session.get(url, headers={"Accept": accept}) as response:  # type: ignore[arg-type]
        await response.read()
        return response.status


@pytest.mark.parametrize("route", [*JSON_ROUTES, "rss_project"])
async def test_status_faults_are_consumed_in_order(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, route: str
) -> None:
    path = JSON_ROUTES.get(route, "/rss/project/demo/releases.xml")
    demo.faults.add(route, Fault.status(503), times=2)
    demo.faults.add(route, Fault.status(502, b"bad gateway"))
    statuses = [await status_of(session, server.make_url(path)) for _ in range(4)]
    assert statuses == [503, 503, 502, 200]
    assert demo.faults.pending() == 0


async def test_files_and_provenance_and_top_packages_status(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    stored = demo.release("demo", "1.0").files[0]
    demo.faults.add("files", Fault.status(404))
    demo.faults.add("provenance", Fault.status(500))
    demo.faults.add("top_packages", Fault.status(500))
    url = demo.file_url(stored)
    provenance = server.make_url(f"/integrity/demo/1.0/{stored.filename}/provenance")
    assert [await status_of(session, url), await status_of(session, url)] == [404, 200]
    statuses = [await status_of(session, provenance, "*/*") for _ in range(2)]
    assert statuses == [500, 200]
    top = server.make_url("/top-pypi-packages.min.json")
    assert [await status_of(session, top), await status_of(session, top)] == [500, 200]


async def test_project_targeting(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    demo.faults.add("release_json", Fault.status(500), times=None, project="Demo")
    for _ in range(3):
        assert await status_of(session, server.make_url("/pypi/demo/1.0/json")) == 500
        assert await status_of(session, server.make_url("/pypi/other/1.0/json")) == 200
    assert demo.faults.pending("release_json") == 1
    demo.faults.clear()
    assert await status_of(session, server.make_url("/pypi/demo/1.0/json")) == 200


async def test_rate_limited_http_routes_answer_429(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    demo.faults.add("project_json", Fault.rate_limited(reset=7))
    async with session.get(server.make_url("/pypi/demo/json")) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"


async def test_rate_limited_xmlrpc_is_a_fault(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    demo.faults.add("xmlrpc", Fault.rate_limited(reset=2))
    fault, response = await call(session, server, "changelog_last_serial")
    assert response.status == 200
    assert isinstance(fault, xmlrpc.client.Fault)
    assert fault.faultCode == -32500
    assert fault.faultString.endswith("Limit may reset in 2 seconds.")
    assert fault.faultString.startswith("HTTPTooManyRequests: The action could not be performed")
    assert response.headers["RateLimit"] == '"xmlrpc.client";r=0;t=2'
    assert (await call(session, server, "changelog_last_serial"))[0] == demo.last_serial


async def test_xmlrpc_fault_status_and_garbage(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    demo.faults.add("xmlrpc", Fault.xmlrpc_fault(-32403, "server error; service unavailable"))
    demo.faults.add("xmlrpc", Fault.status(502))
    demo.faults.add("xmlrpc", Fault.garbage())
    fault, _ = await call(session, server, "changelog_last_serial")
    assert (fault.faultCode, fault.faultString) == (-32403, "server error; service unavailable")
    body = xmlrpc.client.dumps((), methodname="changelog_last_serial").encode()
    async with session.post(server.make_url("/pypi"), data=body) as response:
        assert response.status == 502
    async with session.post(server.make_url("/pypi"), data=body) as response:
        assert response.status == 200
        with pytest.raises(ExpatError):
            xmlrpc.client.loads(await response.read())


async def test_garbage_bodies_do_not_parse(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    for route, path in JSON_ROUTES.items():
        demo.faults.add(route, Fault.garbage())
        async with session.get(server.make_url(path), headers={"Accept": SIMPLE_JSON}) as response:
            assert response.status == 200
            body = await response.read()
        if route.startswith("rss"):
            assert feedparser.parse(body).bozo, route
        else:
            with pytest.raises(json.JSONDecodeError):
                json.loads(body)
    demo.faults.add("release_json", Fault.garbage(b"{}"))
    async with session.get(server.make_url("/pypi/demo/1.0/json")) as response:
        assert await response.read() == b"{}"


async def test_delay_triggers_client_timeouts(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    demo.faults.add("release_json", Fault.delay(0.5))
    demo.faults.add("xmlrpc", Fault.delay(0.5))
    timeout = aiohttp.ClientTimeout(total=0.1)
    with pytest.raises(asyncio.TimeoutError):
        async with session.get(server.make_url("/pypi/demo/1.0/json"), timeout=timeout) as response:
            await response.read()
    with pytest.raises(asyncio.TimeoutError):
        async with session.post(server.make_url("/pypi"), data=b"", timeout=timeout) as response:
            await response.read()
    demo.faults.add("simple_project", Fault.delay(0.01))
    assert await status_of(session, server.make_url("/simple/demo/")) == 200


@pytest.mark.parametrize("route", ["release_json", "xmlrpc", "files", "rss_updates"])
async def test_disconnect(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, route: str
) -> None:
    # aiohttp retries an idempotent request once after a disconnect, so a GET needs two.
    demo.faults.add(route, Fault.disconnect(), times=1 if route == "xmlrpc" else 2)
    if route == "xmlrpc":
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await call(session, server, "changelog_last_serial")
    else:
        url = {"files": demo.file_url(demo.release("demo", "1.0").files[0])}.get(route)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await status_of(session, url or server.make_url(JSON_ROUTES[route]))
    assert await status_of(session, server.make_url("/pypi/demo/1.0/json")) == 200


async def test_stale_release_json(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    upload = demo.upload("demo", "2.0")
    project_serial = demo.project("demo").last_serial
    demo.faults.add("release_json", Fault.stale(lag=2))
    demo.faults.add("release_json", Fault.stale(lag=1))
    async with session.get(server.make_url("/pypi/demo/1.0/json")) as response:
        assert response.status == 200
        assert response.headers["X-PyPI-Last-Serial"] == str(project_serial - 2)
    async with session.get(server.make_url("/pypi/demo/2.0/json")) as response:
        assert response.status == 200  # 'new release' is 3 rows back: in the stale copy
        payload = await response.json()
    assert [f["filename"] for f in payload["urls"]] == [
        upload.files[0].filename
    ]  # newest file missing
    demo.faults.add("release_json", Fault.stale(lag=5))
    async with session.get(server.make_url("/pypi/demo/2.0/json")) as response:
        assert response.status == 404  # the copy predates the release


async def test_stale_simple_project_json_and_index(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    demo.upload("demo", "2.0", files=["demo-2.0.tar.gz"])
    demo.faults.add("simple_project", Fault.stale(lag=1))
    async with session.get(
        server.make_url("/simple/demo/"), headers={"Accept": SIMPLE_JSON}
    ) as response:
        payload = await response.json(content_type=None)
    assert payload["meta"]["_last-serial"] == demo.project("demo").last_serial - 1
    assert payload["versions"] == ["1.0"]  # versions come from files; 2.0's is not in the copy
    assert "demo-2.0.tar.gz" not in {f["filename"] for f in payload["files"]}
    demo.faults.add("project_json", Fault.stale(lag=2))
    async with session.get(server.make_url("/pypi/demo/json")) as response:
        project = await response.json()
    assert list(project["releases"]) == ["1.0"]
    demo.faults.add("simple_index", Fault.stale(lag=5))
    async with session.get(
        server.make_url("/simple/"), headers={"Accept": SIMPLE_JSON}
    ) as response:
        index = await response.json(content_type=None)
        assert response.headers["X-PyPI-Last-Serial"] == str(demo.last_serial - 5)
    assert [p["name"] for p in index["projects"]] == ["demo", "other"]


async def test_stale_rss_and_xmlrpc(
    demo: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    last = demo.last_serial
    demo.faults.add(
        "rss_updates", Fault.stale(lag=4)
    )  # 'other' took 4 rows: create, owner, release, 2 files - 1
    async with session.get(server.make_url("/rss/updates.xml")) as response:
        titles = [e.title for e in feedparser.parse(await response.read()).entries]
    assert titles == ["demo 1.0"]
    demo.faults.add("xmlrpc", Fault.stale(lag=3))
    demo.faults.add("xmlrpc", Fault.stale(lag=3))
    assert (await call(session, server, "changelog_last_serial"))[0] == last - 3
    rows, _ = await call(session, server, "changelog_since_serial", last - 5)
    assert [row[4] for row in rows] == [last - 4, last - 3]


def test_bad_scripts_are_refused(pypi: StandInPyPI) -> None:
    with pytest.raises(FaultError, match="unknown route"):
        pypi.faults.add("json", Fault.status(500))
    with pytest.raises(FaultError, match="no stale copy"):
        pypi.faults.add("files", Fault.stale())
    with pytest.raises(FaultError, match="xmlrpc route"):
        pypi.faults.add("release_json", Fault.xmlrpc_fault(1, "x"))
    with pytest.raises(FaultError, match="times"):
        pypi.faults.add("xmlrpc", Fault.status(500), times=0)
