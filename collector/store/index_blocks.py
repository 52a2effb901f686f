"""The vetted index's blocks in the store: written in batches by the index, read by Health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from collector.index.blocks import BlockCount
from collector.store import PgConnection

_SAVE = """
INSERT INTO index_blocks (hour, project, version, rule, kind, count, last_at)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::bigint[], $7::timestamptz[])
ON CONFLICT (hour, project, version, rule, kind) DO UPDATE
SET count = index_blocks.count + excluded.count,
    last_at = greatest(index_blocks.last_at, excluded.last_at)
"""


async def save_blocks(conn: PgConnection, counts: Sequence[BlockCount]) -> None:
    """Add a batch of tallies to the stored counts, in one statement."""
    if not counts:
        return
    blocks = [c.block for c in counts]
    await conn.execute(
        _SAVE,
        [b.hour for b in blocks],
        [b.project for b in blocks],
        [b.version for b in blocks],
        [b.rule for b in blocks],
        [b.kind for b in blocks],
        [c.count for c in counts],
        [c.last_at for c in counts],
    )


@dataclass(frozen=True, slots=True)
class BlockedRelease:
    project: str
    version: str | None
    rule: str
    kind: str
    count: int
    last_at: datetime


_RECENT = """
SELECT project, version, rule, kind, sum(count)::bigint AS count, max(last_at) AS last_at
FROM index_blocks
WHERE hour >= date_trunc('hour', $1::timestamptz)
GROUP BY project, version, rule, kind
ORDER BY max(last_at) DESC, project, version
"""


async def fetch_recent_blocks(conn: PgConnection, since: datetime) -> list[BlockedRelease]:
    """What the index kept out from the hour of `since` on, one row per release, rule and kind,
    the latest first."""
    return [BlockedRelease(**dict(row)) for row in await conn.fetch(_RECENT, since)]
