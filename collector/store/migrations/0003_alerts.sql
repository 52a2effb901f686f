-- 0003: alert delivery state, report attempts.

-- Per subscription: when its next digest is due, and how its last delivery went (status and the
-- dashboard show a bad webhook or SMTP login here).
ALTER TABLE subscriptions
    ADD COLUMN next_digest_at timestamptz,
    ADD COLUMN last_sent_at timestamptz,
    ADD COLUMN last_error text,
    ADD COLUMN last_error_at timestamptz;

-- Outbox rows are claimed per subscription; `next_attempt_at` doubles as the lease of a row in
-- 'sending' (a sender that died leaves it to be claimed again when the lease runs out).
CREATE INDEX alert_outbox_subscription_idx ON alert_outbox (subscription_id, state, next_attempt_at);
CREATE INDEX alert_outbox_finding_idx ON alert_outbox (finding_id);
ALTER TABLE alert_outbox ADD COLUMN message_id text;  -- which grouped message carried it

-- 'sending' is committed before the request to PyPI goes out: a crash mid-request leaves it,
-- and a later attempt refuses to send again blindly (at most once, as PyPI's admins read each).
ALTER TABLE reports
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN submit_url text,
    DROP CONSTRAINT reports_status_check,
    ADD CONSTRAINT reports_status_check CHECK (status IN ('prepared', 'sending', 'submitted', 'failed'));
