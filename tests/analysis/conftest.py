"""A small, hand-written corpus: real popular names at realistic download counts, padded with
filler so that ranks (top 100 / 1,000 / 5,000) mean what they mean in the real list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analysis import AnalysisContext, Corpus, NameIndex, build_index, parse_corpus

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

POPULAR = {
    "boto3": 1_184_000_000,
    "urllib3": 688_000_000,
    "requests": 614_000_000,
    "python-dateutil": 502_000_000,
    "six": 439_000_000,
    "numpy": 346_000_000,
    "pyyaml": 320_000_000,
    "attrs": 255_000_000,
    "colorama": 200_000_000,
    "pyjwt": 166_000_000,
    "pytest": 146_000_000,
    "tqdm": 126_000_000,
    "beautifulsoup4": 124_000_000,
    "pillow": 117_000_000,
    "flask": 88_000_000,
    "scikit-learn": 78_000_000,
    "matplotlib": 69_000_000,
    "isort": 50_000_000,
    "pymongo": 38_000_000,
    "pytest-mock": 29_000_000,
    "cattrs": 26_000_000,
    "django": 18_000_000,
    "opencv-python": 14_000_000,
    "mypy-boto3-s3": 13_000_000,
    "python-jose": 11_000_000,
    "boto": 6_200_000,
    "mypy-boto3-sqs": 4_800_000,
    "pytest-django": 4_700_000,
    "jwt": 2_200_000,
    "mypy-boto3-ses": 840_000,
    "mypy-boto3-sns": 760_000,
    "urllib2": 500_000,
    "grequests": 330_000,
    "rarepackage": 120_000,
    "lowrankpkg": 45_000,
    "deeprankpkg": 41_000,
    "obscurelib": 20_000,
}
RANK_100 = 100
RANK_5000 = 5000


def _rows() -> list[dict[str, object]]:
    rows = [{"project": name, "download_count": count} for name, count in POPULAR.items()]
    # Filler keeps the real names at realistic ranks: names under 9M downloads rank 100-1,000,
    # rarepackage ranks about 2,100, lowrankpkg about 6,000 (beyond the top 5,000) and
    # deeprankpkg about 11,000 (beyond RISING).
    bands = (
        (100, 10_000_000, 9_000_000),
        (2000, 200_000, 150_000),
        (4000, 100_000, 40_000),
        (5000, 43_000, 41_500),
    )
    for band, (count, high, low) in enumerate(bands):
        step = (high - low) // count
        rows += [
            {"project": f"zz-filler-{band}-{i:05d}", "download_count": high - i * step}
            for i in range(count)
        ]
    return rows


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return parse_corpus({"rows": _rows(), "last_update": "2026-11-01 00:00:00", "source": "test"})


@pytest.fixture(scope="session")
def index(corpus: Corpus) -> NameIndex:
    return build_index(corpus)


@pytest.fixture
def context(index: NameIndex) -> AnalysisContext:
    return AnalysisContext(now=NOW, index=index)
