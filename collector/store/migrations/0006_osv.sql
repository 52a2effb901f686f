-- 0006: a copy of OSV's PyPI advisories (known vulnerabilities and known-malicious releases).

-- One row per advisory, the record kept whole as OSV published it: matching a version re-reads
-- its ranges (analysis.osv), and a record changes only as a whole (by `modified`).
CREATE TABLE osv_advisories (
    id text PRIMARY KEY,
    modified timestamptz NOT NULL,
    withdrawn timestamptz,
    malicious boolean NOT NULL,
    aliases text[] NOT NULL DEFAULT '{}',
    summary text NOT NULL DEFAULT '',
    record jsonb NOT NULL,
    synced_at timestamptz NOT NULL DEFAULT now()
);

-- Which projects (PEP 503 names) each advisory names: the lookup by dependency.
CREATE TABLE osv_affected (
    project text NOT NULL,
    advisory_id text NOT NULL REFERENCES osv_advisories (id) ON DELETE CASCADE,
    PRIMARY KEY (project, advisory_id)
);
CREATE INDEX osv_affected_advisory_idx ON osv_affected (advisory_id);

-- Each sync: where from, when, and what it changed (status, the daily refresh's last run).
CREATE TABLE osv_syncs (
    id bigserial PRIMARY KEY,
    source text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    records integer NOT NULL,
    added integer NOT NULL,
    updated integer NOT NULL,
    malformed integer NOT NULL
);
