-- 0008: approvals for the vetted index: who let a project (or one release of it) through, or
-- kept it out, why and until when; and the requests of people who tried to install one.

-- A NULL version is a decision about every version of the project. Decisions are kept, never
-- edited: the newest one in force applies (analysis.approvals.applicable).
CREATE TABLE approvals (
    id bigserial PRIMARY KEY,
    project text NOT NULL,
    version text,
    decision text NOT NULL CHECK (decision IN ('approved', 'denied')),
    actor text NOT NULL,
    reason text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz
);
CREATE INDEX approvals_project_idx ON approvals (project);

-- One row per (project, version) asked for, however often: the count and the latest asker.
CREATE TABLE approval_requests (
    id bigserial PRIMARY KEY,
    project text NOT NULL,
    version text,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    count integer NOT NULL DEFAULT 1,
    UNIQUE NULLS NOT DISTINCT (project, version)
);
