"""RSS 2.0 feeds rendered like Warehouse's `templates/rss/*.xml`: recent updates and newest packages.

Both are live queries: removed releases and projects vanish at once, quarantined ones stay.
"""

from __future__ import annotations

import heapq
import html
import re
from collections.abc import Iterable, Sequence
from email.utils import formatdate, getaddresses

from standin.state import Project, Release
from standin.wire import version_key

UPDATES_LIMIT = 100
PACKAGES_LIMIT = 40
PROJECT_LIMIT = 40
_CONTROL = re.compile(r"[\x00-\x1f]")


def newest_releases(
    projects: Iterable[Project], limit: int = UPDATES_LIMIT, as_of: int | None = None
) -> list[tuple[Project, Release]]:
    """`Release.created DESC`; ties (one transaction) broken by serial."""
    pairs = (
        (p, r)
        for p in projects
        for r in p.releases.values()
        if as_of is None or r.created_serial <= as_of
    )
    return heapq.nlargest(limit, pairs, key=lambda pr: (pr[1].created, pr[1].created_serial))


def newest_projects(
    projects: Iterable[Project], limit: int = PACKAGES_LIMIT, as_of: int | None = None
) -> list[tuple[Project, Release]]:
    """`Project.created DESC`, only projects with a release, each with its highest release."""
    pairs = []
    for project in projects:
        releases = [
            r for r in project.releases.values() if as_of is None or r.created_serial <= as_of
        ]
        if releases:
            pairs.append((project, max(releases, key=lambda r: version_key(r.version))))
    return heapq.nlargest(limit, pairs, key=lambda pr: (pr[0].created, pr[0].created_serial))


def rss_author(author_email: str | None) -> str | None:
    """Every address must contain '@', else Warehouse leaves `<author>` out."""
    emails = [address for _, address in getaddresses([author_email or ""])]
    if not emails or any("@" not in address for address in emails):
        return None
    return ", ".join(emails)


def render_updates(base: str, pairs: Sequence[tuple[Project, Release]]) -> bytes:
    items = "".join(
        _item(f"{p.name} {r.version}", f"{base}/project/{p.normalized}/{r.version}/", r, guid=False)
        for p, r in pairs
    )
    return _channel(
        "PyPI recent updates", f"{base}/", "Recent updates to the Python Package Index", items
    )


def render_packages(base: str, pairs: Sequence[tuple[Project, Release]]) -> bytes:
    items = "".join(
        _item(
            f"{p.name} added to PyPI",
            f"{base}/project/{p.normalized}/",
            r,
            guid=True,
            when=p.created.timestamp(),
        )
        for p, r in pairs
    )
    description = "Newest packages registered at the Python Package Index"
    return _channel("PyPI newest packages", f"{base}/", description, items)


def render_project_releases(base: str, project: Project, releases: Sequence[Release]) -> bytes:
    link = f"{base}/project/{project.normalized}/"
    items = "".join(_item(r.version, f"{link}{r.version}/", r, guid=False) for r in releases)
    description = f"Recent updates to the Python Package Index for {project.name}"
    return _channel(f"PyPI recent updates for {project.name}", link, description, items)


def _channel(title: str, link: str, description: str, items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n'
        f"    <title>{_esc(title)}</title>\n    <link>{_esc(link)}</link>\n"
        f"    <description>{_esc(description)}</description>\n    <language>en</language>\n"
        f"{items}  </channel>\n</rss>\n"
    ).encode()


def _item(title: str, link: str, release: Release, *, guid: bool, when: float | None = None) -> str:
    summary = release.metadata.get("summary")
    # Jinja prints a missing summary as the text "None"; Warehouse strips control characters.
    description = _CONTROL.sub("", str(summary))
    author = rss_author(release.metadata.get("author_email"))
    lines = [f"      <title>{_esc(title)}</title>", f"      <link>{_esc(link)}</link>"]
    if guid:
        lines.append(f"      <guid>{_esc(link)}</guid>")
    lines.append(f"      <description>{_esc(description)}</description>")
    if author:
        lines.append(f"      <author>{_esc(author)}</author>")
    stamp = release.created.timestamp() if when is None else when
    lines.append(f"      <pubDate>{formatdate(stamp, usegmt=True)}</pubDate>")
    return "    <item>\n" + "\n".join(lines) + "\n    </item>\n"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
