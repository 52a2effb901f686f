"""Synthetic traffic: the mix, ground-truth labels, determinism and the live simulator."""

from __future__ import annotations

import io
import itertools
import tarfile
import zipfile
from collections import Counter
from datetime import timedelta

from rapidfuzz.distance import Levenshtein

from analysis.names import normalize
from standin import Mix, StandInPyPI, UploadSimulator, populate
from tests.standin.conftest import START, FakeClock

# A small hand-picked list; the real corpus comes from the caller.
POPULAR = [
    "requests",
    "numpy",
    "django",
    "flask",
    "pandas",
    "boto3",
    "urllib3",
    "python-dateutil",
    "setuptools",
    "pyyaml",
    "scikit-learn",
    "typing-extensions",
    "idna",
    "certifi",
]
SPAN = timedelta(hours=6)


def day(seed: int = 7, releases: int = 1500) -> StandInPyPI:
    pypi = StandInPyPI(clock=lambda: START)
    populate(pypi, seed=seed, releases=releases, popular=POPULAR, start=START, span=SPAN)
    return pypi


def test_counts_and_mix() -> None:
    pypi = StandInPyPI()
    result = populate(pypi, seed=3, releases=1500, popular=POPULAR, start=START, span=SPAN)
    journal = pypi.journal
    assert result.releases == 1500
    assert result.events == len(journal)
    assert 2.5 <= result.events / result.releases <= 3.0
    actions = Counter(e.action.split(" ")[0] for e in journal)
    assert actions["new"] == 1500
    assert actions["create"] == result.projects + sum(
        1 for e in journal if e.action == "remove project"
    )
    kinds = {
        e.action.split(" file ")[0] if " file " in e.action else e.action.split(" ")[0]
        for e in journal
    }
    assert {"add py3", "add source", "create", "new", "project", "remove", "yank"} <= kinds
    assert set(result.labels) == {"benign", "typosquat", "suspicious"}
    assert result.labels["benign"] > 10 * result.labels["typosquat"]


def test_labels_are_ground_truth() -> None:
    pypi = day()
    published = {(normalize(e.name), e.version) for e in pypi.journal if e.action == "new release"}
    assert set(pypi.labels) == published
    popular = set(POPULAR)
    for (name, version), label in pypi.labels.items():
        if label.startswith("typosquat:"):
            target = label.split(":", 1)[1]
            assert target in popular
            assert name != target
            assert name not in popular
            assert pypi.label_details[(name, version)] in {
                "affix",
                "combosquat",
                "omitted-char",
                "repeated-char",
                "separator",
                "substituted-char",
                "swapped-chars",
                "version-suffix",
            }
        elif label == "suspicious":
            assert pypi.label_details[(name, version)]
        elif name not in popular:
            assert label == "benign"
            nearest = min(Levenshtein.distance(name, p) for p in POPULAR)
            assert nearest > 2 or len(name) < 5, name


def test_same_seed_same_traffic() -> None:
    def fingerprint(pypi: StandInPyPI) -> list[tuple[object, ...]]:
        return [(e.name, e.version, e.epoch, e.action, e.serial) for e in pypi.journal]

    first, second, other = (
        day(seed=11, releases=400),
        day(seed=11, releases=400),
        day(seed=12, releases=400),
    )
    assert fingerprint(first) == fingerprint(second)
    assert first.labels == second.labels
    assert fingerprint(first) != fingerprint(other)
    sample = [
        f
        for p in list(first.registry.projects.values())[:30]
        for r in p.releases.values()
        for f in r.files
    ]
    twin = second.registry.files
    assert all(f.blob.sha256 == twin[f.filename].blob.sha256 for f in sample)


def test_times_spread_and_sometimes_go_backwards() -> None:
    journal = day().journal
    stamps = [e.timestamp for e in journal]
    assert min(stamps) >= START - timedelta(minutes=3)
    assert max(stamps) <= START + SPAN
    assert any(later < earlier for earlier, later in itertools.pairwise(stamps))
    assert max(stamps) - min(stamps) > SPAN / 2


def test_generated_files_are_real_archives_and_suspicious_code_is_harmless() -> None:
    pypi = day(releases=600)
    hooks = 0
    for stored in list(pypi.registry.files.values())[:400]:
        data = stored.blob.content
        if stored.filename.endswith(".tar.gz"):
            with tarfile.open(fileobj=io.BytesIO(data)) as sdist:
                setup = next(m for m in sdist.getnames() if m.endswith("/setup.py"))
                code = sdist.extractfile(setup).read().decode()
                hooks += "exec(" in code
                if "exec(" in code:
                    assert "cHJpbnQoMSk=" in code or "7072696e74283129" in code  # print(1)
        else:
            assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert hooks > 0


def test_populate_without_a_corpus_invents_targets() -> None:
    pypi = StandInPyPI()
    result = populate(
        pypi, seed=1, releases=300, popular=[], start=START, span=SPAN, mix=Mix(typosquat=0.2)
    )
    assert result.labels["typosquat"] > 0


async def test_simulator_publishes_at_the_requested_rate() -> None:
    clock = FakeClock()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds=seconds)

    pypi = StandInPyPI(clock=clock)
    simulator = UploadSimulator(POPULAR, clock=clock, sleep=sleep)
    count = await simulator.run(pypi, rate_per_minute=30, duration=600, seed=5)
    assert count == len(waits)
    assert 200 <= count <= 400  # about 300 over ten minutes
    assert 1.5 <= sum(waits) / len(waits) <= 2.5
    labels = Counter(label.split(":")[0] for label in pypi.labels.values())
    assert labels["typosquat"] >= 20  # the demo mix: findings every few seconds
    assert pypi.journal[-1].timestamp <= clock.now
    again = StandInPyPI(clock=FakeClock())
    more = await UploadSimulator(POPULAR, clock=clock, sleep=sleep).run(
        again, rate_per_minute=30, duration=60, seed=5
    )
    assert more > 0


async def test_simulator_continues_a_populated_stand_in() -> None:
    clock = FakeClock(START + SPAN)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    pypi = day(releases=300)
    before = pypi.last_serial
    await UploadSimulator(POPULAR, clock=clock, sleep=sleep).run(
        pypi, rate_per_minute=60, duration=120, seed=9
    )
    fresh = [e for e in pypi.journal if e.serial > before]
    assert fresh
    assert not [
        e for e in fresh if e.action == "create" and normalize(e.name) in POPULAR
    ]  # no re-seeding
