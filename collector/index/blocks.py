"""What the index kept out, tallied per hour in memory and written to the store in batches.

The index answers from memory and a few reads; a write per blocked release on every page would
put the store on the hot path. The tally is flushed every few seconds instead (and at stop), so
the Health page, in another process, sees what /metrics sees, at most a flush late.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

BlockKind = Literal["listing", "download"]  # left off a page built / a file refused with 403


@dataclass(frozen=True, slots=True)
class Block:
    hour: datetime
    project: str
    version: str | None  # None: a file whose version cannot be read from its name
    rule: str
    kind: BlockKind


@dataclass(frozen=True, slots=True)
class BlockCount:
    block: Block
    count: int
    last_at: datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


class BlockTally:
    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self.counts: Counter[Block] = Counter()
        self.last: dict[Block, datetime] = {}

    def add(self, project: str, version: str | None, rule: str, kind: BlockKind) -> None:
        now = self.clock()
        block = Block(now.replace(minute=0, second=0, microsecond=0), project, version, rule, kind)
        self.counts[block] += 1
        self.last[block] = now

    def take(self) -> list[BlockCount]:
        """Everything tallied since the last take, emptied out of the tally."""
        taken = [BlockCount(b, n, self.last[b]) for b, n in self.counts.items()]
        self.counts.clear()
        self.last.clear()
        return taken

    def give_back(self, counts: list[BlockCount]) -> None:
        """A flush that failed: its counts join the next one rather than being lost."""
        for item in counts:
            self.counts[item.block] += item.count
            self.last[item.block] = max(item.last_at, self.last.get(item.block, item.last_at))
