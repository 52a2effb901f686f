"""A release's licence as an SPDX expression, from what its metadata says, best source first.

PEP 639's `License-Expression` is SPDX already (normalised by `packaging.licenses`, the library
that implements the PEP, so no second licence database is needed). Older releases say it in the
free-text `License` field or in Trove classifiers; those are mapped when they name one licence
unambiguously ("MIT", "Apache 2.0", "License :: OSI Approved :: MIT License"), and otherwise the
text is kept as it is and marked unknown: a policy must not guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

Source = Literal["expression", "license", "classifier", "none"]

# Trove licence classifiers that name exactly one SPDX licence (the rest, "BSD License",
# "GNU General Public License (GPL)", say a family, not a licence).
CLASSIFIERS = {
    "Apache Software License": "Apache-2.0",
    "Academic Free License (AFL)": "AFL-3.0",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "ISC License (ISCL)": "ISC",
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "Public Domain": "LicenseRef-Public-Domain",
    "SIL Open Font License 1.1 (OFL-1.1)": "OFL-1.1",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "zlib/libpng License": "Zlib",
}
# Free-text spellings of one licence seen in the `License` field, lower-cased, spaces collapsed.
SPELLINGS = {
    "apache": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache license": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache2": "Apache-2.0",
    "bsd 3-clause": "BSD-3-Clause",
    "bsd 3-clause license": "BSD-3-Clause",
    "bsd-3": "BSD-3-Clause",
    "gplv2": "GPL-2.0-only",
    "gplv3": "GPL-3.0-only",
    "lgplv3": "LGPL-3.0-only",
    "mit license": "MIT",
    "new bsd": "BSD-3-Clause",
    "new bsd license": "BSD-3-Clause",
    "psf": "PSF-2.0",
    "public domain": "LicenseRef-Public-Domain",
    "the mit license (mit)": "MIT",
}
_CLASSIFIER_PREFIX = re.compile(r"^License :: (?:OSI Approved :: )?")
MAX_SHOWN = 80  # a whole licence text pasted into the field is shown by its first line


@dataclass(frozen=True, slots=True)
class Licence:
    """What a release is licensed under: SPDX when known, else the text it gave."""

    spdx: str | None
    source: Source
    text: str  # as the metadata said it (the first line of a long text)

    @property
    def known(self) -> bool:
        return self.spdx is not None


def normalize_licence(expression: str, field: str, classifiers: Sequence[str]) -> Licence:
    """License-Expression first, then the License field, then licence classifiers."""
    if expression.strip():
        return Licence(_spdx(expression), "expression", expression.strip())
    text = _first_line(field)
    from_field = (_spdx(text) or SPELLINGS.get(_folded(text))) if text else None
    if from_field is not None:
        return Licence(from_field, "license", text)
    named = [_CLASSIFIER_PREFIX.sub("", c) for c in classifiers if c.startswith("License ::")]
    known = [CLASSIFIERS[name] for name in named if name in CLASSIFIERS]
    if named and len(known) == len(named):  # one licence each: several mean a choice (OR)
        return Licence(" OR ".join(sorted(set(known))), "classifier", "; ".join(named))
    if text:
        return Licence(None, "license", text)
    return Licence(None, "classifier", "; ".join(named)) if named else Licence(None, "none", "")


def _spdx(text: str) -> str | None:
    try:
        return canonicalize_license_expression(text)
    except InvalidLicenseExpression:
        return None


def _first_line(field: str) -> str:
    line = next((ln.strip() for ln in field.splitlines() if ln.strip()), "")
    return line[:MAX_SHOWN]


def _folded(text: str) -> str:
    return " ".join(text.lower().replace("licence", "license").split())
