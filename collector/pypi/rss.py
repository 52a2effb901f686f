"""PyPI's RSS feeds, the low-latency hint: /rss/updates.xml (releases) and /rss/packages.xml (projects).

Titles are "Name version" and "Name added to PyPI"; links carry the normalized name. Feeds are a
live snapshot behind a CDN with no cursor, so they only wake the pipeline and never move the
changelog cursor.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import feedparser

from analysis.names import normalize
from collector.pypi.http import Http, answer


class Feed(StrEnum):
    UPDATES = "rss-updates"
    PACKAGES = "rss-packages"


@dataclass(frozen=True, slots=True)
class FeedItem:
    name: str  # display form
    normalized: str
    version: str | None  # None for new-project items
    published: datetime | None
    summary: str = ""
    author: str = ""


@dataclass(frozen=True, slots=True)
class FeedPoll:
    items: tuple[FeedItem, ...]
    etag: str | None
    not_modified: bool = False


_ADDED = " added to PyPI"


async def fetch_feed(http: Http, url: str, feed: Feed, etag: str | None) -> FeedPoll:
    """A conditional GET; 304 means nothing changed since `etag`."""
    headers = {"If-None-Match": etag} if etag else {}
    response = await http.request("GET", url, headers=headers)
    if response.status == 304:
        return FeedPoll((), etag, not_modified=True)
    items = answer(f"GET {url}", response, lambda body: parse_feed(body, feed))
    return FeedPoll(tuple(items), response.headers.get("etag"))


def parse_feed(body: bytes, feed: Feed) -> list[FeedItem]:
    """Items of either feed; ValueError when the document is not a readable RSS feed."""
    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS document"
        raise ValueError(f"not an RSS feed ({reason})")
    items = (_parse_entry(entry, feed) for entry in parsed.entries)
    return [item for item in items if item is not None]


def _parse_entry(entry: Any, feed: Feed) -> FeedItem | None:
    title = str(entry.get("title", "")).strip()
    if feed is Feed.PACKAGES:
        name, version = title.removesuffix(_ADDED).strip(), None
    else:
        name, _, version = title.rpartition(" ")  # names and versions never contain spaces
    name = name or _name_from_link(str(entry.get("link", "")))
    if not name or (feed is Feed.UPDATES and not version):
        return None
    return FeedItem(
        name=name,
        normalized=normalize(name),
        version=version,
        published=_published(entry),
        summary=str(entry.get("summary", "") or ""),
        author=str(entry.get("author", "") or ""),
    )


def _name_from_link(link: str) -> str:
    parts = [p for p in urlsplit(link).path.split("/") if p]
    return parts[1] if len(parts) >= 2 and parts[0] == "project" else ""


def _published(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
