"""Building the ReleaseSnapshot the checks read, from what was fetched and what the store knew.

History comes from PyPI's own file list (the Simple page) where we have it: our store only
knows what happened since we started watching, and a monitor that just started must not take
every old project for a new one.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime

from packaging.utils import canonicalize_version

from analysis.model import PriorRelease, ReleaseSnapshot
from collector.pipeline.fetcher import Fetched
from collector.pypi.simple import SimpleProject
from collector.store.jobs import Job
from collector.store.releases import History

canonical = functools.lru_cache(maxsize=1 << 16)(canonicalize_version)  # many files, few versions


@dataclasses.dataclass(frozen=True, slots=True)
class PypiHistory:
    other_versions: int
    prior: PriorRelease | None
    first_upload: datetime | None


def build_snapshot(job: Job, fetched: Fetched, history: History) -> ReleaseSnapshot:
    page = fetched.page
    provenance = fetched.simple.files if fetched.simple else {}
    files = tuple(
        dataclasses.replace(f, provenance_url=provenance[f.filename].provenance_url)
        if f.filename in provenance
        else f
        for f in page.files
    )
    upload_times = [f.uploaded_at for f in files if f.uploaded_at is not None]
    uploaded_at = min(upload_times) if upload_times else None
    pypi = pypi_history(fetched.simple, job.version, uploaded_at) if fetched.simple else None
    return ReleaseSnapshot(
        project=job.project,
        version=job.version,
        metadata=page.metadata,
        files=files,
        ownership=page.ownership,
        project_status=fetched.simple.status if fetched.simple else "active",
        publishers=fetched.publishers,
        serial=page.last_serial,
        uploaded_at=uploaded_at,
        prior=_prior(history, pypi),
        prior_release_count=max(history.prior_release_count, pypi.other_versions if pypi else 0),
        project_first_seen=pypi.first_upload if pypi else None,
        history_known=pypi is not None or history.creation_seen or history.prior is not None,
    )


def pypi_history(simple: SimpleProject, version: str, uploaded_at: datetime | None) -> PypiHistory:
    """Other versions, the latest one uploaded before this one, and the project's first upload."""
    this = canonical(version)
    latest: dict[str, datetime] = {}
    spelled: dict[str, str] = {}  # canonical -> as the files spell it
    for item in simple.files.values():
        if item.version is None or item.uploaded_at is None:
            continue
        key = canonical(item.version)
        spelled.setdefault(key, item.version)
        if key not in latest or item.uploaded_at > latest[key]:
            latest[key] = item.uploaded_at
    uploads = [f.uploaded_at for f in simple.files.values() if f.uploaded_at is not None]
    before = {
        v: t for v, t in latest.items() if v != this and (uploaded_at is None or t <= uploaded_at)
    }
    prior_version = max(before, key=lambda v: before[v]) if before else None
    versions = {canonical(v) for v in simple.versions} | set(latest)
    return PypiHistory(
        other_versions=len(versions - {this}),
        prior=PriorRelease(spelled[prior_version], before[prior_version])
        if prior_version
        else None,
        first_upload=min(uploads) if uploads else None,
    )


def _prior(history: History, pypi: PypiHistory | None) -> PriorRelease | None:
    """Our stored prior release when it is the latest one (it knows owners and publishers)."""
    stored, listed = history.prior, pypi.prior if pypi else None
    if stored is None or listed is None:
        return stored or listed
    if canonical(stored.version) == canonical(listed.version):
        return stored
    if stored.uploaded_at is not None and listed.uploaded_at is not None:
        return stored if stored.uploaded_at >= listed.uploaded_at else listed
    return listed
