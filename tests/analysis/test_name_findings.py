"""Name matches become findings whose summary says what changed, against what, how popular."""

from __future__ import annotations

import pytest

from analysis import NameIndex, match_name
from analysis.model import Severity
from analysis.names.findings import describe, match_finding, name_findings

# (candidate, words the summary must contain)
DESCRIPTIONS = [
    ("pythondateutil", "once separators"),
    ("rnatplotlib", "rn/m"),
    ("reqests", "omits the 'u' of requests"),
    ("requestss", "repeats the 's' of requests"),
    ("requestsa", "inserts 'a' into requests"),
    ("rwquests", "has 'w' for the 'e' of requests (keyboard-adjacent)"),
    ("reqeusts", "swaps 'ue' in requests"),
    ("dateutil-python", "reorders the words of python-dateutil"),
    ("python-requests", "python/py in requests"),
    ("requests2", "adds version 2 to requests"),
    ("requests-utils", "adds 'utils' to requests"),
    ("secure-requests", "adds 'secure' to requests"),
    ("cv2", "is the import name of opencv-python"),
    ("reqeustss", "is two edits from requests"),
    ("yamll", "repeats the 'l' of yaml, the import name of pyyaml"),
]


@pytest.mark.parametrize(("name", "words"), DESCRIPTIONS)
def test_describe(index: NameIndex, name: str, words: str) -> None:
    assert words in describe(match_name(name, index)[0])


def test_finding_carries_evidence_and_fingerprint(index: NameIndex) -> None:
    finding = match_finding(match_name("reqeusts", index)[0])
    assert finding.severity is Severity.LOW
    assert (finding.target, finding.fingerprint) == ("requests", "requests")
    assert finding.evidence["rule"] == finding.check_id == "typosquat.swapped-chars"
    assert "614,000,000 downloads a month" in finding.summary


def test_weak_match_is_info(index: NameIndex) -> None:
    finding = match_finding(match_name("urllib2", index)[0])
    assert finding.severity is Severity.INFO


def test_name_findings(index: NameIndex) -> None:
    assert next(f.target for f in name_findings("reqeusts", index)) == "requests"
    assert name_findings("requests", index) == ()
