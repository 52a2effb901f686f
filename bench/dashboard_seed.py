"""A year of synthetic history for the dashboard benchmark, generated inside Postgres.

    python -m bench.dashboard_seed URL [--releases 5000000] [--findings 1000000]

Releases are spread evenly over `days` (ids follow time, as they do in a real store); every
`stride`-th release is flagged and gets an aggregate `release.assessment` finding plus three
check findings (a typosquat of a popular project, a metadata signal, an info note), so
findings = 4 x flagged. Some flagged releases come in campaigns: five in a row sharing an author,
an e-mail domain and an account. Also: one file per flagged release, triage verdicts, a million
finished jobs, alert deliveries and collector health. Secondary indexes are dropped for the load
and rebuilt after it, then everything is vacuumed and analysed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from collector.corpus import load_snapshot
from collector.store import PgConnection
from collector.store.database import connect
from collector.store.migrate import upgrade

TABLES = ("projects", "releases", "files", "findings", "triage_verdicts", "jobs", "alert_outbox")
_VOCABULARY = """
    alpha beta gamma delta data flow graph cloud auth http json yaml async fast micro py lib tool
    kit core util net web api sdk client server cache queue task job log trace metric test mock
    parse render config store db sql orm model vector image audio video text nlp ml ai bot chat
    crypto hash token key secure vault proxy gate stream batch spark torch numb pand plot chart
    geo map time date money pay bank shop cart mail sms push note doc pdf csv xml zip file path
    shell cli term color emoji game sim math stat rand noise grid cell node tree heap sort find
"""
WORDS = _VOCABULARY.split()
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "protonmail.com",
    "example.org",
    "corp.example",
    "uni.example",
    "dev.example",
    "mailinator.com",
    "proton.me",
]
CHECKS = [
    "typosquat.omitted-char",
    "typosquat.repeated-char",
    "typosquat.swapped-chars",
    "typosquat.substituted-char",
    "typosquat.inserted-char",
    "typosquat.combosquat",
]
METADATA = [
    "metadata.disposable-email",
    "metadata.empty-description",
    "metadata.no-project-urls",
    "metadata.copied-metadata",
]

# The k-th flagged release is release k * stride; its severity comes from k.
_NAME = "($1::text[])[1 + {p} % {w}] || '-' || ($1::text[])[1 + ({p} / {w}) % {w}] || '-' || ({p} / {ww})::text"
_SEVERITY = """CASE WHEN {k} % 100 < 3 THEN 'critical' WHEN {k} % 100 < 15 THEN 'high'
                    WHEN {k} % 100 < 40 THEN 'medium' ELSE 'low' END"""
_CAMPAIGN = "({k} % 50 < 5)"  # five flagged releases in a row share author, domain and account


def _sql(template: str, **names: object) -> str:
    return template.format(**names)


async def _drop_secondary_indexes(conn: PgConnection) -> list[str]:
    rows = await conn.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexname::regclass)
        """,
        list(TABLES),
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    return [row["indexdef"] for row in rows]


