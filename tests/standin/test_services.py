"""The observations (danger) API, the top-packages list and the human project pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from standin import StandInPyPI

DANGER = "application/vnd.pypi.api-v0-danger+json"
INSPECTOR = "https://inspector.pypi.io/project/demo/1.0/"


async def observe(
    session: aiohttp.ClientSession, server: TestServer, project: str, body: Any, **headers: str
) -> tuple[int, Any]:
    merged = {"Authorization": "Bearer pypi-token", "Content-Type": DANGER, **headers}
    url = server.make_url(f"/danger-api/projects/{project}/observations")
    async with session.post(url, json=body, headers=merged) as response:
        return response.status, await response.json()


async def test_observation_accepted_and_recorded(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Demo", "1.0")
    body = {
        "kind": "is_malware",
        "summary": "exfiltrates env vars",
        "inspector_url": INSPECTOR,
        "extra": {"yara_rules": ["exec_b64"]},
    }
    status, payload = await observe(session, server, "demo", body)
    assert (status, payload) == (202, {"project": "Demo", "thanks": "for the observation"})
    [observation] = pypi.observations
    assert (observation.project, observation.kind, observation.inspector_url) == (
        "demo",
        "is_malware",
        INSPECTOR,
    )
    assert observation.payload["origin"] == "api"
    assert observation.payload["extra"] == {"yara_rules": ["exec_b64"]}
    assert observation.token == "pypi-token"


async def test_observation_refusals(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("demo", "1.0")
    malware = {"kind": "is_malware", "summary": "bad"}
    assert await observe(session, server, "demo", malware) == (
        400,
        {"error": "missing required fields", "missing": ["inspector_url"], "project": "demo"},
    )
    status, _ = await observe(session, server, "demo", malware, Authorization="")
    assert status == 403
    pypi.observer_tokens = {"good"}
    status, _ = await observe(session, server, "demo", {**malware, "inspector_url": INSPECTOR})
    assert status == 403
    status, _ = await observe(
        session,
        server,
        "demo",
        {"kind": "is_spam", "summary": "spam"},
        Authorization="Bearer good",
        **{"Content-Type": "application/json"},
    )
    assert status == 415
    status, _ = await observe(
        session, server, "nothing", {"kind": "is_spam", "summary": "x"}, Authorization="Bearer good"
    )
    assert status == 404
    status, payload = await observe(
        session, server, "demo", {"kind": "weird", "summary": "x"}, Authorization="Bearer good"
    )
    assert (status, payload["error"]) == (400, "invalid kind")
    assert pypi.observations == []
    async with session.get(
        server.make_url("/danger-api/echo"), headers={"Authorization": "Bearer good"}
    ) as response:
        assert (await response.json()) == {"username": "stand-in-observer"}


async def test_top_packages(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.top_packages = [("boto3", 1_880_218_825), ("urllib3", 1_000_000)]
    pypi.top_packages_updated = datetime(2026, 4, 1, 6, 34, 6, tzinfo=UTC)
    async with session.get(server.make_url("/top-pypi-packages.min.json")) as response:
        payload = await response.json()
    assert payload["last_update"] == "2026-04-01 06:34:06"
    assert payload["rows"] == [
        {"download_count": 1_880_218_825, "project": "boto3"},
        {"download_count": 1_000_000, "project": "urllib3"},
    ]
    assert payload["total_rows"] == 2
    async with session.get(
        server.make_url("/top-pypi-packages/top-pypi-packages.min.json")
    ) as response:
        assert response.status == 200


async def test_project_pages_resolve_feed_links(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Demo", "1.0")
    async with session.get(f"{pypi.base_url}/project/demo/1.0/") as response:
        assert response.status == 200
        assert "Demo 1.0" in await response.text()
    async with session.get(f"{pypi.base_url}/project/nothing/") as response:
        assert response.status == 404
