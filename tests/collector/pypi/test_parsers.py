"""RSS, JSON API and Simple API payloads decoded at the boundary into frozen dataclasses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from collector.pypi.json_api import parse_project_page, parse_release_page, parse_time
from collector.pypi.rss import Feed, parse_feed
from collector.pypi.simple import parse_provenance, parse_simple_index, parse_simple_project

UPDATES = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>PyPI recent updates</title><link>https://pypi.org/</link>
  <description>Recent updates to the Python Package Index</description><language>en</language>
  <item><title>Req_Eusts 2.0.1</title><link>https://pypi.org/project/req-eusts/2.0.1/</link>
    <description>HTTP for humans &lt;b&gt;really&lt;/b&gt;</description><author>a@example.com</author>
    <pubDate>Wed, 29 Mar 2023 21:30:05 GMT</pubDate></item>
  <item><title>nodate 0.1</title><link>https://pypi.org/project/nodate/0.1/</link>
    <description>None</description></item>
  <item><title></title><link>https://pypi.org/project/fromlink/1.0/</link></item>
</channel></rss>"""

PACKAGES = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>PyPI newest packages</title><link>https://pypi.org/</link>
  <item><title>Fresh.Pkg added to PyPI</title><link>https://pypi.org/project/fresh-pkg/</link>
    <guid>https://pypi.org/project/fresh-pkg/</guid><description>new</description>
    <pubDate>Thu, 30 Mar 2023 10:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_updates_feed_items() -> None:
    items = parse_feed(UPDATES, Feed.UPDATES)
    assert [(i.name, i.normalized, i.version) for i in items] == [
        ("Req_Eusts", "req-eusts", "2.0.1"),
        ("nodate", "nodate", "0.1"),
    ]  # the item without a title has no version to go on: skipped
    assert items[0].published == datetime(2023, 3, 29, 21, 30, 5, tzinfo=UTC)
    assert items[0].author == "a@example.com"
    assert items[1].published is None


def test_packages_feed_items() -> None:
    (item,) = parse_feed(PACKAGES, Feed.PACKAGES)
    assert (item.name, item.normalized, item.version) == ("Fresh.Pkg", "fresh-pkg", None)


@pytest.mark.parametrize("body", [b"<html><body>Fastly error</body>", b"\x00\xff garbage", b""])
def test_unreadable_feed_is_an_error(body: bytes) -> None:
    with pytest.raises(ValueError, match="not an RSS feed"):
        parse_feed(body, Feed.UPDATES)


RELEASE = {
    "info": {
        "name": "sampleproject",
        "version": "4.0.0",
        "summary": "A sample Python project",
        "description": "# A sample",
        "description_content_type": "text/markdown",
        "author": None,
        "author_email": '"A. Random Developer" <author@example.com>',
        "maintainer": None,
        "maintainer_email": None,
        "license": None,
        "license_expression": "MIT",
        "classifiers": ["Programming Language :: Python :: 3"],
        "keywords": "sample, setuptools",
        "home_page": None,
        "download_url": None,
        "project_urls": {"Homepage": "https://github.com/pypa/sampleproject", "Empty": None},
        "requires_dist": ["peppercorn", 'check-manifest ; extra == "dev"'],
        "requires_python": ">=3.9",
        "yanked": False,
        "yanked_reason": None,
    },
    "urls": [
        {
            "filename": "sampleproject-4.0.0.tar.gz",
            "packagetype": "sdist",
            "python_version": "source",
            "size": 1234,
            "digests": {"md5": "m", "sha256": "s" * 64, "blake2b_256": "b" * 64},
            "url": "https://files.pythonhosted.org/packages/aa/bb/cc/sampleproject-4.0.0.tar.gz",
            "upload_time": "2024-01-01T10:00:00",
            "upload_time_iso_8601": "2024-01-01T10:00:00.123456Z",
            "requires_python": ">=3.9",
            "yanked": False,
            "yanked_reason": None,
        }
    ],
    "ownership": {"roles": [{"role": "Owner", "user": "pypa"}], "organization": "pypa"},
    "last_serial": 99,
    "vulnerabilities": [],
}


