"""assess_release and assess_name end to end, against the contract the collector relies on."""

from __future__ import annotations

import dataclasses
import json

from analysis import CHECKS_BY_ID, AnalysisContext, assess_name, assess_release
from analysis.model import Ownership, ReleaseMetadata, ReleaseSnapshot, Severity


def test_name_only_verdicts(context: AnalysisContext) -> None:
    squat = assess_name("reqeusts", context)
    assert squat.severity is Severity.LOW
    assert squat.findings[0].target == "requests"
    assert assess_name("requests", context).severity is Severity.INFO
    assert assess_name("requests", context).findings == ()


def test_name_verdict_respects_shared_ownership_in_context(context: AnalysisContext) -> None:
    ctx = dataclasses.replace(context, target_ownership={"requests": Ownership()})
    assert assess_name("reqeusts", ctx).severity is Severity.LOW  # no owner of the candidate known


def test_a_typosquat_with_suspicious_metadata_is_critical(context: AnalysisContext) -> None:
    snapshot = ReleaseSnapshot(
        project="reqeusts",
        version="0.0.1",
        metadata=ReleaseMetadata(
            name="reqeusts",
            version="0.0.1",
            summary="Python HTTP for Humans.",
            author_email="x@mailinator.com",
            requires_dist=("evil @ https://x.example/e.zip",),
        ),
    )
    theirs = ReleaseMetadata(name="requests", version="2.32", summary="Python HTTP for Humans.")
    verdict = assess_release(snapshot, dataclasses.replace(context, targets={"requests": theirs}))
    assert verdict.severity is Severity.CRITICAL
    assert verdict.score >= 80
    ids = {f.check_id for f in verdict.findings}
    assert {"typosquat.swapped-chars", "metadata.copied-metadata"} <= ids
    for finding in verdict.findings:
        assert finding.check_id in CHECKS_BY_ID, "every finding names a registered check"
        json.dumps(dict(finding.evidence), default=str)  # evidence is JSON-serialisable
    assert verdict.reasons[0].endswith(".")


def test_shared_owner_makes_a_lookalike_harmless(context: AnalysisContext) -> None:
    owners = Ownership(roles=(("Owner", "kreitz"),))
    snapshot = ReleaseSnapshot(
        project="reqeusts", version="1.0",
        metadata=ReleaseMetadata(name="reqeusts", version="1.0", description="x" * 200,
                                 home_page="https://x.example", license="MIT",
                                 classifiers=("License :: OSI Approved",)),
        ownership=owners,
    )  # fmt: skip
    ctx = dataclasses.replace(context, target_ownership={"requests": owners})
    verdict = assess_release(snapshot, ctx)
    assert all(f.target != "requests" for f in verdict.findings if f.check_id.startswith("typo"))
