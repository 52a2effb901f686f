"""Links the dashboard builds itself: PyPI, inspector, OSV. Never a URL a package supplied."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

INSPECTOR_URL = "https://inspector.pypi.io"
OSV_URL = "https://osv.dev/vulnerability"
OSV_LINK_TEXT = rf"^{re.escape(OSV_URL)}/(.+)$"  # a table shows an OSV link as the record's id
# A files.pythonhosted.org path after /packages/: hash folders, then the filename.
_FILE_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}/[^/]+$")


def _segment(text: str) -> str:
    return quote(text, safe="")


def pypi_release_url(pypi_url: str, project: str, version: str) -> str:
    return f"{pypi_url.rstrip('/')}/project/{_segment(project)}/{_segment(version)}/"


def pypi_project_url(pypi_url: str, project: str) -> str:
    return f"{pypi_url.rstrip('/')}/project/{_segment(project)}/"


def inspector_release_url(project: str, version: str) -> str:
    return f"{INSPECTOR_URL}/project/{_segment(project)}/{_segment(version)}/"


def osv_url(advisory_id: str) -> str:
    return f"{OSV_URL}/{_segment(advisory_id)}"


def inspector_file_url(project: str, version: str, file_url: str | None) -> str | None:
    """The inspector page of one distribution file, or None when its URL is not a PyPI file URL.

    Only the path after /packages/ is taken from the stored URL, checked against the shape PyPI
    uses, and each segment quoted: the link always goes to the inspector.
    """
    if not file_url:
        return None
    path = urlsplit(file_url).path
    _, found, rest = path.partition("/packages/")
    if not found or not _FILE_PATH.match(rest):
        return None
    quoted = "/".join(_segment(part) for part in rest.split("/"))
    return f"{inspector_release_url(project, version)}packages/{quoted}/"
