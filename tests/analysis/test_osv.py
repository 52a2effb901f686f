"""OSV records: parsing, and which versions a record affects (the schema's evaluation rules)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from analysis.errors import OsvError
from analysis.metadata import parse_version
from analysis.osv import Advisory, affects, exposure, fixed_in, parse_advisory

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def record(*affected: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "PYSEC-0000-1", "modified": "2024-01-01T00:00:00Z", "affected": list(affected)}


def package(name: str = "demo", *ranges: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name}, **extra}
    entry["ranges"] = [{"type": "ECOSYSTEM", "events": events} for events in ranges]
    return entry


INTRODUCED_FIXED = [{"introduced": "1.0"}, {"fixed": "2.0"}]
# (advisory, version, affected, first fixed version, reason)
CASES: list[tuple[dict[str, Any], str, bool, str | None, str]] = [
    (record(package("demo", INTRODUCED_FIXED)), "1.5", True, "2.0", "inside the range"),
    (record(package("demo", INTRODUCED_FIXED)), "1.0", True, "2.0", "introduced is inclusive"),
    (record(package("demo", INTRODUCED_FIXED)), "2.0", False, None, "fixed is exclusive"),
    (record(package("demo", INTRODUCED_FIXED)), "0.9", False, None, "below the range"),
    (record(package("demo", INTRODUCED_FIXED)), "2.0rc1", True, "2.0", "a pre-release of the fix"),
    (record(package("demo", INTRODUCED_FIXED)), "1.0.post1", True, "2.0", "a post-release"),
    (record(package("demo", INTRODUCED_FIXED)), "2.0+local", False, None, "local above the fix"),
    (record(package("demo", INTRODUCED_FIXED)), "1!0.5", False, None, "an epoch outranks all"),
    (
        record(package("demo", [{"introduced": "0"}, {"fixed": "1!1.0"}])),
        "5.0",
        True,
        "1!1.0",
        "the fix is in a later epoch",
    ),
    (
        record(package("demo", [{"introduced": "0"}, {"fixed": "1.2"}])),
        "0.0.1",
        True,
        "1.2",
        "introduced 0 is below every version",
    ),
    (
        record(package("demo", [{"introduced": "0"}, {"last_affected": "1.4"}])),
        "1.4",
        True,
        None,
        "last_affected is inclusive, and no fix is known",
    ),
    (
        record(package("demo", [{"introduced": "0"}, {"last_affected": "1.4"}])),
        "1.4.1",
        False,
        None,
        "above last_affected",
    ),
    (
        record(package("demo", [{"introduced": "1.0"}, {"limit": "1.3"}])),
        "1.3",
        False,
        None,
        "limit is exclusive",
    ),
    (
        record(package("demo", [{"fixed": "2.0"}, {"introduced": "1.0"}])),
        "1.5",
        True,
        "2.0",
        "events in any order are sorted by version",
    ),
    (
        record(package("demo", [{"introduced": "1.0"}, {"fixed": "1.1"}, {"introduced": "2.0"}])),
        "2.5",
        True,
        None,
        "reintroduced with no fix since",
    ),
    (
        record(
            package(
                "demo",
                [{"introduced": "1.0"}, {"fixed": "1.1"}],
                [{"introduced": "3.0"}, {"fixed": "3.2"}],
            )
        ),
        "3.1",
        True,
        "3.2",
        "the fix of the range that holds the version",
    ),
    (
        record(
            package(
                "demo",
                [{"introduced": "1.0"}, {"fixed": "1.1"}],
                [{"introduced": "3.0"}, {"fixed": "3.2"}],
            )
        ),
        "2.0",
        False,
        None,
        "between two ranges",
    ),
    (
        record(package("demo", versions=["1.0", "2.0-custom"])),
        "1.0.0",
        True,
        None,
        "the explicit list compares by PEP 440 equality",
    ),
    (
        record(package("demo", versions=["1.0", "2.0-custom"])),
        "2.0-custom",
        True,
        None,
        "a version that is not PEP 440 matches the list by its text",
    ),
    (
        record(package("demo", [{"introduced": "0"}, {"fixed": "9"}])),
        "not-a-version",
        False,
        None,
        "a version that is not PEP 440 is outside every range",
    ),
    (
        record(package("demo", [{"introduced": "0"}, {"fixed": "junk!"}])),
        "50",
        True,
        None,
        "an event that is not PEP 440 is left out",
    ),
    (
        record(
            package(
                "demo",
                [
                    {"introduced": "0"},
                    {"fixed": "3.1.1"},
                    {"introduced": "3.1.1"},
                    {"fixed": "3.1.3"},
                ],
            )
        ),
        "3.1.2",
        True,
        "3.1.3",
        "a range fixed and reintroduced at one version goes on through it",
    ),
    (
        record(
            package(
                "demo",
                [
                    {"introduced": "0"},
                    {"fixed": "3.1.1"},
                    {"introduced": "3.1.1"},
                    {"fixed": "3.1.3"},
                ],
            )
        ),
        "3.1.1",
        True,
        "3.1.3",
        "the version where it restarts is affected",
    ),
    (
        record(package("demo", [{"introduced": "1.0"}, {"fixed": "1.0"}])),
        "1.0",
        False,
        None,
        "introduced and fixed at one version with nothing open: nothing affected",
    ),
    (
        record(package("demo", [{"introduced": "1.0"}, {"last_affected": "1.0"}])),
        "1.0",
        True,
        None,
        "introduced and last_affected at one version: that version alone",
    ),
    (
        record(package("demo", [{"introduced": "0"}, {"fixed": "1.0"}])),
        "0a1",
        True,
        "1.0",
        "introduced 0 covers pre-releases of 0 too",
    ),
    (
        record(package("DeMo", INTRODUCED_FIXED)),
        "1.5",
        True,
        "2.0",
        "project names compare PEP 503 normalized",
    ),
    (record(package("other", INTRODUCED_FIXED)), "1.5", False, None, "another project"),
    (
        {**record(package("demo", INTRODUCED_FIXED)), "withdrawn": "2024-02-01T00:00:00Z"},
        "1.5",
        False,
        None,
        "a withdrawn record affects nothing",
    ),
    (
        record({"package": {"ecosystem": "npm", "name": "demo"}, "versions": ["1.5"]}),
        "1.5",
        False,
        None,
        "another ecosystem",
    ),
    (
        record(
            {
                **package("demo"),
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "r",
                        "events": [{"introduced": "abc"}, {"fixed": "def"}],
                    }
                ],
            }
        ),
        "1.5",
        False,
        None,
        "GIT ranges are commits, not versions",
    ),
]


@pytest.mark.parametrize(("document", "version", "affected", "fixed", "reason"), CASES)
def test_which_versions_a_record_affects(
    document: dict[str, Any], version: str, affected: bool, fixed: str | None, reason: str
) -> None:
    advisory = parse_advisory(document)
    assert affects(advisory, "demo", version) is affected, reason
    assert fixed_in(advisory, "demo", version) == fixed, reason


def test_a_record_parses_to_what_a_report_shows() -> None:
    advisory = parse_advisory(
        {
            "id": "MAL-2024-1",
            "modified": "2024-06-28T02:48:11.426250475Z",
            "published": "2024-06-25T13:32:04",
            "aliases": ["GHSA-xxxx"],
            "details": "\n\nFirst line of the details.\nMore.",
            "affected": [package("Evil.Pkg", versions=["1.0"])],
            "references": [{"type": "WEB", "url": "https://example.org/a"}, {"type": "WEB"}],
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}, {"type": "X"}],
        }
    )
    assert isinstance(advisory, Advisory)
    assert advisory.malicious
    assert advisory.summary == "First line of the details."
    assert advisory.projects == frozenset({"evil-pkg"})
    assert advisory.modified.isoformat() == "2024-06-28T02:48:11.426250+00:00"
    assert advisory.published is not None
    assert advisory.published.tzinfo is not None
    assert (advisory.aliases, advisory.references) == (("GHSA-xxxx",), ("https://example.org/a",))
    assert advisory.severity == ("CVSS:3.1/AV:N",)
    assert fixed_in(advisory, "evil-pkg", "2.0") is None
    assert affects(advisory, "Evil_Pkg", "1.0"), "the caller's name is normalized too"


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"modified": "2024-01-01T00:00:00Z"}, "without a valid `id`"),
        ({"id": "X-1"}, "X-1: no `modified` timestamp"),
        ({"id": "X-1", "modified": "yesterday"}, "`modified` is not a timestamp"),
        ({"id": "X-1", "modified": "2024-01-01", "affected": {"a": 1}}, "`affected` is not a list"),
        ({"id": "X-1", "modified": "2024-01-01", "affected": ["x"]}, "has no package"),
        ({"id": "X-1", "modified": "2024-01-01", "aliases": "GHSA"}, "`aliases` is not a list"),
        (record({**package(), "ranges": [{"type": "ECOSYSTEM"}]}), "no list of events"),
        (
            record(
                {**package(), "ranges": [{"type": "ECOSYSTEM", "events": [{"a": "1", "b": "2"}]}]}
            ),
            "not one kind and one version",
        ),
        (
            record({**package(), "ranges": [{"type": "ECOSYSTEM", "events": [{"fixd": "1"}]}]}),
            "unknown range event 'fixd'",
        ),
    ],
)
def test_a_malformed_record_is_one_clear_error(document: dict[str, Any], says: str) -> None:
    with pytest.raises(OsvError, match=says.replace("(", r"\(")):
        parse_advisory(document)


def test_a_package_without_a_name_is_skipped() -> None:
    advisory = parse_advisory(record({"package": {"ecosystem": "PyPI"}}))
    assert advisory.affected == ()


def _records(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        return [json.loads(archive.read(name)) for name in archive.namelist()]


@pytest.mark.parametrize("dump", ["osv-pypi-pysec.zip", "osv-pypi-malicious-dev.zip"])
def test_every_real_record_parses(dump: str) -> None:
    documents = _records(DATA / dump)
    advisories = [parse_advisory(d) for d in documents]
    assert len(advisories) == len(documents)
    assert {a.malicious for a in advisories} == {dump.startswith("osv-pypi-malicious")}
    withdrawn = sum(1 for d in documents if d.get("withdrawn"))
    assert sum(1 for a in advisories if a.withdrawn is not None) == withdrawn
    # Every listed version of a record that is not withdrawn is affected by it.
    for advisory in advisories[:300]:
        for entry in advisory.affected:
            for version in entry.versions[:5]:
                assert affects(advisory, entry.project, version) is (advisory.withdrawn is None)


def test_exposure_of_pinned_and_unpinned_dependencies() -> None:
    vulnerable = parse_advisory(record(package("demo", INTRODUCED_FIXED)))
    malware = parse_advisory({**record(package("demo", versions=["6.6"])), "id": "MAL-0000-9"})
    withdrawn = parse_advisory(
        {
            **record(package("demo", [{"introduced": "0"}])),
            "id": "PYSEC-0000-3",
            "withdrawn": "2024-01-02T00:00:00Z",
        }
    )
    other = parse_advisory({**record(package("other", [{"introduced": "0"}])), "id": "GHSA-o"})
    advisories = [vulnerable, malware, withdrawn, other]
    pinned = exposure(advisories, "Demo", "1.5")
    assert (pinned.vulnerabilities, pinned.malicious, pinned.unchecked) == (
        ((vulnerable, "2.0"),),
        (),
        0,
    )
    assert exposure(advisories, "demo", "6.6").malicious == (malware,)
    unpinned = exposure(advisories, "demo", None)
    assert (unpinned.vulnerabilities, unpinned.malicious, unpinned.unchecked) == ((), (malware,), 1)


def test_the_ranges_of_real_records_cover_the_versions_they_list() -> None:
    """PYSEC records give both ranges and the versions list they expand to: the ranges alone
    must affect every PEP 440 version listed. Three records contradict themselves (a listed
    version outside every range); a matcher that mishandled restarted or chained ranges missed
    many more."""
    contradicting = set()
    for document in _records(DATA / "osv-pypi-pysec.zip"):
        advisory = parse_advisory(document)
        for entry in advisory.affected:
            listed = [v for v in map(parse_version, entry.versions) if v is not None]
            outside = [v for v in listed if not any(r.contains(v) for r in entry.ranges)]
            if entry.ranges and advisory.withdrawn is None and outside:
                contradicting.add(advisory.id)
    assert len(contradicting) <= 3, sorted(contradicting)
