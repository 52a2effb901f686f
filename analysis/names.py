"""Project-name normalization: PEP 503, as pip and PyPI key projects."""

from __future__ import annotations

from packaging.utils import canonicalize_name


def normalize(name: str) -> str:
    """PEP 503: lower case, runs of '-', '_' and '.' become one '-'."""
    return str(canonicalize_name(name))
