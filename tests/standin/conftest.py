"""Fixtures for the stand-in's tests: a fake clock, a stand-in on a real local port, a client."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from standin import StandInPyPI

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pypi(clock: FakeClock) -> StandInPyPI:
    return StandInPyPI(clock=clock)


@pytest.fixture
async def server(pypi: StandInPyPI) -> AsyncIterator[TestServer]:
    async with TestServer(pypi.app(), port=0) as test_server:
        pypi.base_url = str(test_server.make_url(""))
        yield test_server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"User-Agent": "standin-tests/1.0"}) as client:
        yield client


async def call(
    session: aiohttp.ClientSession, server: TestServer, method: str, *params: Any
) -> tuple[Any, aiohttp.ClientResponse]:
    """One XML-RPC call over HTTP; returns the decoded result (or the Fault) and the response."""
    body = xmlrpc.client.dumps(params, methodname=method, allow_none=True).encode()
    async with session.post(
        server.make_url("/pypi"), data=body, headers={"Content-Type": "text/xml"}
    ) as response:
        payload = await response.read()
    try:
        (result,), _ = xmlrpc.client.loads(payload, use_builtin_types=True)
    except xmlrpc.client.Fault as fault:
        return fault, response
    return result, response
