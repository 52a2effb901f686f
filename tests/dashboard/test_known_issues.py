"""The release page's known vulnerabilities and licence: the stored OSV records that affect its
version, matched as `audit` matches a pin, and its licence normalised to SPDX with its source."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import MakeApp
from tests.dashboard.seed import Seeded, seed_osv
from tests.dashboard.test_pages import no_errors


def texts(at: AppTest) -> list[str]:
    return [str(el.value) for el in [*at.text, *at.caption, *at.markdown]]


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one table with this column."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def test_the_release_page_lists_the_records_that_affect_its_version(
    make_app: MakeApp, osv: Seeded
) -> None:
    at = make_app("views/release.py", query={"release": str(osv.ids["requests 2.32.3"])})
    no_errors(at)
    assert "Known vulnerabilities and licence" in [s.value for s in at.subheader]
    records = table(at, "kind")
    assert records.to_dict("records") == [
        {
            "record": "https://osv.dev/vulnerability/PYSEC-2099-1",
            "kind": "vulnerability",
            "aliases": "CVE-2099-0001, GHSA-aaaa-bbbb-cccc",
            "summary": "Proxy credentials leak on redirect",
            "fixed_in": "2.32.4",
        }
    ]
    shown = texts(at)
    assert "1 other OSV record(s) name this project but not this version." in shown
    # the seeded release's JSON page says License: MIT, and nothing else
    assert "MIT" in shown
    assert "from the License field" in shown


def test_known_malware_is_an_error_on_the_release_page(make_app: MakeApp, osv: Seeded) -> None:
    at = make_app("views/release.py", query={"release": str(osv.ids["reqeusts 1.0.0"])})
    assert not at.exception
    (error,) = [str(e.value) for e in at.error]
    assert error.startswith("**Known malicious.** OSV record ` MAL-2099-3 `")
    (row,) = table(at, "kind").to_dict("records")
    assert (row["record"], row["kind"]) == (
        "https://osv.dev/vulnerability/MAL-2099-3",
        "known malicious",
    )


@pytest.mark.parametrize(
    ("metadata", "licence", "source"),
    [
        ('{"license_expression": "apache-2.0 OR mit"}', "Apache-2.0 OR MIT", "License-Expression"),
        (
            '{"license": "Proprietary; ask us"}',
            "not SPDX: Proprietary; ask us",
            "the License field",
        ),
        ('{"classifiers": ["License :: OSI Approved :: MIT License"]}', "MIT", "Trove classifiers"),
        ("{}", "none given", "nothing in the metadata"),
    ],
    ids=["expression", "free-text", "classifier", "nothing"],
)
def test_the_licence_and_where_it_comes_from(
    make_app: MakeApp, seeded: Seeded, database_url: str, metadata: str, licence: str, source: str
) -> None:
    seed_osv(
        database_url,
        f"""UPDATE releases SET metadata = jsonb_set(metadata, '{{metadata}}', '{metadata}')
            WHERE project = 'numpy'""",
    )
    at = make_app("views/release.py", query={"release": str(seeded.ids["numpy 2.0.0"])})
    no_errors(at)
    shown = texts(at)
    assert licence in shown
    assert f"from {source}" in shown
    assert "No OSV record names this project." in shown


def test_without_osv_records_the_page_says_how_to_get_them(
    make_app: MakeApp, seeded: Seeded
) -> None:
    at = make_app("views/release.py", query={"release": str(seeded.ids["requests 2.32.3"])})
    no_errors(at)
    assert "No OSV records are stored: `pypi-sentinel osv sync` fetches them." in texts(at)
    assert not any("kind" in d.value.columns for d in at.dataframe)