async def seed_bulk(
    conn: PgConnection,
    *,
    releases: int,
    findings: int,
    days: int = 365,
    batch: int = 500_000,
    log: bool = True,
) -> None:
    """Fill an empty, migrated database (see the module docstring)."""
    started = time.monotonic()
    flagged = findings // 4
    stride = max(1, releases // max(flagged, 1))
    projects = max(1, releases // 4)
    popular = [p.name for p in load_snapshot().corpus.projects[:300]]
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    w = len(WORDS)
    name_p = _sql(_NAME, p="g", w=w, ww=w * w)

    def say(what: str) -> None:
        if log:
            print(f"  {time.monotonic() - started:7.1f} s  {what}", flush=True)

    await conn.execute("SET synchronous_commit = off")
    await conn.execute("SET maintenance_work_mem = '512MB'")
    indexes = await _drop_secondary_indexes(conn)
    say(f"dropped {len(indexes)} secondary indexes")
    for lo in range(1, projects + 1, batch):
        hi = min(projects, lo + batch - 1)
        await conn.execute(
            f"""
            INSERT INTO projects (normalized, name, first_seen_at, created_serial, last_serial)
            SELECT {name_p}, {name_p}, $2::timestamptz + (g::float8 / $5) * $4::interval, g, g
            FROM generate_series($3::bigint, $6::bigint) g
            """,
            WORDS,
            start,
            lo - 1,
            end - start,
            projects,
            hi - 1,  # project p: 0 .. projects-1
        )
    say(f"{projects:,} projects")
    name_r = _sql(_NAME, p="((g - 1) % $7)", w=w, ww=w * w)
    severity_r = _sql(_SEVERITY, k="(g / $8)")
    campaign_r = _sql(_CAMPAIGN, k="(g / $8)")
    for lo in range(1, releases + 1, batch):
        hi = min(releases, lo + batch - 1)
        await conn.execute(
            f"""
            INSERT INTO releases (id, project, version, serial, first_seen_at, first_seen_source,
                                  uploaded_at, fetched_at, fetched_serial, summary, author,
                                  author_email, metadata, risk_score, risk_severity)
            SELECT g, name, v, g * 3, t, 'changelog', t, t + interval '5 seconds', g * 3,
                   'A ' || ($1::text[])[1 + g % {w}] || ' library', author, email,
                   jsonb_build_object(
                       'metadata', jsonb_build_object('name', name, 'version', v,
                           'description', 'Synthetic release ' || g || ' for the benchmark.'),
                       'ownership', jsonb_build_object('roles', jsonb_build_array(
                           jsonb_build_object('role', 'Owner', 'user', account)))),
                   CASE WHEN flagged THEN 20 + (g / $8) % 80 ELSE (g % 10)::int END,
                   (CASE WHEN flagged THEN {severity_r} ELSE 'info' END)::severity
            FROM generate_series($3::bigint, $6::bigint) g,
            LATERAL (SELECT g % $8 = 0 AS flagged, {campaign_r} AS campaign,
                            {name_r} AS name, ((g - 1) / $7 + 1)::text || '.0' AS v,
                            $2::timestamptz + (g::float8 / $5) * $4::interval AS t) a,
            LATERAL (SELECT
                CASE WHEN flagged AND campaign THEN 'Campaign ' || (g / $8 / 50)
                     ELSE 'Author ' || (g % 400000) END AS author,
                CASE WHEN flagged AND campaign THEN 'x' || g || '@camp' || (g / $8 / 50) || '.example'
                     ELSE 'dev' || (g % 400000) || '@' || ($9::text[])[1 + g % {len(DOMAINS)}] END AS email,
                CASE WHEN flagged AND campaign THEN 'camp-' || (g / $8 / 50)
                     ELSE 'user' || (g % 500000) END AS account) b
            """,
            WORDS,
            start,
            lo,
            end - start,
            releases,
            hi,
            projects,
            stride,
            DOMAINS,
        )
        say(f"releases up to {hi:,}")
    await conn.execute(f"SELECT setval('releases_id_seq', {releases})")
    name_f = _sql(_NAME, p="((k * $2 - 1) % $3)", w=w, ww=w * w)
    severity_f = _sql(_SEVERITY, k="k")
    for lo in range(1, flagged + 1, batch // 4):
        hi = min(flagged, lo + batch // 4 - 1)
        await conn.execute(
            f"""
            INSERT INTO findings (release_id, project, version, check_id, fingerprint, severity,
                                  score, summary, target, evidence, first_seen_at, last_seen_at)
            SELECT k * $2, name, v, c.check_id, COALESCE(c.target, ''), c.severity::severity,
                   c.score, c.summary, c.target, c.evidence, r.first_seen_at, r.first_seen_at
            FROM generate_series($4::bigint, $5::bigint) k
            JOIN releases r ON r.id = k * $2,
            LATERAL (SELECT {name_f} AS name, ((k * $2 - 1) / $3 + 1)::text || '.0' AS v,
                            ($6::text[])[1 + k % 300] AS target,
                            ($7::text[])[1 + k % {len(CHECKS)}] AS rule,
                            ($8::text[])[1 + k % {len(METADATA)}] AS meta) a,
            LATERAL (VALUES
                ('release.assessment', {severity_f}, 20 + k % 80,
                 name || ' ' || v || ' imitates ' || target || '.', NULL::text,
                 jsonb_build_object('reasons', jsonb_build_array(
                     name || ' is one edit from ' || target || '.', 'The description is empty.'),
                     'checks', jsonb_build_array(rule, meta))),
                (rule, 'low', 40 + k % 30, name || ' is one edit from ' || target || '.', target,
                 jsonb_build_object('name', name, 'target', target, 'imitated', target,
                     'rule', rule, 'distance', 1, 'edit', jsonb_build_object('op', 'omit',
                     'position', 2), 'target_downloads', 1000000 + k, 'candidate_downloads', NULL,
                     'popularity_ratio', 1000.0)),
                (meta, 'medium', 40, 'A metadata signal on ' || name || '.', NULL,
                 jsonb_build_object('field', 'author_email')),
                ('metadata.new-project', 'info', 10, 'First release of ' || name || '.', NULL,
                 '{{}}'::jsonb)
            ) c(check_id, severity, score, summary, target, evidence)
            """,
            WORDS,
            stride,
            projects,
            lo,
            hi,
            popular,
            CHECKS,
            METADATA,
        )
        say(f"findings for flagged releases up to {hi:,}")
    await _extras(conn, flagged=flagged, stride=stride)
    say("files, triage, jobs, alerts, health")
    for indexdef in indexes:
        await conn.execute(indexdef)
    say(f"rebuilt {len(indexes)} indexes")
    await conn.execute("VACUUM ANALYZE")
    say("vacuum analyze")


async def _extras(conn: PgConnection, *, flagged: int, stride: int) -> None:
    await conn.execute(
        """
        INSERT INTO files (release_id, filename, packagetype, size, sha256, url, uploaded_at)
        SELECT r.id, r.project || '-' || r.version || '.tar.gz', 'sdist', 4096, md5(r.project),
               'https://files.pythonhosted.org/packages/ab/cd/' || repeat('e', 60) || '/'
                   || r.project || '-' || r.version || '.tar.gz', r.uploaded_at
        FROM releases r WHERE r.id % $1 = 0
        """,
        stride,
    )
    await conn.execute(
        """
        INSERT INTO triage_verdicts (release_id, verdict, note, actor, created_at)
        SELECT k * $1 * 10, (ARRAY['malicious', 'false_positive', 'benign', 'needs_review'])[1 + k % 4],
               'checked', 'analyst' || (k % 7), r.first_seen_at + interval '1 hour'
        FROM generate_series(1, $2::bigint / 10) k JOIN releases r ON r.id = k * $1 * 10
        """,
        stride,
        flagged,
    )
    await conn.execute(
        """
        INSERT INTO jobs (project, version, reason, state, attempts, finished_at, created_at)
        SELECT 'done-' || g, '1.0', 'new release', 'done', 1, now() - g * interval '30 seconds',
               now() - g * interval '30 seconds'
        FROM generate_series(1, 1000000) g
        """
    )
    await conn.execute(
        """
        INSERT INTO jobs (project, version, reason, attempts, error_kind, last_error)
        SELECT 'open-' || g, '1.0', 'new release', CASE WHEN g <= 20 THEN 3 ELSE 0 END,
               CASE WHEN g <= 20 THEN 'http' END, CASE WHEN g <= 20 THEN 'HTTP 503 from PyPI' END
        FROM generate_series(1, 300) g
        """
    )
    await conn.execute(
        """
        INSERT INTO subscriptions (name, channel, target, min_severity)
        SELECT 'team-' || g, 'slack', 'https://hooks.slack.com/services/T/B/' || md5(g::text), 'high'
        FROM generate_series(1, 5) g
        """
    )
    await conn.execute(
        """
        INSERT INTO alert_outbox (subscription_id, finding_id, state, attempts, sent_at, last_error)
        SELECT (SELECT min(id) FROM subscriptions) + f.id % 5, f.id,
               CASE WHEN f.id % 7000 = 0 THEN 'dead' ELSE 'sent' END, 1, f.first_seen_at,
               CASE WHEN f.id % 7000 = 0 THEN 'HTTP 404 from https://hooks.slack.com/services/x' END
        FROM findings f WHERE f.check_id = 'release.assessment' AND f.severity >= 'high'
        """
    )
    await conn.execute(
        "INSERT INTO collector_cursor (name, serial) SELECT 'changelog', max(serial) FROM releases"
    )
    await conn.execute(
        """
        INSERT INTO collector_health (source, last_attempt_at, last_success_at, upstream_serial, detail)
        SELECT 'changelog', now(), now(), max(serial) + 12,
               jsonb_build_object('caught_up_at', extract(epoch FROM now()) - 8)
        FROM releases
        """
    )


async def _main(args: argparse.Namespace) -> None:
    conn = await connect(args.url)
    try:
        await upgrade(conn)
        await seed_bulk(conn, releases=args.releases, findings=args.findings, days=args.days)
    finally:
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a migrated, empty database")
    parser.add_argument("--releases", type=int, default=5_000_000)
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    asyncio.run(_main(parser.parse_args()))
