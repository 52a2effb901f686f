-- 0003: indexes behind the dashboard's reads (dashboard/queries.py).

-- Word-prefix search over names, targets and authors. Core full-text search, since the embedded
-- server has no pg_trgm. The expressions must match dashboard.queries FINDING_WORDS and
-- RELEASE_WORDS exactly, or the planner cannot use them.
CREATE INDEX findings_words_idx ON findings
    USING gin (to_tsvector('simple'::regconfig, project || ' ' || COALESCE(target, '')));
CREATE INDEX releases_words_idx ON releases
    USING gin (to_tsvector('simple'::regconfig, COALESCE(author, '') || ' ' ||
                                                replace(COALESCE(author_email, ''), '@', ' ')));
