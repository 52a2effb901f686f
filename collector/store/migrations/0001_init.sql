-- 0001: the store every capability builds on.
-- Conventions: names are PEP 503 normalized in `project`/`normalized` columns, every timestamp is
-- timestamptz, check ids are dotted text (never a foreign key), evidence is JSONB.
-- No extensions: the embedded server (pgserver) ships without contrib.

CREATE TYPE severity AS ENUM ('info', 'low', 'medium', 'high', 'critical');

-- Every event of PyPI's journal, stored once, keyed by its serial. The raw action is kept
-- verbatim; `kind` is our parse of it ('unknown' when we do not recognise the action).
CREATE TABLE changelog_events (
    serial          bigint PRIMARY KEY,
    name            text NOT NULL,
    normalized      text NOT NULL,
    version         text,
    occurred_at     timestamptz NOT NULL,  -- PyPI's timestamp: not monotonic, never a cursor
    action          text NOT NULL,
    kind            text NOT NULL,
    filename        text,
    python_version  text,
    detail          jsonb,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changelog_events_normalized_idx ON changelog_events (normalized, serial);
CREATE INDEX changelog_events_recorded_idx ON changelog_events (recorded_at);
CREATE INDEX changelog_events_kind_idx ON changelog_events (kind, serial);

CREATE TABLE projects (
    normalized      text PRIMARY KEY,
    name            text NOT NULL,
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'removed', 'quarantined', 'archived', 'deprecated')),
    created_serial  bigint,
    last_serial     bigint,
    ownership       jsonb,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_first_seen_idx ON projects (first_seen_at DESC);
CREATE INDEX projects_name_pattern_idx ON projects (normalized text_pattern_ops);

-- A release is never deleted: removal and quarantine are states, so the monitor never forgets.
CREATE TABLE releases (
    id                 bigserial PRIMARY KEY,
    project            text NOT NULL REFERENCES projects (normalized),
    version            text NOT NULL,
    serial             bigint,
    status             text NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'yanked', 'removed', 'quarantined')),
    yanked_reason      text,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    first_seen_source  text NOT NULL CHECK (first_seen_source IN ('changelog', 'rss', 'reconcile')),
    uploaded_at        timestamptz,
    fetched_at         timestamptz,
    fetched_serial     bigint,
    summary            text,
    author             text,
    author_email       text,
    metadata           jsonb,
    risk_score         smallint CHECK (risk_score BETWEEN 0 AND 100),
    risk_severity      severity,
    status_changed_at  timestamptz,
    UNIQUE (project, version)
);
CREATE INDEX releases_first_seen_idx ON releases (first_seen_at DESC);
CREATE INDEX releases_serial_idx ON releases (serial);
CREATE INDEX releases_risk_idx ON releases (risk_severity, first_seen_at DESC);

-- PyPI never reuses a filename, even after deletion, so the filename is a natural key.
CREATE TABLE files (
    id               bigserial PRIMARY KEY,
    release_id       bigint NOT NULL REFERENCES releases (id),
    filename         text NOT NULL UNIQUE,
    packagetype      text,
    python_version   text,
    requires_python  text,
    size             bigint,
    sha256           text,
    blake2b_256      text,
    md5              text,
    url              text,
    uploaded_at      timestamptz,
    serial           bigint,
    yanked           boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    removed_at       timestamptz
);
CREATE INDEX files_release_idx ON files (release_id);
CREATE INDEX files_sha256_idx ON files (sha256);

