"""Simple API pages for the vetted index: upstream's page (PEP 691 JSON, or PEP 503 HTML from an
index that serves nothing else) parsed at the boundary, and our own page rendered back as PEP 503
HTML or PEP 691 JSON (with PEP 658/714 metadata, PEP 592 yanks and PEP 700 sizes and upload
times), every link pointing at this index, never at upstream."""

from __future__ import annotations

import html
import json
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

from packaging.utils import canonicalize_version

from collector.media import negotiate_media, split_media
from collector.pypi.json_api import decode_json, parse_time
from collector.pypi.simple import SIMPLE_JSON, version_of

SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
API_VERSION = "1.1"  # PEP 700: sizes, upload times and the versions list
_OFFERS = (TEXT_HTML, SIMPLE_HTML, SIMPLE_JSON)  # a tie (`*/*`) goes to plain HTML
# What we ask upstream for: JSON carries upload times (the age hold needs them), but mirrors,
# devpi and private indexes may serve PEP 503 HTML only, and that must work too.
UPSTREAM_ACCEPT = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.2, {TEXT_HTML};q=0.01"


@dataclass(frozen=True, slots=True)
class IndexFile:
    """One file upstream lists, as much of it as we pass on."""

    filename: str
    url: str  # upstream's: where the bytes come from, never shown to clients
    sha256: str | None
    requires_python: str | None = None
    yanked: bool | str = False  # a reason is a yank too
    core_metadata: bool = False  # a `.metadata` sibling exists (PEP 658/714)
    core_metadata_sha256: str | None = None
    size: int | None = None
    upload_time: datetime | None = None
    upload_time_text: str | None = None  # as upstream wrote it

    @property
    def version(self) -> str | None:
        return version_of(self.filename)

    @property
    def release_key(self) -> str | None:
        """The release this file belongs to, as a canonical version."""
        version = self.version
        return None if version is None else canonicalize_version(version)


@dataclass(frozen=True, slots=True)
class UpstreamPage:
    name: str
    files: tuple[IndexFile, ...]

    def file(self, filename: str) -> IndexFile | None:
        return next((f for f in self.files if f.filename == filename), None)


def parse_upstream_body(body: bytes, content_type: str, name: str, url: str) -> UpstreamPage:
    """Upstream's answer read by the media type it declares; ValueError for anything else."""
    media, params = split_media(content_type)
    if media == SIMPLE_JSON:
        return parse_upstream_page(decode_json(body), name, url)
    if media in (SIMPLE_HTML, TEXT_HTML):
        return parse_upstream_html(_decode(body, params.get("charset")), name, url)
    raise ValueError(f"not a Simple API page (Content-Type {content_type!r})")


