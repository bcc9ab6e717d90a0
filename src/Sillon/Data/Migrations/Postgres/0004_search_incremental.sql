-- SQLite's 0004 recreates its FTS5 tables with contentless_delete so a scan can update rows by id.
-- The PostgreSQL search tables (0003) are ordinary tables keyed by id and could always do so: this
-- migration only keeps the two folders numbered alike.
COMMENT ON TABLE search_tracks IS 'full-text index of tracks: name (A) and context (D), updated by each scan';
