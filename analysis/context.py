"""What a release is judged against: the clock, the name index, and facts the collector looked up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from analysis.model import Ownership, ProjectFacts, ReleaseMetadata
from analysis.names.index import NameIndex

if TYPE_CHECKING:  # analysis.osv reads versions with analysis.metadata, which needs this module
    from analysis.osv import Advisory


@dataclass(frozen=True, slots=True)
class AnalysisContext:
    """Everything outside the release itself. The collector builds one per release (or batch)."""

    now: datetime
    index: NameIndex
    # Latest metadata of the projects match_name named; fetched after matching, may be missing.
    targets: Mapping[str, ReleaseMetadata] = field(default_factory=dict)
    target_ownership: Mapping[str, Ownership] = field(default_factory=dict)
    # For each normalized dependency name of the release: when our store first saw that project
    # (None: never seen or unknown). A dependency missing from the mapping was not looked up.
    dependency_first_seen: Mapping[str, datetime | None] = field(default_factory=dict)
    # For each dependency that imitates a popular name (analysis.metadata.imitating_dependencies):
    # its age and releases on PyPI. Missing: not looked up, not on PyPI, or the lookup failed.
    dependency_facts: Mapping[str, ProjectFacts] = field(default_factory=dict)
    # Known-malware records that name the release's project (a release stored after its
    # project was reported); empty when not looked up.
    reports: Sequence[Advisory] = ()
