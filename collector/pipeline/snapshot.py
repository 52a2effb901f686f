"""Building the ReleaseSnapshot the checks read, from what was fetched and what the store knew."""

from __future__ import annotations

import dataclasses

from analysis.model import ReleaseSnapshot
from collector.pipeline.fetcher import Fetched
from collector.store.jobs import Job
from collector.store.releases import History


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
    return ReleaseSnapshot(
        project=job.project,
        version=job.version,
        metadata=page.metadata,
        files=files,
        ownership=page.ownership,
        project_status=fetched.simple.status if fetched.simple else "active",
        publishers=fetched.publishers,
        serial=page.last_serial,
        uploaded_at=min(upload_times) if upload_times else None,
        prior=history.prior,
        prior_release_count=history.prior_release_count,
        project_first_seen=history.project_first_seen,
    )
