"""Synthetic PyPI traffic: a realistic mix of ordinary releases, typosquats and suspicious uploads.

`populate` fills a stand-in at once (a benchmark's "PyPI day"); `UploadSimulator` keeps publishing
over time (the demo). Ground truth goes to `pypi.labels[(normalized, version)]`:
"typosquat:<target>", "suspicious" or "benign". Seeded by `seed`: same seed, same traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analysis.names import normalize
from standin.pypi import StandInPyPI, utc_now
from standin.state import RegistryError
from standin.traffic import FollowUp, Plan, PlanMaker

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Mix:
    """How often each kind of upload and later event happens, per release."""

    typosquat: float = 0.03
    suspicious: float = 0.05
    new_project: float = 0.15  # share of ordinary releases that start a project
    late_file: float = 0.03  # a file added to an old release hours later
    yank: float = 0.008
    remove_release: float = 0.004
    remove_file: float = 0.003
    role_change: float = 0.02
    quarantine_bad: float = 0.3  # share of typosquats and suspicious projects PyPI quarantines
    backwards: float = 0.02  # timestamp earlier than the row before it (transaction start time)
    seed_popular: int = 25  # popular projects published first, so squats can copy their summary

    @classmethod
    def demo(cls) -> Mix:
        """Bad uploads often enough that a person watching sees findings every few seconds."""
        return cls(typosquat=0.2, suspicious=0.15, new_project=0.3, quarantine_bad=0.15)


@dataclass(frozen=True, slots=True)
class Population:
    """What `populate` did."""

    releases: int
    events: int
    projects: int
    labels: Mapping[str, int]  # "typosquat" / "suspicious" / "benign" -> releases


@dataclass(slots=True)
class _Timeline:
    """Follow-up events waiting for their time, in time order."""

    queue: list[tuple[datetime, int, FollowUp]] = field(default_factory=list)
    _seq: int = 0

    def push(self, when: datetime, follow_up: FollowUp) -> None:
        self._seq += 1
        heapq.heappush(self.queue, (when, self._seq, follow_up))

    def due(self, now: datetime) -> list[FollowUp]:
        ready = []
        while self.queue and self.queue[0][0] <= now:
            ready.append(heapq.heappop(self.queue)[2])
        return ready


class TrafficModel:
    """Turns plans into stand-in mutations and labels; shared by `populate` and the simulator."""

    def __init__(
        self, pypi: StandInPyPI, popular: Sequence[str], rng: random.Random, mix: Mix
    ) -> None:
        self.pypi, self.rng, self.mix = pypi, rng, mix
        self.maker = PlanMaker(rng, popular, mix_probabilities(mix), existing=_existing(pypi))
        self.timeline = _Timeline()
        self.published = 0
        self.labels: Counter[str] = Counter()  # label kind -> releases published here

    def seed(self, when: datetime) -> None:
        for plan in self.maker.popular_plans(self.mix.seed_popular, self.pypi):
            self._publish(plan, when)

    def step(self, when: datetime) -> None:
        """Run the follow-ups now due, then publish one upload."""
        self.run_due(when)
        self._publish(self.maker.next_plan(), when)

    def run_due(self, now: datetime) -> None:
        for follow_up in self.timeline.due(now):
            # Its target may have been removed meanwhile, as happens on PyPI.
            with contextlib.suppress(RegistryError):
                follow_up.apply(self.pypi)

    def _publish(self, plan: Plan, when: datetime) -> None:
        stamp = when
        if self.rng.random() < self.mix.backwards:
            stamp = when - timedelta(seconds=self.rng.uniform(1, 180))
        plan.upload.apply(self.pypi, stamp)
        key = (normalize(plan.upload.name), plan.upload.version)
        self.pypi.labels[key] = plan.label
        self.labels[plan.label.split(":")[0]] += 1
        if plan.detail:
            self.pypi.label_details[key] = plan.detail
        self.published += 1
        for delay, follow_up in plan.follow_ups:
            self.timeline.push(when + delay, follow_up.at(when + delay))


def mix_probabilities(mix: Mix) -> dict[str, float]:
    return {
        "typosquat": mix.typosquat,
        "suspicious": mix.suspicious,
        "new_project": mix.new_project,
        "late_file": mix.late_file,
        "yank": mix.yank,
        "remove_release": mix.remove_release,
        "remove_file": mix.remove_file,
        "role_change": mix.role_change,
        "quarantine_bad": mix.quarantine_bad,
    }


def _existing(pypi: StandInPyPI) -> list[tuple[str, str, str]]:
    """(display name, newest version, label) of projects already there, for new versions."""
    found = []
    for project in pypi.registry.projects.values():
        if project.releases:
            version = list(project.releases)[-1]
            label = pypi.labels.get((project.normalized, version), "benign")
            found.append((project.name, version, label))
    return found


def populate(
    pypi: StandInPyPI,
    *,
    seed: int,
    releases: int,
    popular: Sequence[str],
    start: datetime,
    span: timedelta,
    mix: Mix | None = None,
) -> Population:
    """Publish `releases` uploads with times spread over [start, start + span], instantly."""
    rng = random.Random(seed)  # noqa: S311 - reproducible traffic, not secrets
    model = TrafficModel(pypi, popular, rng, mix or Mix())
    events_before, projects_before = len(pypi.registry.journal), len(pypi.registry.projects)
    model.seed(start)
    remaining = max(0, releases - model.published)
    moments = sorted(rng.random() for _ in range(remaining))
    for fraction in moments:
        model.step(start + span * fraction)
    model.run_due(start + span)
    return Population(
        releases=model.published,
        events=len(pypi.registry.journal) - events_before,
        projects=len(pypi.registry.projects) - projects_before,
        labels=dict(model.labels),
    )


class UploadSimulator:
    """Keeps publishing uploads at a steady average rate; clock and sleep are injectable."""

    def __init__(
        self,
        popular: Sequence[str],
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Sleep = asyncio.sleep,
        mix: Mix | None = None,
    ) -> None:
        self.popular = list(popular)
        self.clock = clock or utc_now
        self.sleep = sleep
        self.mix = mix or Mix.demo()
        self.published = 0

    async def run(
        self,
        pypi: StandInPyPI,
        *,
        rate_per_minute: float,
        duration: float | timedelta | None = None,
        seed: int,
    ) -> int:
        """Publish until `duration` (seconds) has passed on the clock, or forever.

        Returns how many uploads this run published (not counting the popular projects seeded
        first); `self.published` keeps the total over runs.
        """
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        rng = random.Random(seed)  # noqa: S311 - reproducible traffic, not secrets
        model = TrafficModel(pypi, self.popular, rng, self.mix)
        limit = duration.total_seconds() if isinstance(duration, timedelta) else duration
        started = self.clock()
        model.seed(started)
        seeded = model.published
        while limit is None or (self.clock() - started).total_seconds() < limit:
            model.step(self.clock())
            self.published += 1
            await self.sleep(rng.expovariate(rate_per_minute / 60.0))
        return model.published - seeded
