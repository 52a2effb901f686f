-- 0005: inspecting every distribution file, and alerts that follow a verdict as it rises.

-- The one work queue carries two kinds of job: 'release' fetches and analyses a release's
-- metadata; 'artifact' downloads one file of a release and reads its code. Artifact jobs are keyed
-- by filename (PyPI never reuses one), at most one open job per file.
ALTER TABLE jobs
    ADD COLUMN kind text NOT NULL DEFAULT 'release' CHECK (kind IN ('release', 'artifact')),
    ADD COLUMN filename text,
    ADD CONSTRAINT jobs_artifact_file CHECK ((kind = 'artifact') = (filename IS NOT NULL));
DROP INDEX jobs_open_release_idx;
CREATE UNIQUE INDEX jobs_open_release_idx ON jobs (project, version)
    WHERE state <> 'done' AND kind = 'release';
CREATE UNIQUE INDEX jobs_open_artifact_idx ON jobs (filename)
    WHERE state <> 'done' AND kind = 'artifact';
CREATE INDEX jobs_open_idx ON jobs (kind, state) WHERE state <> 'done';  -- status, dashboard
DROP INDEX jobs_due_idx;
CREATE INDEX jobs_due_idx ON jobs (kind, run_after, id) WHERE state = 'pending';

-- Per file, what inspection made of it. NULL: never asked for (inspection was off when the file
-- was stored). The error record of a hostile or unreadable file stays here beside its findings.
ALTER TABLE files
    ADD COLUMN inspection text CHECK (inspection IN (
        'pending', 'inspected', 'partial', 'too_large', 'unreadable', 'digest_mismatch', 'gone')),
    ADD COLUMN inspected_at timestamptz,
    ADD COLUMN inspection_error text,
    ADD COLUMN inspected_members integer,
    ADD COLUMN inspected_bytes bigint;
CREATE INDEX files_inspection_idx ON files (inspection, release_id);

-- A release's combined verdict can rise after its files are read. An outbox row is planned per
-- (subscription, verdict finding, severity): the same severity is never sent twice, a higher
-- one is sent again as an escalation.
ALTER TABLE alert_outbox ADD COLUMN severity severity;
UPDATE alert_outbox o SET severity = f.severity FROM findings f WHERE f.id = o.finding_id;
-- The row takes the finding's severity as it is when planned (a trigger, so no writer can forget).
CREATE FUNCTION alert_outbox_severity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.severity IS NULL THEN
        SELECT severity INTO NEW.severity FROM findings WHERE id = NEW.finding_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER alert_outbox_severity BEFORE INSERT ON alert_outbox
    FOR EACH ROW EXECUTE FUNCTION alert_outbox_severity();
ALTER TABLE alert_outbox
    ALTER COLUMN severity SET NOT NULL,
    DROP CONSTRAINT alert_outbox_subscription_id_finding_id_key,
    ADD CONSTRAINT alert_outbox_planned_once UNIQUE (subscription_id, finding_id, severity);
