-- Smart playlists (rules evaluated into playlist_tracks on read) and playlists imported from
-- M3U/PLS files in the music folders.

-- The rules as JSON (Playlists/SmartRules.cs); NULL for an ordinary playlist.
ALTER TABLE playlists ADD COLUMN rules TEXT;
-- What the materialized tracks of a smart playlist were computed from (library and listening
-- change counters, see below) and when: a read re-evaluates when either moved or it is too old.
ALTER TABLE playlists ADD COLUMN evaluated_key TEXT;
ALTER TABLE playlists ADD COLUMN evaluated_at TEXT;
-- The playlist file an imported playlist mirrors (absolute path), its size and mtime (Unix ms),
-- and the entries of that file that matched no track (JSON array of strings).
ALTER TABLE playlists ADD COLUMN source_path TEXT;
ALTER TABLE playlists ADD COLUMN source_size INTEGER;
ALTER TABLE playlists ADD COLUMN source_mtime INTEGER;
ALTER TABLE playlists ADD COLUMN missing TEXT;
CREATE UNIQUE INDEX playlists_source ON playlists(source_path);
-- "added in the last N days" rules, and the newest tracks first.
CREATE INDEX tracks_created ON tracks(created_at);

-- A counter per user that moves whenever one of their track annotations (star, rating, play)
-- changes, whichever process or endpoint made the change: smart playlists compare it to decide
-- whether their tracks are stale. Kept by triggers so no writer of annotations can forget it.
CREATE TABLE listening_changes (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    counter     INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER annotations_changed_insert AFTER INSERT ON annotations WHEN NEW.item_kind = 'track'
BEGIN
    INSERT INTO listening_changes (user_id, counter) SELECT NEW.user_id, 0 WHERE NOT EXISTS (SELECT 1 FROM listening_changes WHERE user_id = NEW.user_id);
    UPDATE listening_changes SET counter = counter + 1 WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER annotations_changed_update AFTER UPDATE ON annotations WHEN NEW.item_kind = 'track'
BEGIN
    INSERT INTO listening_changes (user_id, counter) SELECT NEW.user_id, 0 WHERE NOT EXISTS (SELECT 1 FROM listening_changes WHERE user_id = NEW.user_id);
    UPDATE listening_changes SET counter = counter + 1 WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER annotations_changed_delete AFTER DELETE ON annotations WHEN OLD.item_kind = 'track'
BEGIN
    UPDATE listening_changes SET counter = counter + 1 WHERE user_id = OLD.user_id;
END;
