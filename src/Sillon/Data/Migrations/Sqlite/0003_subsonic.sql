-- What the OpenSubsonic API needs beyond the catalog: a recoverable password for token auth, API
-- keys, per-user annotations and plays, playlists, bookmarks, play queues, shares, radio stations,
-- and the full-text search index.

-- AES-GCM ciphertext of the password (base64 of nonce|ciphertext|tag), key in data/secret.key.
-- NULL for accounts whose password was set before this migration: they cannot use token auth until
-- the password is set again (Subsonic error 41).
ALTER TABLE users ADD COLUMN password_enc TEXT;
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- SHA-256 of the key: the key itself is shown once, at creation
    key_hash    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_used   TEXT
);
CREATE INDEX api_keys_user ON api_keys(user_id);

-- Per-user stars, ratings and play counts of tracks, albums and artists.
CREATE TABLE annotations (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    item_kind   TEXT NOT NULL CHECK (item_kind IN ('track', 'album', 'artist')),
    item_id     INTEGER NOT NULL,
    starred_at  TEXT,
    rating      INTEGER NOT NULL DEFAULT 0,
    play_count  INTEGER NOT NULL DEFAULT 0,
    played_at   TEXT,
    PRIMARY KEY (user_id, item_kind, item_id)
);
CREATE INDEX annotations_starred ON annotations(user_id, item_kind, starred_at) WHERE starred_at IS NOT NULL;

-- One row per play submitted (scrobble submission=true), with the time the client reports.
CREATE TABLE play_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    played_at   TEXT NOT NULL,
    client      TEXT
);
CREATE INDEX play_events_user ON play_events(user_id, played_at);
CREATE INDEX play_events_track ON play_events(track_id);

CREATE TABLE playlists (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    comment     TEXT,
    public      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX playlists_user ON playlists(user_id);

CREATE TABLE playlist_tracks (
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    PRIMARY KEY (playlist_id, position)
);
CREATE INDEX playlist_tracks_track ON playlist_tracks(track_id);

CREATE TABLE bookmarks (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    position_ms INTEGER NOT NULL,
    comment     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, track_id)
);

CREATE TABLE play_queues (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    current_index INTEGER,
    position_ms INTEGER NOT NULL DEFAULT 0,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL
);

CREATE TABLE play_queue_tracks (
    user_id     INTEGER NOT NULL REFERENCES play_queues(user_id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, position)
);

CREATE TABLE shares (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the unguessable part of the public link (/share/TOKEN); the id alone opens nothing
    token       TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    description TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    last_visited TEXT,
    visit_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE share_tracks (
    share_id    INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, position)
);

CREATE TABLE radio_stations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    stream_url  TEXT NOT NULL,
    homepage_url TEXT,
    created_at  TEXT NOT NULL
);

-- Full-text indexes, one per kind so a query never filters by kind afterwards: case- and
-- diacritics-insensitive words (unicode61, remove_diacritics 2), queried with prefixes. The rowid is
-- the item's id and the tables are contentless (content=''), so a search reads posting lists only,
-- never stored text. "name" is the item's own name (ranked higher), "context" the names around it
-- (artist, album). Rebuilt at the end of each scan that changed the catalog.
CREATE VIRTUAL TABLE search_tracks USING fts5(name, context, content = '', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_albums USING fts5(name, context, content = '', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_artists USING fts5(name, context, content = '', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums;
INSERT INTO search_tracks (rowid, name, context)
    SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id;
