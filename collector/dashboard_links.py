"""The dashboard links the collector emits (alerts, the feed, reports): one shape, one place."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

RELEASE_PATH = "release"  # the dashboard's release page (dashboard/app.py, url_path)
_PRIVATE_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa")


def dashboard_release_url(base: str, release_id: int) -> str:
    """The release page itself: the root with ?release= also redirects there, for older links."""
    return f"{base.rstrip('/')}/{RELEASE_PATH}?release={int(release_id)}"


def is_public_url(url: str) -> bool:
    """Whether someone outside this machine or network could open `url` at all.

    A report to PyPI's admins may only carry a link they can follow: never 127.0.0.1, a
    private address or a name that only resolves on a local network.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host == "localhost" or "." not in host or host.endswith(_PRIVATE_SUFFIXES):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a dotted public name
    return address.is_global
