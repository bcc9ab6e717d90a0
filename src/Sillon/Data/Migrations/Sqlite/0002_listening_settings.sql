-- Per-user and per-client (player) streaming preferences, set by an administrator: the limits a
-- transcoding decision starts from. NULL means "no limit / no preference".
ALTER TABLE users ADD COLUMN max_bitrate INTEGER;
ALTER TABLE users ADD COLUMN preferred_format TEXT;
-- off | track | album: ReplayGain applied while transcoding
ALTER TABLE users ADD COLUMN replaygain TEXT NOT NULL DEFAULT 'off';

CREATE TABLE players (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- the client's own name (Subsonic "c" parameter, or the web player)
    client          TEXT NOT NULL,
    max_bitrate     INTEGER,
    preferred_format TEXT,
    last_seen       TEXT NOT NULL,
    UNIQUE (user_id, client)
);
