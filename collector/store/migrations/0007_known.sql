-- 0007: when our own verdict on a release first reached medium, to measure the lead we had over
-- the public report of known malware (a `known.malicious` finding).

-- Set once, by whichever writer first stores a verdict at medium or above (a trigger, so no
-- writer can forget); later rises and falls leave it alone.
ALTER TABLE releases ADD COLUMN flagged_at timestamptz;
CREATE FUNCTION releases_flagged_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.flagged_at IS NULL AND NEW.risk_severity >= 'medium' THEN
        NEW.flagged_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER releases_flagged_at BEFORE INSERT OR UPDATE OF risk_severity ON releases
    FOR EACH ROW EXECUTE FUNCTION releases_flagged_at();

-- Releases flagged before this migration: the verdict finding was first stored when the release
-- was first flagged (at low or above), the closest record there is.
UPDATE releases r SET flagged_at = f.first_seen_at
FROM findings f
WHERE f.release_id = r.id AND f.check_id = 'release.assessment' AND r.risk_severity >= 'medium';
