"""RSS feeds parsed back with feedparser: Warehouse's titles, links, authors, dates and limits."""

from __future__ import annotations

import calendar
from datetime import timedelta

import aiohttp
import feedparser
from aiohttp.test_utils import TestServer

from standin import StandInPyPI
from standin.feeds import rss_author
from tests.standin.conftest import START, FakeClock


async def fetch(
    session: aiohttp.ClientSession, server: TestServer, path: str
) -> tuple[bytes, aiohttp.ClientResponse]:
    async with session.get(server.make_url(path)) as response:
        return await response.read(), response


async def test_updates_feed_shape(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    pypi.upload(
        "Foo_Bar",
        "1.0",
        metadata={
            "summary": "Foo & bar\x07",
            "author_email": "Ann <ann@example.com>, bo@example.org",
        },
    )
    clock.advance(seconds=30)
    pypi.upload("other", "2.0b1", metadata={"author_email": "not-an-address"})
    body, response = await fetch(session, server, "/rss/updates.xml")
    assert response.headers["Content-Type"].startswith("text/xml")
    feed = feedparser.parse(body)
    assert (feed.bozo, feed.version) == (False, "rss20")
    assert feed.feed.title == "PyPI recent updates"
    assert feed.feed.link == f"{pypi.base_url}/"
    newest, older = feed.entries
    assert newest.title == "other 2.0b1"
    assert newest.link == f"{pypi.base_url}/project/other/2.0b1/"
    assert "author" not in newest  # an address without '@' drops <author>
    assert "id" not in newest  # no <guid> on updates.xml
    assert older.title == "Foo_Bar 1.0"
    assert older.link == f"{pypi.base_url}/project/foo-bar/1.0/"
    assert older.summary == "Foo & bar"  # control characters stripped
    assert older.author == "ann@example.com, bo@example.org"
    assert calendar.timegm(older.published_parsed) == int(START.timestamp())
    assert b"<pubDate>Sun, 01 Mar 2026 12:00:00 GMT</pubDate>" in body


async def test_packages_feed_lists_projects_with_a_release(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    pypi.create_project("no-releases")
    clock.advance(seconds=1)
    pypi.upload("Alpha", "1.0", metadata={"summary": "first"})
    clock.advance(hours=1)
    pypi.upload("Alpha", "2.0", metadata={"summary": "second"})
    feed = feedparser.parse((await fetch(session, server, "/rss/packages.xml"))[0])
    assert feed.feed.title == "PyPI newest packages"
    [entry] = feed.entries
    assert entry.title == "Alpha added to PyPI"
    assert entry.link == entry.id == f"{pypi.base_url}/project/alpha/"
    assert entry.summary == "second"  # the highest release's summary
    assert calendar.timegm(entry.published_parsed) == int(
        (START + timedelta(seconds=1)).timestamp()
    )


async def test_limits_removals_and_quarantine(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    for i in range(105):
        clock.advance(seconds=1)
        pypi.upload(f"p{i}", "1.0", files=[])
    pypi.remove_release("p104", "1.0")
    pypi.quarantine_project("p103")
    updates = feedparser.parse((await fetch(session, server, "/rss/updates.xml"))[0])
    titles = [e.title for e in updates.entries]
    assert len(titles) == 100
    assert titles[0] == "p103 1.0"  # quarantined stays, removed vanished
    assert titles[-1] == "p4 1.0"
    packages = feedparser.parse((await fetch(session, server, "/rss/packages.xml"))[0])
    assert len(packages.entries) == 40


async def test_etag_and_if_none_match(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("demo", "1.0")
    _, first = await fetch(session, server, "/rss/updates.xml")
    etag = first.headers["ETag"]
    headers = {"If-None-Match": etag}
    async with session.get(server.make_url("/rss/updates.xml"), headers=headers) as response:
        assert response.status == 304
        assert await response.read() == b""
    pypi.upload("demo", "1.1")
    async with session.get(server.make_url("/rss/updates.xml"), headers=headers) as response:
        assert response.status == 200
        assert response.headers["ETag"] != etag
    assert pypi.requests[-1].headers["if-none-match"] == etag
    assert pypi.requests[-1].headers["User-Agent"] == "standin-tests/1.0"


async def test_project_releases_feed(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    pypi.upload("Demo", "1.0")
    clock.advance(minutes=1)
    pypi.upload("Demo", "1.1")
    feed = feedparser.parse((await fetch(session, server, "/rss/project/demo/releases.xml"))[0])
    assert feed.feed.title == "PyPI recent updates for Demo"
    assert [e.title for e in feed.entries] == ["1.1", "1.0"]
    assert (await fetch(session, server, "/rss/project/nothing/releases.xml"))[1].status == 404


def test_author_rule() -> None:
    assert rss_author("a@b.c") == "a@b.c"
    assert rss_author('"A. Dev" <a@b.c>, x@y.z') == "a@b.c, x@y.z"
    assert rss_author("a@b.c, nobody") is None
    assert rss_author("") is None
    assert rss_author(None) is None
