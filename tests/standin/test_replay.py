"""Publishing a recording of real PyPI pages: journal rows, recorded `info`, served digests."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from standin import StandInPyPI
from standin.replay import publish_recording

ODD_INFO: dict[str, Any] = {
    "author": None,
    "author_email": "",
    "classifiers": [f"Topic :: Item {n}" for n in range(120)],
    "description": "",
    "license": "Copyright (c)\n\nPermission is hereby granted, free of charge...",
    "name": "Odd.Shapes",
    "project_urls": {},
    "requires_dist": ['tomli; python_version < "3.11"', "extra-thing; extra == 'all'"],
    "requires_python": "",
    "summary": None,
    "version": "2!1.0.post1.dev3",
}


def _file(filename: str, when: str, python_version: str, *, yanked: bool = False) -> dict[str, Any]:
    return {
        "filename": filename,
        "python_version": python_version,
        "upload_time_iso_8601": when,
        "yanked": yanked,
        "yanked_reason": "broken build" if yanked else None,
    }


RECORDING: dict[str, Any] = {
    "recorded_at": "2026-12-04T16:00:00+00:00",
    "projects": [
        {
            "name": "Odd.Shapes",
            "project": {
                "info": ODD_INFO,
                "releases": {
                    "2!1.0.post1.dev3": [
                        _file(
                            "odd_shapes-1.0.post1.dev3.zip",
                            "2024-01-02T03:04:05.123456Z",
                            "source",
                            yanked=True,
                        ),
                        _file(
                            "odd_shapes-1.0.post1.dev3-py2.py3-none-any.whl",
                            "2024-01-02T03:05:00Z",
                            "py2.py3",
                            yanked=True,
                        ),
                    ],
                    "0.1": [],
                },
            },
            "releases": {"2!1.0.post1.dev3": {"info": ODD_INFO}},
        }
    ],
}


async def test_a_recording_is_published_as_journal_rows_and_recorded_pages(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    start = pypi.last_serial
    published = publish_recording(pypi, RECORDING)

    assert [(r.version, len(r.files)) for r in published] == [
        ("2!1.0.post1.dev3", 2),
        ("0.1", 0),  # no files: stamped with the recording time, so it comes last
    ]
    actions = [(e.version, e.action) for e in pypi.journal if e.serial > start]
    assert actions == [
        (None, "create"),
        (None, "add Owner alice"),
        ("2!1.0.post1.dev3", "new release"),
        ("2!1.0.post1.dev3", "add source file odd_shapes-1.0.post1.dev3.zip"),
        ("2!1.0.post1.dev3", "add py2.py3 file odd_shapes-1.0.post1.dev3-py2.py3-none-any.whl"),
        ("2!1.0.post1.dev3", "yank release"),
        ("0.1", "new release"),
    ]
    async with session.get(server.make_url("/pypi/odd-shapes/2!1.0.post1.dev3/json")) as reply:
        page = await reply.json()
    info = page["info"]
    for key in ("author", "author_email", "classifiers", "license", "project_urls", "summary"):
        assert info[key] == ODD_INFO[key], key
    assert info["requires_dist"] == ODD_INFO["requires_dist"]
    assert info["yanked"] is True
    assert info["yanked_reason"] == "broken build"
    assert info["release_url"].startswith(str(server.make_url("/project/odd-shapes/")))
    for entry in page["urls"]:
        async with session.get(entry["url"]) as download:
            body = await download.read()
        assert (len(body), hashlib.sha256(body).hexdigest()) == (
            entry["size"],
            entry["digests"]["sha256"],
        )
