"""Every query the dashboard runs, reads and writes, and nothing else: no st.* calls in here.

One module per page (overview, findings, release, campaigns, subscriptions, health, approvals,
audit) and `shared` for what they have in common; the views use them through this package.
Each function takes the pool, runs on the dashboard's database loop (dashboard.db) and returns
dataclasses or DataFrames. Reads are shaped for the indexes of migrations 0001-0004 so a page
stays fast over millions of rows; EXPLAIN plans are checked by tests/dashboard/test_queries.py.
"""

from __future__ import annotations

from dashboard.queries.approvals import (
    fetch_approval_reviews,
    fetch_decisions,
    save_decision,
)
from dashboard.queries.audit import (
    fetch_audit_lookup,
)
from dashboard.queries.campaigns import (
    CAMPAIGN_COLUMNS,
    CAMPAIGN_KINDS,
    CAMPAIGN_RELEASE_COLUMNS,
    CampaignKind,
    fetch_campaign_releases,
    fetch_campaigns,
)
from dashboard.queries.findings import (
    COUNT_CAP,
    EXPORT_LIMIT,
    FINDING_COLUMNS,
    FINDING_WORDS,
    RELEASE_WORDS,
    SEARCH_CAP,
    SORTS,
    FindingPage,
    FindingsPageFilter,
    fetch_findings,
    fetch_findings_export,
    search_overflows,
    search_query,
)
from dashboard.queries.health import (
    DELIVERY_COLUMNS,
    JOB_COLUMNS,
    SOURCE_COLUMNS,
    Health,
    fetch_health,
    fetch_index_blocks,
)
from dashboard.queries.overview import (
    Overview,
    fetch_overview,
)
from dashboard.queries.release import (
    FILE_COLUMNS,
    VERDICT_COLUMNS,
    VERDICTS,
    KnownIssues,
    ReleaseDetail,
    TargetProfile,
    fetch_known_issues,
    fetch_release,
    find_release,
    record_verdict,
)
from dashboard.queries.shared import (
    IS_VERDICT,
    RELEASE_CHECK,
    SEVERITIES,
    Pool,
    frame,
)
from dashboard.queries.subscriptions import (
    DuplicateName,
    SubscriptionInput,
    SubscriptionRow,
    create_subscription,
    delete_subscription,
    fetch_subscriptions,
    update_subscription,
)

__all__ = [
    "CAMPAIGN_COLUMNS",
    "CAMPAIGN_KINDS",
    "CAMPAIGN_RELEASE_COLUMNS",
    "COUNT_CAP",
    "DELIVERY_COLUMNS",
    "EXPORT_LIMIT",
    "FILE_COLUMNS",
    "FINDING_COLUMNS",
    "FINDING_WORDS",
    "IS_VERDICT",
    "JOB_COLUMNS",
    "RELEASE_CHECK",
    "RELEASE_WORDS",
    "SEARCH_CAP",
    "SEVERITIES",
    "SORTS",
    "SOURCE_COLUMNS",
    "VERDICTS",
    "VERDICT_COLUMNS",
    "CampaignKind",
    "DuplicateName",
    "FindingPage",
    "FindingsPageFilter",
    "Health",
    "KnownIssues",
    "Overview",
    "Pool",
    "ReleaseDetail",
    "SubscriptionInput",
    "SubscriptionRow",
    "TargetProfile",
    "create_subscription",
    "delete_subscription",
    "fetch_approval_reviews",
    "fetch_audit_lookup",
    "fetch_campaign_releases",
    "fetch_campaigns",
    "fetch_decisions",
    "fetch_findings",
    "fetch_findings_export",
    "fetch_health",
    "fetch_index_blocks",
    "fetch_known_issues",
    "fetch_overview",
    "fetch_release",
    "fetch_subscriptions",
    "find_release",
    "frame",
    "record_verdict",
    "save_decision",
    "search_overflows",
    "search_query",
    "update_subscription",
]
