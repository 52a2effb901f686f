"""Plans for synthetic uploads: what to publish, its ground-truth label, and what happens later."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from analysis.names import normalize
from standin import content
from standin.names import NameMaker, invent_popular

if TYPE_CHECKING:
    from standin.pypi import StandInPyPI

SUSPICIOUS_TRAITS = (
    "empty-description",
    "no-urls",
    "disposable-email",
    "zero-version",
    "url-dependency",
    "copied-summary",
    "install-hook",
)


@dataclass(frozen=True, slots=True)
class UploadSpec:
    name: str
    version: str
    files: tuple[str, ...]
    metadata: Mapping[str, Any]
    owner: str
    provenance: Mapping[str, Any] | None = None
    setup_py: str | None = None

    def apply(self, pypi: StandInPyPI, when: datetime) -> None:
        pypi.upload(
            self.name,
            self.version,
            files=self.files,
            metadata=self.metadata,
            owner=self.owner,
            provenance=self.provenance,
            timestamp=when,
            setup_py=self.setup_py,
        )


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A later event on a published release or project."""

    kind: str  # add_file, yank, remove_file, remove_release, add_role, quarantine, remove_project
    name: str
    version: str | None = None
    arg: str = ""  # filename, yank reason or user
    when: datetime | None = None

    def at(self, when: datetime) -> FollowUp:
        return replace(self, when=when)

    def apply(self, pypi: StandInPyPI) -> None:
        name, version, arg, when = self.name, self.version or "", self.arg, self.when
        match self.kind:
            case "add_file":
                pypi.add_file(name, version, arg, timestamp=when)
            case "yank":
                pypi.yank(name, version, arg, timestamp=when)
            case "remove_file":
                pypi.remove_file(name, version, arg, timestamp=when)
            case "remove_release":
                pypi.remove_release(name, version, timestamp=when)
            case "add_role":
                pypi.add_role(name, "Maintainer", arg, timestamp=when)
            case "quarantine":
                pypi.quarantine_project(name, timestamp=when)
            case "remove_project":
                pypi.remove_project(name, timestamp=when)
            case _:
                raise ValueError(f"unknown follow-up {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Plan:
    upload: UploadSpec
    label: str  # typosquat:<target> | suspicious | benign
    detail: str = ""  # the typosquat technique, or the suspicious traits
    follow_ups: tuple[tuple[timedelta, FollowUp], ...] = ()


@dataclass(slots=True)
class _Known:
    """An ordinary project that may publish again."""

    name: str
    version: str
    owner: tuple[str, str, str]
    provenance: Mapping[str, Any] | None


@dataclass(slots=True)
class PlanMaker:
    rng: random.Random
    popular: Sequence[str]
    p: Mapping[str, float]
    existing: Sequence[tuple[str, str, str]] = ()  # (name, version, label) already published
    known: list[_Known] = field(default_factory=list)
    summaries: dict[str, str] = field(default_factory=dict)  # popular normalized -> summary
    names: NameMaker = field(init=False)

    def __post_init__(self) -> None:
        self.popular = [normalize(p) for p in self.popular] or invent_popular(self.rng)
        taken = {normalize(name) for name, _, _ in self.existing}
        self.names = NameMaker(self.rng, self.popular, taken)
        established = set(self.popular)  # popular projects publish rarely; leave them be
        for name, version, label in self.existing:
            if label == "benign" and normalize(name) not in established:
                self.known.append(_Known(name, version, content.person(self.rng), None))

    # ------------------------------------------------------------------ seeding
    def popular_plans(self, count: int, pypi: StandInPyPI) -> list[Plan]:
        """First releases of the head of the popular list, whose summaries squats then copy."""
        plans = []
        for name in self.popular[:count]:
            project = pypi.project(name)
            if project is not None and project.releases:
                self.summaries[name] = str(
                    list(project.releases.values())[-1].metadata.get("summary")
                )
                continue
            owner = content.person(self.rng)
            version = f"{self.rng.randint(1, 4)}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 9)}"
            metadata = content.ordinary_metadata(self.rng, name, owner, ())
            self.summaries[name] = metadata["summary"]
            files = content.filenames(self.rng, name, version)
            plans.append(Plan(UploadSpec(name, version, files, metadata, owner[0]), "benign"))
        return plans

    # ------------------------------------------------------------------ the stream
    def next_plan(self) -> Plan:
        roll = self.rng.random()
        if roll < self.p["typosquat"]:
            plan = self._typosquat()
            if plan is not None:
                return plan
        elif roll < self.p["typosquat"] + self.p["suspicious"]:
            return self._suspicious()
        return self._ordinary()

    def _ordinary(self) -> Plan:
        known, version = self._next_release()
        metadata = content.ordinary_metadata(self.rng, known.name, known.owner, self.popular)
        files = content.filenames(self.rng, known.name, version)
        upload = UploadSpec(known.name, version, files, metadata, known.owner[0], known.provenance)
        return Plan(upload, "benign", "", self._follow_ups(known.name, version, files, bad=False))

    def _next_release(self) -> tuple[_Known, str]:
        """A new project, or the next version of a known one."""
        if not self.known or self.rng.random() < self.p["new_project"]:
            owner = content.person(self.rng)
            name = self.names.ordinary()
            publisher = None
            if self.rng.random() < 0.3:  # Trusted Publishing with attestations
                repository = f"{owner[0]}/{normalize(name)}"
                publisher = {
                    "kind": "GitHub",
                    "repository": repository,
                    "workflow": "release.yml",
                    "environment": "pypi",
                }
            known = _Known(name, content.first_version(self.rng), owner, publisher)
            self.known.append(known)
            return known, known.version
        known = self.rng.choice(self.known)
        known.version = content.next_version(self.rng, known.version)
        return known, known.version

    def _typosquat(self) -> Plan | None:
        target = self.names.target()
        made = self.names.typosquat(target)
        if made is None:
            return None
        name, technique = made
        rng = self.rng
        version = rng.choice(("0.0.1", "0.1.0", "1.0.0", "0.0.0", "1.0"))
        text = self.summaries.get(target) or rng.choice(
            (f"{target} helpers", "", "A Python package")
        )
        metadata: dict[str, Any] = {
            "summary": text,
            "description": text if rng.random() < 0.5 else "",
            "author": "",
            "author_email": f"{content.throwaway(rng)}@{rng.choice(content.DISPOSABLE_DOMAINS + content.FREE_DOMAINS)}",
            "project_urls": None
            if rng.random() < 0.6
            else {"Homepage": f"https://github.com/{content.throwaway(rng)}/{target}"},
            "requires_dist": [target] if technique == "combosquat" and rng.random() < 0.5 else None,
        }
        setup_py = content.suspicious_setup(rng, name, version) if rng.random() < 0.5 else None
        files = content.filenames(rng, name, version)[:1]
        upload = UploadSpec(name, version, files, metadata, content.throwaway(rng), None, setup_py)
        follow_ups = self._follow_ups(name, version, files, bad=True)
        return Plan(upload, f"typosquat:{target}", technique, follow_ups)

    def _suspicious(self) -> Plan:
        rng = self.rng
        takeover = bool(self.known) and rng.random() < 0.3
        traits = [
            t
            for t in rng.sample(SUSPICIOUS_TRAITS, k=rng.randint(2, 3))
            if not (takeover and t == "zero-version")
            and not (t == "copied-summary" and not self.summaries)
        ]
        traits = traits or ["empty-description", "no-urls"]
        if takeover:
            known = rng.choice(self.known)
            known.version = content.next_version(rng, known.version)
            name, version, owner = known.name, known.version, known.owner
        else:
            owner = content.person(rng)
            name = self.names.ordinary()
            version = (
                rng.choice(("0.0.0", "0.0.1"))
                if "zero-version" in traits
                else content.first_version(rng)
            )
        metadata = content.ordinary_metadata(rng, name, owner, self.popular)
        setup_py = self._apply_traits(metadata, traits, name, version)
        files = content.filenames(rng, name, version)
        upload = UploadSpec(name, version, files, metadata, owner[0], None, setup_py)
        follow_ups = self._follow_ups(name, version, files, bad=not takeover)
        return Plan(upload, "suspicious", ",".join(sorted(traits)), follow_ups)

    def _apply_traits(
        self, metadata: dict[str, Any], traits: Sequence[str], name: str, version: str
    ) -> str | None:
        rng = self.rng
        if "empty-description" in traits:
            metadata.update(description="", description_content_type=None)
        if "no-urls" in traits:
            metadata.update(home_page="", project_urls=None)
        if "disposable-email" in traits:
            address = f"{content.throwaway(rng)}@{rng.choice(content.DISPOSABLE_DOMAINS)}"
            metadata.update(author="", author_email=address)
        if "url-dependency" in traits:
            metadata["requires_dist"] = [
                *(metadata.get("requires_dist") or []),
                content.url_dependency(rng),
            ]
        if "copied-summary" in traits:
            metadata["summary"] = rng.choice(sorted(self.summaries.values()))
        return content.suspicious_setup(rng, name, version) if "install-hook" in traits else None

    # ------------------------------------------------------------------ later events
    def _follow_ups(
        self, name: str, version: str, files: Sequence[str], *, bad: bool
    ) -> tuple[tuple[timedelta, FollowUp], ...]:
        rng, p = self.rng, self.p
        out: list[tuple[timedelta, FollowUp]] = []

        def hours(low: float, high: float) -> timedelta:
            return timedelta(hours=rng.uniform(low, high))

        if rng.random() < p["late_file"]:
            out.append(
                (
                    hours(0.5, 12),
                    FollowUp("add_file", name, version, content.late_filename(name, version)),
                )
            )
        if rng.random() < p["yank"]:
            reason = rng.choice(("", "broken build", "Security issue: upgrade to the next release"))
            out.append((hours(1, 20), FollowUp("yank", name, version, reason)))
        if files and rng.random() < p["remove_file"]:
            out.append((hours(0.1, 3), FollowUp("remove_file", name, version, files[0])))
        if rng.random() < p["remove_release"]:
            out.append((hours(0.2, 6), FollowUp("remove_release", name, version)))
        if rng.random() < p["role_change"]:
            out.append((hours(0.5, 24), FollowUp("add_role", name, None, content.person(rng)[0])))
        if bad and rng.random() < p["quarantine_bad"]:
            out.append((hours(0.1, 1.5), FollowUp("quarantine", name)))
            if rng.random() < 0.6:
                out.append((hours(2, 8), FollowUp("remove_project", name)))
        return tuple(out)