-- One row per (release, check, fingerprint); the fingerprint separates two hits of one check
-- (a name imitating two targets). first/last seen track re-analysis.
CREATE TABLE findings (
    id             bigserial PRIMARY KEY,
    release_id     bigint NOT NULL REFERENCES releases (id),
    project        text NOT NULL,
    version        text NOT NULL,
    check_id       text NOT NULL,
    fingerprint    text NOT NULL DEFAULT '',
    severity       severity NOT NULL,
    score          smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
    summary        text NOT NULL,
    target         text,
    evidence       jsonb NOT NULL DEFAULT '{}'::jsonb,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (release_id, check_id, fingerprint)
);
CREATE INDEX findings_first_seen_idx ON findings (first_seen_at DESC, id DESC);
CREATE INDEX findings_severity_idx ON findings (severity, first_seen_at DESC);
CREATE INDEX findings_check_idx ON findings (check_id, first_seen_at DESC);
CREATE INDEX findings_project_idx ON findings (project);
CREATE INDEX findings_target_idx ON findings (target) WHERE target IS NOT NULL;

CREATE TABLE triage_verdicts (
    id          bigserial PRIMARY KEY,
    release_id  bigint NOT NULL REFERENCES releases (id),
    finding_id  bigint REFERENCES findings (id),
    verdict     text NOT NULL CHECK (verdict IN ('malicious', 'false_positive', 'benign', 'needs_review')),
    note        text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX triage_verdicts_release_idx ON triage_verdicts (release_id, created_at DESC);
CREATE INDEX triage_verdicts_verdict_idx ON triage_verdicts (verdict, created_at DESC);

-- Alert rules. `target` (a webhook URL or an address) and `secret` are credentials: never logged.
CREATE TABLE subscriptions (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL,
    channel           text NOT NULL CHECK (channel IN ('slack', 'email', 'webhook')),
    target            text NOT NULL,
    secret            text,
    min_severity      severity NOT NULL DEFAULT 'medium',
    check_ids         text[] NOT NULL DEFAULT '{}',
    watched_projects  text[] NOT NULL DEFAULT '{}',
    name_patterns     text[] NOT NULL DEFAULT '{}',
    delivery          text NOT NULL DEFAULT 'immediate' CHECK (delivery IN ('immediate', 'hourly', 'daily')),
    enabled           boolean NOT NULL DEFAULT true,
    origin            text NOT NULL DEFAULT 'cli' CHECK (origin IN ('cli', 'dashboard', 'env')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name)
);

-- Written in the same transaction as the finding, sent after commit. One row per
-- (subscription, finding) so a delivery can never be planned twice.
CREATE TABLE alert_outbox (
    id               bigserial PRIMARY KEY,
    subscription_id  bigint NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    finding_id       bigint NOT NULL REFERENCES findings (id),
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    UNIQUE (subscription_id, finding_id)
);
CREATE INDEX alert_outbox_due_idx ON alert_outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX alert_outbox_state_idx ON alert_outbox (state);

-- Reports to PyPI: at most one per release, whatever its outcome.
CREATE TABLE reports (
    id             bigserial PRIMARY KEY,
    release_id     bigint NOT NULL UNIQUE REFERENCES releases (id),
    project        text NOT NULL,
    version        text NOT NULL,
    kind           text NOT NULL
                   CHECK (kind IN ('is_malware', 'is_spam', 'is_dependency_confusion', 'something_else')),
    summary        text NOT NULL CHECK (char_length(summary) BETWEEN 10 AND 2000),
    inspector_url  text,
    status         text NOT NULL CHECK (status IN ('prepared', 'submitted', 'failed')),
    http_status    integer,
    response       jsonb,
    actor          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    submitted_at   timestamptz
);

-- The changelog cursor: moves only in the transaction that stores what it covers.
CREATE TABLE collector_cursor (
    name        text PRIMARY KEY,
    serial      bigint NOT NULL CHECK (serial >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per upstream source or worker: last success, last error, and PyPI's last serial.
CREATE TABLE collector_health (
    source                text PRIMARY KEY,
    last_attempt_at       timestamptz,
    last_success_at       timestamptz,
    last_error_at         timestamptz,
    last_error            text,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    upstream_serial       bigint,
    detail                jsonb NOT NULL DEFAULT '{}'::jsonb
);
