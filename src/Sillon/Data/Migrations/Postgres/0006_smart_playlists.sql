-- Smart playlists and imported M3U/PLS playlists: see the SQLite migration of the same number for
-- what each column means.

ALTER TABLE playlists ADD COLUMN rules TEXT;
ALTER TABLE playlists ADD COLUMN evaluated_key TEXT;
ALTER TABLE playlists ADD COLUMN evaluated_at TEXT;
ALTER TABLE playlists ADD COLUMN source_path TEXT;
ALTER TABLE playlists ADD COLUMN source_size BIGINT;
ALTER TABLE playlists ADD COLUMN source_mtime BIGINT;
ALTER TABLE playlists ADD COLUMN missing TEXT;
CREATE UNIQUE INDEX playlists_source ON playlists(source_path);
-- "added in the last N days" rules, and the newest tracks first.
CREATE INDEX tracks_created ON tracks(created_at);

CREATE TABLE listening_changes (
    user_id     BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    counter     BIGINT NOT NULL DEFAULT 0
);

CREATE FUNCTION listening_changed() RETURNS trigger AS $$
DECLARE
    uid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.item_kind <> 'track' THEN RETURN NULL; END IF;
        uid := OLD.user_id;
    ELSE
        IF NEW.item_kind <> 'track' THEN RETURN NULL; END IF;
        uid := NEW.user_id;
    END IF;
    INSERT INTO listening_changes (user_id, counter) VALUES (uid, 1)
        ON CONFLICT (user_id) DO UPDATE SET counter = listening_changes.counter + 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER annotations_changed AFTER INSERT OR UPDATE OR DELETE ON annotations
    FOR EACH ROW EXECUTE FUNCTION listening_changed();