def _decode(body: bytes, charset: str | None) -> str:
    """The page as text, in the charset upstream named (UTF-8 when none, or one unknown)."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    return body.decode("utf-8", errors="replace")


def parse_upstream_page(payload: Mapping[str, Any], name: str, url: str = "") -> UpstreamPage:
    """A PEP 691 project page, its file URLs resolved against the page's `url` (PEP 691 allows
    relative ones); ValueError when it is not one."""
    files = payload.get("files")
    if not isinstance(files, list):
        raise ValueError("'files' is missing or not a list")
    return UpstreamPage(name, tuple(_file(item, url) for item in files))


def _file(item: object, page_url: str) -> IndexFile:
    if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
        raise ValueError("a file entry lacks a filename")
    if not isinstance(item.get("url"), str):
        raise ValueError(f"{item['filename']}: no url")
    raw_hashes = item.get("hashes")
    hashes: Mapping[str, Any] = raw_hashes if isinstance(raw_hashes, dict) else {}
    core = item.get("core-metadata", item.get("data-dist-info-metadata", False))
    yanked = item.get("yanked", False)
    size = item.get("size")
    uploaded = item.get("upload-time")
    return IndexFile(
        filename=item["filename"],
        url=urljoin(page_url, item["url"]),
        sha256=_text(hashes.get("sha256")),
        requires_python=_text(item.get("requires-python")),
        yanked=yanked if isinstance(yanked, str) and yanked else bool(yanked),
        core_metadata=bool(core),
        core_metadata_sha256=_text(core.get("sha256")) if isinstance(core, dict) else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        upload_time=parse_time(uploaded),
        upload_time_text=_text(uploaded),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_upstream_html(text: str, name: str, url: str) -> UpstreamPage:
    """A PEP 503 project page: one anchor per file, relative links resolved against `url`."""
    anchors = _Anchors()
    anchors.feed(text)
    anchors.close()
    base = urljoin(url, anchors.base) if anchors.base else url
    files = (_html_file(urljoin(base, attrs["href"] or ""), attrs) for attrs in anchors.found)
    return UpstreamPage(name, tuple(f for f in files if f is not None))


class _Anchors(HTMLParser):
    """The `<a>` attributes of a page (entities already unescaped), and its `<base href>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str | None]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.found.append(found)
        elif tag == "base" and found.get("href") and self.base is None:
            self.base = found["href"]


def _html_file(link: str, attrs: Mapping[str, str | None]) -> IndexFile | None:
    url, fragment = urldefrag(link)
    filename = unquote(posixpath.basename(urlsplit(url).path))
    if not filename:
        return None  # a link to a folder (`../`), not a file
    algorithm, _, digest = fragment.partition("=")
    core = (attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata")) or "").strip()
    core_algorithm, _, core_digest = core.partition("=")
    return IndexFile(
        filename=filename,
        url=url,
        sha256=digest.lower() if algorithm == "sha256" and digest else None,
        requires_python=_text(attrs.get("data-requires-python")),
        yanked=_html_yanked(attrs),
        core_metadata=core == "true" or bool(core_digest),
        core_metadata_sha256=core_digest.lower() if core_algorithm == "sha256" else None,
    )


def _html_yanked(attrs: Mapping[str, str | None]) -> bool | str:
    """PEP 592: the attribute's presence is the yank; its value, when any, the reason."""
    if "data-yanked" not in attrs:
        return False
    return attrs["data-yanked"] or True


# -- negotiation -------------------------------------------------------------------------------


def negotiate(accept: str) -> str | None:
    """The media type to answer with, by the client's q-values; None: nothing we serve fits."""
    return negotiate_media(accept, _OFFERS)


# -- rendering ---------------------------------------------------------------------------------


def file_link(project: str, filename: str) -> str:
    return f"/files/{quote(project)}/{quote(filename)}"


def render_project(name: str, files: Sequence[IndexFile], media: str) -> bytes:
    if media == SIMPLE_JSON:
        return json.dumps(_project_json(name, files)).encode()
    return _project_html(name, files).encode()


def _project_json(name: str, files: Sequence[IndexFile]) -> dict[str, Any]:
    versions = sorted({f.version for f in files if f.version is not None})
    return {
        "meta": {"api-version": API_VERSION},
        "name": name,
        "versions": versions,
        "files": [_file_json(name, f) for f in files],
    }


def _file_json(name: str, f: IndexFile) -> dict[str, Any]:
    # Metadata upstream lists without a digest is left off: the `.metadata` route serves only
    # bytes it can verify, and a client told it exists would fail on the refusal.
    sha256 = f.core_metadata_sha256
    core: bool | dict[str, str] = {"sha256": sha256} if f.core_metadata and sha256 else False
    entry: dict[str, Any] = {
        "filename": f.filename,
        "url": file_link(name, f.filename),
        "hashes": {"sha256": f.sha256} if f.sha256 else {},
        "requires-python": f.requires_python,
        "yanked": f.yanked,
        "core-metadata": core,
        "data-dist-info-metadata": core,
    }
    if f.size is not None:
        entry["size"] = f.size
    if f.upload_time_text:
        entry["upload-time"] = f.upload_time_text
    return entry


def _project_html(name: str, files: Sequence[IndexFile]) -> str:
    title = html.escape(name)
    anchors = "".join(_anchor(name, f) for f in files)
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>Links for {title}</title>\n  </head>\n  <body>\n"
        f"    <h1>Links for {title}</h1>\n{anchors}  </body>\n</html>\n"
    )


def _anchor(name: str, f: IndexFile) -> str:
    href = file_link(name, f.filename) + (f"#sha256={f.sha256}" if f.sha256 else "")
    attrs = [f'href="{html.escape(href)}"']
    if f.requires_python:
        attrs.append(f'data-requires-python="{html.escape(f.requires_python)}"')
    if f.yanked is not False:
        reason = "" if f.yanked is True else str(f.yanked)
        attrs.append(f'data-yanked="{html.escape(reason)}"')
    if f.core_metadata and f.core_metadata_sha256:  # as in _file_json: verifiable or not at all
        value = f"sha256={f.core_metadata_sha256}"
        attrs += [f'data-dist-info-metadata="{value}"', f'data-core-metadata="{value}"']
    return f"    <a {' '.join(attrs)}>{html.escape(f.filename)}</a><br />\n"


def render_root(media: str, projects: Iterable[str] = ()) -> bytes:
    """The root page: the index does not list PyPI's whole catalogue (pip never asks for it)."""
    names = sorted(projects)
    if media == SIMPLE_JSON:
        listed = [{"name": n} for n in names]
        return json.dumps({"meta": {"api-version": API_VERSION}, "projects": listed}).encode()
    links = "".join(f'    <a href="/simple/{quote(n)}/">{html.escape(n)}</a>\n' for n in names)
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        "    <title>Vetted index</title>\n  </head>\n  <body>\n"
        f"{links}  </body>\n</html>\n"
    ).encode()
