"""Reading the policy file named by --policy (PYPI_SENTINEL_POLICY): one clear error per problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

from analysis.errors import PolicyError
from analysis.policy import Policy, parse_policy
from collector.errors import UsageError


def load_policy(path: Path | None) -> Policy | None:
    """The policy in `path` (None: no policy); a file that is missing, not TOML or wrong in a key
    is a usage error that names the file and the key."""
    if path is None:
        return None
    try:
        document = tomllib.loads(path.read_text())
    except OSError as exc:
        raise UsageError(f"--policy {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--policy {path}: not TOML: {exc}") from exc
    try:
        return parse_policy(document)
    except PolicyError as exc:
        raise UsageError(f"--policy {path}: {exc}") from exc
