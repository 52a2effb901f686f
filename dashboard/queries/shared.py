"""What the dashboard's queries share: the pool, the verdict rows, severities, DataFrames."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import pandas as pd

from collector.alerts.model import AGGREGATE_CHECK

Pool = asyncpg.Pool

RELEASE_CHECK = AGGREGATE_CHECK  # one aggregate finding per flagged release: its verdict
# Written into the SQL (not a parameter) so the planner can use the partial index on verdicts.
IS_VERDICT = f"check_id = '{RELEASE_CHECK}'"
SEVERITIES = ("info", "low", "medium", "high", "critical")


def frame(rows: Sequence[asyncpg.Record], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as a DataFrame with these columns, in this order (none: an empty frame)."""
    return pd.DataFrame([tuple(row[c] for c in columns) for row in rows], columns=list(columns))
