-- 0002: the work queue and release sightings.

-- One job fetches and analyses one release. Workers claim jobs with FOR UPDATE SKIP LOCKED, so
-- any number of collector processes can share the queue. A claimed job holds a lease; a worker
-- that dies leaves it to be claimed again when the lease runs out. Failed jobs are retried with
-- backoff, never dropped: the last error stays visible in `status`.
CREATE TABLE jobs (
    id              bigserial PRIMARY KEY,
    project         text NOT NULL,
    version         text NOT NULL,
    min_serial      bigint NOT NULL DEFAULT 0,   -- the page we fetch must be at least this fresh
    reason          text NOT NULL,               -- new release, add file, rss, reconcile, recheck
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done')),
    attempts        integer NOT NULL DEFAULT 0,
    run_after       timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,
    leased_by       text,                        -- host:pid of the worker holding the lease
    last_error      text,
    error_kind      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
-- At most one open job per release: new events raise its min_serial instead of adding a job.
CREATE UNIQUE INDEX jobs_open_release_idx ON jobs (project, version) WHERE state <> 'done';
CREATE INDEX jobs_due_idx ON jobs (run_after, id) WHERE state = 'pending';
CREATE INDEX jobs_leased_idx ON jobs (leased_until) WHERE state = 'running';
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state = 'done';

-- Every source that saw a release, and when: measures how early RSS beats the changelog.
CREATE TABLE release_sightings (
    release_id  bigint NOT NULL REFERENCES releases (id),
    source      text NOT NULL CHECK (source IN ('changelog', 'rss', 'reconcile')),
    seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (release_id, source)
);

-- Feed state for conditional GETs (ETag / If-None-Match) and the last items seen.
CREATE TABLE feed_state (
    feed        text PRIMARY KEY,
    etag        text,
    polled_at   timestamptz,
    changed_at  timestamptz
);