def test_release_page() -> None:
    page = parse_release_page(RELEASE, 99)
    meta = page.metadata
    assert (meta.name, meta.version, meta.author) == ("sampleproject", "4.0.0", "")
    assert meta.project_urls == (("Homepage", "https://github.com/pypa/sampleproject"),)
    assert meta.requires_dist[1] == 'check-manifest ; extra == "dev"'
    (dist,) = page.files
    assert dist.sha256 == "s" * 64
    assert dist.packagetype == "sdist"
    assert dist.uploaded_at == datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert page.ownership is not None
    assert page.ownership.users == frozenset({"pypa"})
    assert page.ownership.organization == "pypa"
    assert page.last_serial == 99


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"urls": []}, "'info' is missing"),
        ({"info": {"name": "x", "version": "1"}}, "'urls' is missing"),
        ({"info": {"name": "x"}, "urls": []}, "lacks name or version"),
        (
            {"info": {"name": "x", "version": "1"}, "urls": [{"filename": "a"}]},
            "lacks filename or url",
        ),
        ({"info": {"name": "x", "version": "1"}, "urls": ["a"]}, "not an object"),
    ],
)
def test_release_page_garbage(payload: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_release_page(payload, 1)


def test_release_page_without_ownership_and_odd_types() -> None:
    payload = json.loads(json.dumps(RELEASE))
    del payload["ownership"]
    payload["info"]["classifiers"] = None
    payload["info"]["project_urls"] = None
    payload["urls"][0]["size"] = "big"
    page = parse_release_page(payload, None)
    assert page.ownership is None
    assert page.metadata.classifiers == ()
    assert page.metadata.project_urls == ()
    assert page.files[0].size == 0


def test_project_page_versions() -> None:
    payload = {**RELEASE, "releases": {"3.0": [], "4.0.0": RELEASE["urls"]}}
    page = parse_project_page(payload, 5)
    assert set(page.versions) == {"3.0", "4.0.0"}
    assert page.versions["4.0.0"][0].filename == "sampleproject-4.0.0.tar.gz"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),  # naive means UTC
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_simple_project() -> None:
    payload = {
        "meta": {"api-version": "1.4", "_last-serial": 77},
        "name": "pkg",
        "project-status": {"status": "quarantined"},
        "versions": ["1.0"],
        "files": [
            {
                "filename": "pkg-1.0.tar.gz",
                "url": "u",
                "hashes": {"sha256": "x"},
                "provenance": "https://pypi.org/integrity/pkg/1.0/pkg-1.0.tar.gz/provenance",
                "yanked": "bad",
            },
            {"filename": "pkg-1.0-py3-none-any.whl", "url": "u", "hashes": {}, "provenance": None},
        ],
    }
    project = parse_simple_project(payload, None)
    assert project.status == "quarantined"
    assert project.last_serial == 77
    assert project.files["pkg-1.0.tar.gz"].provenance_url is not None
    assert project.files["pkg-1.0.tar.gz"].yanked is True
    assert project.files["pkg-1.0-py3-none-any.whl"].provenance_url is None
    with pytest.raises(ValueError, match="'files'"):
        parse_simple_project({"name": "x"}, None)


def test_simple_index() -> None:
    index = parse_simple_index(
        {"meta": {"_last-serial": 9}, "projects": [{"name": "A_B", "_last-serial": 3}, {"name": 1}]}
    )
    assert index.last_serial == 9
    assert dict(index.projects) == {"a-b": 3}


def test_provenance_publishers() -> None:
    payload = {
        "version": 1,
        "attestation_bundles": [
            {
                "publisher": {
                    "kind": "GitHub",
                    "repository": "o/r",
                    "workflow": "release.yml",
                    "environment": "",
                }
            },
            {
                "publisher": {
                    "kind": "GitLab",
                    "repository": "g/r",
                    "workflow_filepath": ".gitlab-ci.yml",
                }
            },
            {"publisher": "nonsense"},
        ],
    }
    github, gitlab = parse_provenance(payload)
    assert (github.kind, github.repository, github.workflow, github.environment) == (
        "GitHub",
        "o/r",
        "release.yml",
        None,
    )
    assert gitlab.workflow == ".gitlab-ci.yml"
    with pytest.raises(ValueError, match="attestation_bundles"):
        parse_provenance({})
