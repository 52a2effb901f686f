"""Licences to SPDX, from the shapes real PyPI metadata has (License-Expression, the License
field, Trove classifiers); what cannot be mapped without guessing stays text, marked unknown."""

from __future__ import annotations

import pytest

from analysis.licences import normalize_licence

MIT = ("License :: OSI Approved :: MIT License",)
APACHE = ("License :: OSI Approved :: Apache Software License",)
BSD = ("License :: OSI Approved :: BSD License",)

# (License-Expression, License, classifiers, SPDX or None, source, reason)
CASES = [
    ("MIT", "", (), "MIT", "expression", "PEP 639 expression"),
    ("mit or apache-2.0", "", (), "MIT OR Apache-2.0", "expression", "normalised case"),
    ("LicenseRef-Proprietary", "", (), "LicenseRef-Proprietary", "expression", "a reference"),
    ("not spdx at all", "MIT", (), None, "expression", "an invalid expression is not guessed"),
    ("", "MIT", (), "MIT", "license", "the field holds an SPDX id"),
    ("", "MIT License", (), "MIT", "license", "a spelling of one licence"),
    ("", "MIT Licence", (), "MIT", "license", "British spelling"),
    ("", "The MIT License (MIT)", (), "MIT", "license", "the long spelling"),
    (
        "",
        "MIT License\r\n\r\nCopyright (c) 2024 someone\n",
        (),
        "MIT",
        "license",
        "a whole licence text: its first line",
    ),
    ("", "Apache 2.0", APACHE, "Apache-2.0", "license", "Apache spelled loosely"),
    ("", "Apache License, Version 2.0", (), "Apache-2.0", "license", "Apache's own title"),
    ("", "BSD-3-Clause", (), "BSD-3-Clause", "license", "SPDX in the field"),
    ("", "GPL-3.0-or-later", (), "GPL-3.0-or-later", "license", "SPDX in the field"),
    ("", "BSD", BSD, None, "license", "BSD names a family: which one is unknown"),
    ("", "GPL", (), None, "license", "GPL without a version is not one licence"),
    ("", "Proprietary", (), None, "license", "not an SPDX licence"),
    ("", "UNKNOWN", MIT, "MIT", "classifier", "setuptools' UNKNOWN falls to the classifiers"),
    ("", "", MIT, "MIT", "classifier", "a classifier alone"),
    ("", "", MIT + APACHE, "Apache-2.0 OR MIT", "classifier", "two classifiers: a choice"),
    ("", "", BSD, None, "classifier", "a family classifier stays unknown"),
    (
        "",
        "",
        ("License :: Public Domain",),
        "LicenseRef-Public-Domain",
        "classifier",
        "public domain has no SPDX id",
    ),
    ("", "", ("Programming Language :: Python",), None, "none", "no licence said at all"),
]


@pytest.mark.parametrize(("expression", "field", "classifiers", "spdx", "source", "reason"), CASES)
def test_licences_from_real_metadata_shapes(
    expression: str,
    field: str,
    classifiers: tuple[str, ...],
    spdx: str | None,
    source: str,
    reason: str,
) -> None:
    licence = normalize_licence(expression, field, classifiers)
    assert (licence.spdx, licence.source) == (spdx, source), reason
    assert licence.known is (spdx is not None)
    assert "\n" not in licence.text
