-- 0009: what the vetted index kept out, counted per hour: the Health page reads it, since the
-- index runs in its own process and its live counters (/metrics) live in that process's memory.
-- kind: 'listing' (a release left off a project page it built), 'download' (a file refused).
CREATE TABLE index_blocks (
    hour timestamptz NOT NULL,
    project text NOT NULL,
    version text,
    rule text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('listing', 'download')),
    count bigint NOT NULL,
    last_at timestamptz NOT NULL,
    UNIQUE NULLS NOT DISTINCT (hour, project, version, rule, kind)  -- also serves reads by hour
);
