"""A release's findings are unique by (check, fingerprint): the store holds one row per pair, and
Postgres refuses an upsert that touches a row twice. Checked on generated releases."""

from __future__ import annotations

import random
from collections import Counter

from analysis import AnalysisContext
from analysis.assess import assess_release
from analysis.model import Finding, Severity
from analysis.scoring import combine
from tests.analysis.test_metadata import release

ADDRESSES = [
    "a@gmail.com",
    "b@gmail.com",
    "x@yahoo.com",
    "me@example.com",
    "t@mailinator.com",
    "dev@company.example",
    "",
    "c@GMAIL.com",
    "d@outlook.com",
]
NAMES = ["some-new-tool", "reqeusts", "requests-tool", "numpyy", "my-lib", "djangoo"]
HOMES = [
    "",
    "https://github.com/psf/requests",
    "https://github.com/pypa/sampleproject",
    "https://example.dev/tool",
]
DEPENDENCIES = [(), ("reqeusts",), ("requests", "reqeusts", "reqeusts>=1"), ("numpyy", "numpyy")]


def test_two_addresses_at_one_free_domain_are_one_finding(context: AnalysisContext) -> None:
    snapshot = release(author_email="a@gmail.com, b@gmail.com", maintainer_email="c@gmail.com")
    found = [
        f for f in assess_release(snapshot, context).findings if f.check_id == "metadata.free-email"
    ]
    assert len(found) == 1
    assert found[0].fingerprint == "gmail.com"


def test_generated_releases_have_unique_findings(context: AnalysisContext) -> None:
    rng = random.Random(14)
    for _ in range(300):
        snapshot = release(
            project=rng.choice(NAMES),
            version=rng.choice(["0.0.1", "1.0", "2024.11.1", "999.9.9"]),
            author_email=", ".join(rng.sample(ADDRESSES, rng.randint(0, 3))),
            maintainer_email=", ".join(rng.sample(ADDRESSES, rng.randint(0, 2))),
            home_page=rng.choice(HOMES),
            requires_dist=rng.choice(DEPENDENCIES),
        )
        keys = Counter(
            (f.check_id, f.fingerprint) for f in assess_release(snapshot, context).findings
        )
        assert max(keys.values(), default=1) == 1, (snapshot.project, keys.most_common(2))


def test_combine_keeps_the_strongest_of_a_pair() -> None:
    weak = Finding("metadata.free-email", Severity.INFO, 5, "weak", fingerprint="x")
    strong = Finding("metadata.free-email", Severity.LOW, 20, "strong", fingerprint="x")
    other = Finding("metadata.free-email", Severity.INFO, 5, "other", fingerprint="y")
    assert [f.summary for f in combine([weak, other, strong]).findings] == ["strong", "other"]
