"""Release metadata as the stand-in stores it: the uploaded core-metadata subset of JSON `info`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.names import normalize

# The `info` keys that come from the uploaded metadata. Everything else in `info` (name, version,
# the URLs PyPI computes, yanked, downloads) is derived when rendering.
METADATA_KEYS = frozenset(
    {
        "author",
        "author_email",
        "bugtrack_url",
        "classifiers",
        "description",
        "description_content_type",
        "docs_url",
        "download_url",
        "dynamic",
        "home_page",
        "keywords",
        "license",
        "license_expression",
        "license_files",
        "maintainer",
        "maintainer_email",
        "platform",
        "project_urls",
        "provides_extra",
        "requires_dist",
        "requires_python",
        "summary",
    }
)


class MetadataError(ValueError):
    """An upload's metadata override names a key PyPI's JSON `info` does not have."""


def default_metadata(name: str, owner: str) -> dict[str, Any]:
    """What a tidy, ordinary upload looks like: a summary, a README, an author, URLs."""
    slug = normalize(name)
    return {
        "summary": f"Utilities for {slug.replace('-', ' ')}",
        "description": f"# {name}\n\nA small package published by {owner}.\n\n"
        f"## Install\n\n```\npip install {slug}\n```\n",
        "description_content_type": "text/markdown",
        "author": owner.capitalize(),
        "author_email": f"{owner}@example.com",
        "maintainer": "",
        "maintainer_email": "",
        "license": "MIT",
        "license_expression": None,
        "license_files": None,
        "keywords": "",
        "classifiers": [
            "License :: OSI Approved :: MIT License",
            "Operating System :: OS Independent",
            "Programming Language :: Python :: 3",
        ],
        "home_page": "",
        "download_url": "",
        "docs_url": None,
        "bugtrack_url": None,
        "project_urls": {
            "Homepage": f"https://github.com/{owner}/{slug}",
            "Source": f"https://github.com/{owner}/{slug}",
        },
        "requires_dist": None,
        "provides_extra": None,
        "requires_python": ">=3.9",
        "platform": None,
        "dynamic": None,
    }


def build_metadata(name: str, owner: str, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults with the caller's overrides applied; unknown keys are a mistake in the caller."""
    metadata = default_metadata(name, owner)
    unknown = sorted(set(overrides or {}) - METADATA_KEYS)
    if unknown:
        raise MetadataError(
            f"unknown metadata keys {unknown}; expected some of {sorted(METADATA_KEYS)}"
        )
    metadata.update(overrides or {})
    return metadata
