"""Exponential backoff, the one rule every retry in the program waits by.

HTTP retries (`with_retries`), a release job's retries, a failing source's skipped ticks and
an alert channel's redeliveries all wait base, base*factor, base*factor², ... up to `cap`; a job
adds jitter so that a thousand releases failing together do not come back together. Randomness
and the clock are passed in, so a test decides them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 4  # tries in all, where the caller counts them
    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    jitter: float = 0.0  # a delay is moved by up to this fraction either way

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failure number `attempt` (1: the first)."""
        delay = float(min(self.cap, self.base * self.factor ** max(0, attempt - 1)))
        if self.jitter:
            delay *= 1.0 - self.jitter + 2.0 * self.jitter * rand()
        return delay
