"""XML-RPC over real HTTP: changelog paging, <nil/> versions, faults and rate-limit headers."""

from __future__ import annotations

import xmlrpc.client

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from standin import StandInPyPI
from standin.xmlrpc import DISABLED
from tests.standin.conftest import START, call


async def test_changelog_rows_and_last_serial(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Demo", "1.0", files=["demo-1.0.tar.gz"])
    assert (await call(session, server, "changelog_last_serial"))[0] == 1004
    rows, _ = await call(session, server, "changelog_since_serial", 1000)
    epoch = int(START.timestamp())
    assert rows == [
        ["Demo", None, epoch, "create", 1001],
        ["Demo", None, epoch, "add Owner alice", 1002],
        ["Demo", "1.0", epoch, "new release", 1003],
        ["Demo", "1.0", epoch, "add source file demo-1.0.tar.gz", 1004],
    ]
    assert (await call(session, server, "changelog_since_serial", 1004))[0] == []


async def test_none_versions_travel_as_nil(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.create_project("demo")
    body = xmlrpc.client.dumps((1000,), methodname="changelog_since_serial").encode()
    async with session.post(server.make_url("/RPC2"), data=body) as response:
        text = await response.text()
    assert response.headers["Content-Type"].startswith("text/xml")
    assert text.count("<nil/>") == 2


async def test_paging_with_a_small_page_size(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi = StandInPyPI(page_size=3)
    for version in ("1", "2", "3"):
        pypi.upload("demo", version, files=[])  # 2 + 3 rows
    async with TestServer(pypi.app(), port=0) as small:
        seen, since = [], 1000
        while True:
            page, _ = await call(session, small, "changelog_since_serial", since)
            seen += [row[4] for row in page]
            if len(page) < 3:
                break
            since = page[-1][4]
    assert seen == list(range(1001, 1006))


async def test_gaps_show_in_serials(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.create_project("demo")
    pypi.skip_serials(10)
    pypi.append_raw_event("demo", None, "add Maintainer bob")
    rows, _ = await call(session, server, "changelog_since_serial", 1000)
    assert [row[4] for row in rows] == [1001, 1002, 1013]


async def test_list_packages_with_serial_and_roles(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Kept", "1.0", files=[])
    pypi.upload("Quarantined", "1.0", files=[])
    pypi.quarantine_project("quarantined")
    pypi.upload("gone", "1.0", files=[])
    pypi.remove_project("gone")
    pypi.add_role("kept", "Maintainer", "bob")
    listed, _ = await call(session, server, "list_packages_with_serial")
    assert listed == {"Kept": pypi.project("kept").last_serial, "Quarantined": 1007}
    roles, _ = await call(session, server, "package_roles", "KEPT")
    assert roles == [["Owner", "alice"], ["Maintainer", "bob"]]
    assert (await call(session, server, "user_packages", "bob"))[0] == [["Maintainer", "Kept"]]


async def test_every_response_carries_rate_limit_headers(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    _, first = await call(session, server, "changelog_last_serial")
    _, second = await call(session, server, "no_such_method")
    assert first.headers["RateLimit-Policy"] == '"xmlrpc.client";q=3600;w=3600;pk=:ip:'
    assert first.headers["RateLimit"] == '"xmlrpc.client";r=3599;t=3600'
    assert second.headers["RateLimit"] == '"xmlrpc.client";r=3598;t=3600'


async def test_quota_exhaustion_is_the_real_fault(session: aiohttp.ClientSession) -> None:
    pypi = StandInPyPI(xmlrpc_quota=2, xmlrpc_window=60, clock=lambda: START)
    async with TestServer(pypi.app(), port=0) as server:
        for _ in range(2):
            assert (await call(session, server, "changelog_last_serial"))[0] == 1000
        fault, response = await call(session, server, "changelog_last_serial")
    assert isinstance(fault, xmlrpc.client.Fault)
    assert fault.faultCode == -32500
    assert fault.faultString == (
        "HTTPTooManyRequests: The action could not be performed because there were too many "
        "requests by the client. Limit may reset in 60 seconds."
    )
    assert response.status == 200
    assert response.headers["RateLimit"] == '"xmlrpc.client";r=0;t=60'


async def test_disabled_and_unknown_methods(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    for method in (
        "changelog",
        "list_packages",
        "package_releases",
        "release_data",
        "system.multicall",
    ):
        fault, response = await call(session, server, method, "x")
        assert isinstance(fault, xmlrpc.client.Fault), method
        assert (fault.faultCode, fault.faultString) == (-32500, DISABLED[method])
        assert response.status == 200
    search, _ = await call(session, server, "search", {"name": "x"})
    assert "no longer supports 'pip search'" in search.faultString
    unknown, _ = await call(session, server, "frobnicate")
    assert (unknown.faultCode, unknown.faultString) == (
        -32601,
        "server error; requested method not found",
    )


async def test_parameter_types_are_checked(
    server: TestServer, session: aiohttp.ClientSession
) -> None:
    fault, _ = await call(session, server, "changelog_since_serial", "1000")
    assert fault.faultCode == -32602
    assert fault.faultString.startswith("client error; ")
    assert "since_serial" in fault.faultString
    missing, _ = await call(session, server, "changelog_since_serial")
    assert missing.faultCode == -32602


async def test_malformed_request_body(server: TestServer, session: aiohttp.ClientSession) -> None:
    async with session.post(server.make_url("/pypi/"), data=b"<not xml") as response:
        payload = await response.read()
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(payload)
    assert caught.value.faultCode == -32700
