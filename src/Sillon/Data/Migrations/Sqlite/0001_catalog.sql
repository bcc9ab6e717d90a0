-- Catalog, accounts and scan bookkeeping. Ids are INTEGER rowids with AUTOINCREMENT so that a
-- deleted row's id is never handed to a new one (favourites and playlists point at ids).

CREATE TABLE library_roots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    path        TEXT NOT NULL UNIQUE
);

CREATE TABLE folders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    root_id     INTEGER NOT NULL REFERENCES library_roots(id) ON DELETE CASCADE,
    parent_id   INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    path        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- the best folder image by the configured priority, as a file name inside the folder
    cover_name  TEXT
);
CREATE INDEX folders_parent ON folders(parent_id);

CREATE TABLE artists (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    sort_name   TEXT NOT NULL,
    -- MusicBrainz artist id when known, else the folded name: the identity used while scanning
    artist_key  TEXT NOT NULL UNIQUE,
    mbz_id      TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX artists_sort ON artists(sort_name);

CREATE TABLE albums (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    -- MusicBrainz album id when known, else folded album artist + album name
    album_key               TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL,
    sort_name               TEXT NOT NULL,
    display_artist          TEXT NOT NULL,
    compilation             INTEGER NOT NULL DEFAULT 0,
    mbz_album_id            TEXT,
    mbz_release_group_id    TEXT,
    -- aggregates, refreshed at the end of each scan for the albums it touched
    year                    INTEGER,
    date                    TEXT,
    original_date           TEXT,
    genre                   TEXT,
    track_count             INTEGER NOT NULL DEFAULT 0,
    disc_count              INTEGER NOT NULL DEFAULT 0,
    duration                REAL NOT NULL DEFAULT 0,
    size                    INTEGER NOT NULL DEFAULT 0,
    -- cover art by reference: a folder image path, else a track with an embedded picture
    cover_path              TEXT,
    cover_track_id          INTEGER,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX albums_sort ON albums(sort_name);
CREATE INDEX albums_created ON albums(created_at);

CREATE TABLE album_artists (
    album_id    INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    artist_id   INTEGER NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (album_id, position)
);
CREATE INDEX album_artists_artist ON album_artists(artist_id);

CREATE TABLE genres (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE tracks (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    root_id                 INTEGER NOT NULL REFERENCES library_roots(id),
    folder_id               INTEGER REFERENCES folders(id) ON DELETE SET NULL,
    album_id                INTEGER NOT NULL REFERENCES albums(id),
    path                    TEXT NOT NULL UNIQUE,
    size                    INTEGER NOT NULL,
    -- file modification time in Unix milliseconds: with size, decides whether a rescan reads the file
    mtime                   INTEGER NOT NULL,
    -- hash of the tags and duration, used to recognise a file that moved inside the library
    fingerprint             TEXT NOT NULL,
    title                   TEXT NOT NULL,
    sort_title              TEXT NOT NULL,
    display_artist          TEXT NOT NULL,
    display_album_artist    TEXT NOT NULL,
    track_number            INTEGER,
    track_total             INTEGER,
    disc_number             INTEGER,
    disc_total              INTEGER,
    disc_subtitle           TEXT,
    year                    INTEGER,
    date                    TEXT,
    original_date           TEXT,
    composer                TEXT,
    isrc                    TEXT,
    bpm                     INTEGER,
    compilation             INTEGER NOT NULL DEFAULT 0,
    mbz_track_id            TEXT,
    mbz_album_id            TEXT,
    mbz_artist_id           TEXT,
    mbz_album_artist_id     TEXT,
    mbz_release_group_id    TEXT,
    rg_track_gain           REAL,
    rg_track_peak           REAL,
    rg_album_gain           REAL,
    rg_album_peak           REAL,
    lyrics                  TEXT,
    has_picture             INTEGER NOT NULL DEFAULT 0,
    duration                REAL NOT NULL,
    bitrate                 INTEGER NOT NULL,
    sample_rate             INTEGER NOT NULL,
    bit_depth               INTEGER NOT NULL,
    channels                INTEGER NOT NULL,
    codec                   TEXT NOT NULL,
    suffix                  TEXT NOT NULL,
    content_type            TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number);
CREATE INDEX tracks_folder ON tracks(folder_id);
CREATE INDEX tracks_root ON tracks(root_id);
CREATE INDEX tracks_fingerprint ON tracks(fingerprint);
CREATE INDEX tracks_sort ON tracks(sort_title);

CREATE TABLE track_artists (
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    artist_id   INTEGER NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('artist', 'albumartist', 'composer')),
    position    INTEGER NOT NULL,
    PRIMARY KEY (track_id, role, position)
);
CREATE INDEX track_artists_artist ON track_artists(artist_id, role);

CREATE TABLE track_genres (
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    genre_id    INTEGER NOT NULL REFERENCES genres(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (track_id, position)
);
CREATE INDEX track_genres_genre ON track_genres(genre_id);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash   TEXT NOT NULL,
    is_admin        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the bearer token: a stolen database does not hand out live tokens
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE scan_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    -- running | completed | failed | interrupted (found 'running' at start-up: the process died)
    status      TEXT NOT NULL,
    full_scan   INTEGER NOT NULL,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    errors      TEXT NOT NULL DEFAULT '[]'
);
