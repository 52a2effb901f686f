"""The running state of reading one archive: members kept, findings, and the limits' counters."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from analysis.archive import findings as ids
from analysis.archive.findings import archive_finding
from analysis.archive.magic import native_magic
from analysis.archive.paths import PathVerdict, judge_path, link_escapes, readable
from analysis.artifact import ArchiveContents, ArchiveKind, ArchiveLimits, Member
from analysis.model import Finding, Severity

_REFUSALS = {
    ids.TRAVERSAL: "climbs out of the extraction directory",
    ids.ABSOLUTE: "has an absolute path",
    ids.DEEP_PATH: "is nested deeper than the limit",
}


_DOCS = re.compile(
    r"(?:^|/)(?:README|LICEN[CS]E|COPYING|CHANGELOG|CHANGES|NOTICE|AUTHORS)[^/]*$"
    r"|\.(?:md|rst|txt)$",
    re.IGNORECASE,
)


class StopReading(Exception):
    """A limit that ends reading the whole archive; its finding is already recorded."""


@dataclass(slots=True)
class Reading:
    """Mutable while one archive is read, frozen into ArchiveContents at the end."""

    filename: str
    kind: ArchiveKind
    packed: int  # bytes of the archive file, for the whole-archive ratio
    limits: ArchiveLimits
    is_text: Callable[[str], bool]
    members: list[Member] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    entries: int = 0
    total: int = 0  # bytes we decompress: the work limit
    declared: int = 0  # bytes the members say they unpack to: the ratio
    copies: dict[str, tuple[int, int]] = field(default_factory=dict)  # key: count, last index

    def flag(
        self,
        check_id: str,
        path: str,
        summary: str,
        evidence: Mapping[str, object] | None = None,
        *,
        severity: Severity | None = None,
        score: int | None = None,
        key: str = "",
    ) -> None:
        self.findings.append(
            archive_finding(
                check_id,
                self.filename,
                path,
                summary,
                evidence,
                severity=severity,
                score=score,
                key=key,
            )
        )

    def link(self, verdict: PathVerdict, kind: str, target: str | None) -> None:
        """A symlink or hardlink, never followed: low when its target (None: unreadable) stays
        inside the archive's top directory, as sdists' doc and changelog aliases do."""
        path = verdict.path
        inside = target is not None and not link_escapes(
            verdict.key, target, hard=kind == "hardlink"
        )
        shown = "an unreadable target" if target is None else readable(target)
        where = " inside the archive" if inside else ""
        self.flag(
            ids.LINK,
            path,
            f"{path} is a {kind} to {shown}{where}; not followed.",
            {"link": kind, "target": shown, "inside": inside},
            severity=Severity.LOW if inside else None,
            score=15 if inside else None,
        )

    def fail(
        self, check_id: str, path: str, summary: str, evidence: Mapping[str, object] | None = None
    ) -> StopReading:
        """Record a finding that means reading did not finish (the first one is the error), and
        return the signal to raise when it ends reading."""
        self.flag(check_id, path, summary, evidence)
        self.error = self.error or summary
        return StopReading(summary)

    def enter(self, name: str, *, undecodable: bool = False) -> PathVerdict | None:
        """Count one entry and judge its name; None when it must not be read."""
        self.entries += 1
        if self.entries > (limit := self.limits.max_members):
            summary = f"{self.filename} has more than {limit} members; the rest were not read."
            raise self.fail(ids.TOO_MANY, "", summary, {"limit": limit})
        verdict = judge_path(name, self.limits.max_depth, undecodable=undecodable)
        if verdict.bad_name:
            control = verdict.bad_name == "control characters"
            summary = f"{verdict.path} has a name with {verdict.bad_name}."
            self.flag(
                ids.BAD_NAME,
                verdict.path,
                summary,
                {"reason": verdict.bad_name},
                severity=Severity.MEDIUM if control else None,
            )
        if verdict.refusal:
            summary = f"{verdict.path} {_REFUSALS[verdict.refusal]}; not read."
            deep = verdict.refusal == ids.DEEP_PATH
            evidence = {"limit": self.limits.max_depth, "value": verdict.key.count("/") + 1}
            # a README packed from the repository above the project (a monorepo's setup.py
            # naming ../README.md) climbs out too, and pip refuses the sdist: medium
            docs = verdict.refusal == ids.TRAVERSAL and _DOCS.search(verdict.key) is not None
            self.flag(
                verdict.refusal,
                verdict.path,
                summary,
                evidence if deep else None,
                severity=Severity.MEDIUM if docs else None,
            )
            return None
        return verdict

    def claim(
        self, path: str, size: int, packed: int | None = None, cost: int | None = None
    ) -> None:
        """Count a member before reading it: `size` unpacked bytes as declared, `packed` its
        compressed size when known, `cost` the bytes we will decompress (default: all of it).
        A bomb or the total limit stops reading."""
        self.declared += size
        self.total += size if cost is None else cost
        limits = self.limits
        if packed is not None and size > limits.ratio_floor and size > limits.max_ratio * packed:
            self._bomb(path, path, size // max(packed, 1))
        if self.declared > limits.ratio_floor and self.declared > limits.max_ratio * self.packed:
            self._bomb(path, self.filename, self.declared // max(self.packed, 1))
        if self.total > limits.max_total:
            summary = f"{self.filename} unpacks to more than {limits.max_total} bytes by {path}."
            raise self.fail(
                ids.SIZE_LIMIT, path, summary, {"limit": limits.max_total, "value": self.total}
            )

    def _bomb(self, path: str, what: str, ratio: int) -> None:
        summary = f"{what} expands {ratio}-fold, beyond the limit of {self.limits.max_ratio}."
        raise self.fail(ids.BOMB, path, summary, {"limit": self.limits.max_ratio, "value": ratio})

    def wanted(self, path: str, size: int) -> int:
        """How many bytes of a member to keep: all of text we analyse, else the head."""
        return (
            size
            if self.is_text(path) and size <= self.limits.max_member
            else self.limits.head_bytes
        )

    def keep(self, verdict: PathVerdict, size: int, data: bytes) -> None:
        path = verdict.path
        member = Member(path, size, data, len(data) >= size)
        count, last = self.copies.get(verdict.key, (0, -1))
        if count:
            self._duplicate(member, self.members[last], count + 1)
        self.copies[verdict.key] = (count + 1, len(self.members))
        # A native program under a text name (a wheel's .data/scripts/ruff) is not text to us.
        if size > self.limits.max_member and self.is_text(path) and not native_magic(data):
            summary = f"{path} is {size} bytes, over the limit; only its head was kept."
            self.flag(
                ids.TOO_LARGE, path, summary, {"limit": self.limits.max_member, "value": size}
            )
        self.members.append(member)

    def _duplicate(self, member: Member, previous: Member, copy: int) -> None:
        """A later copy of a path wins at install. The same bytes again (a LICENSE listed twice
        in a manifest) change nothing; different bytes can hide a second setup.py, but not in
        a README or licence."""
        same = member.complete and previous.complete and member.data == previous.data
        relation = "the same bytes as" if same else "other bytes than"
        summary = (
            f"{member.path} is copy {copy} of one path, with {relation} the copy before; "
            "installers write each and keep the last."
        )
        # a second README or licence changes what a reader sees, not what runs: low
        docs = not same and _DOCS.search(member.path) is not None
        severity = Severity.INFO if same else Severity.LOW if docs else None
        self.flag(
            ids.DUPLICATE,
            member.path,
            summary,
            {"value": copy, "identical": same},
            severity=severity,
            score=5 if same else 25 if docs else None,
            key=str(copy),
        )

    def contents(self) -> ArchiveContents:
        return ArchiveContents(
            self.filename,
            self.kind,
            tuple(self.members),
            tuple(self.findings),
            self.error is None,
            self.error,
        )


def describe(exc: BaseException) -> str:
    """One line naming the error, for findings and the stored error record."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
