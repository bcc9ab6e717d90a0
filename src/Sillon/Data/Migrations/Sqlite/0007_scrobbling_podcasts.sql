-- Scrobbling to ListenBrainz and Last.fm: each user's linked accounts, and the durable outbox of
-- listens waiting to be sent.

-- One row per user and service. The credential (ListenBrainz user token, Last.fm session key) is
-- AES-GCM ciphertext from PasswordVault (key in data/secret.key), never plain text.
CREATE TABLE scrobble_accounts (
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service         TEXT NOT NULL CHECK (service IN ('listenbrainz', 'lastfm')),
    credential_enc  TEXT,
    -- the account's name on the service, shown in the settings
    remote_user     TEXT,
    -- Last.fm desktop auth: the token from auth.getToken, waiting for the user to authorise it
    pending_token   TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, service)
);

-- One row per listen and service. The listen is copied at enqueue time, so a rescan that renames or
-- removes the track changes nothing about what is sent. Invariant: a row leaves 'pending'/'sending'
-- only to 'sent' or 'failed', and is marked 'sent' only by the claim that sent it.
CREATE TABLE scrobble_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service         TEXT NOT NULL,
    track_id        INTEGER,
    artist          TEXT NOT NULL,
    title           TEXT NOT NULL,
    album           TEXT,
    album_artist    TEXT,
    track_number    INTEGER,
    duration_ms     INTEGER,
    mbz_track_id    TEXT,
    mbz_album_id    TEXT,
    -- when the listen started, Unix seconds: the services deduplicate identical timestamps
    listened_at     INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    -- a sender owns a 'sending' row until claimed_until; after that another may take it over
    claim           TEXT,
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX scrobble_outbox_due ON scrobble_outbox(state, next_attempt_at);
CREATE INDEX scrobble_outbox_user ON scrobble_outbox(user_id, state);

-- Podcasts: channels are server-wide (administrators subscribe), episodes are downloaded into
-- data/podcasts/<channel id>/<episode id>.<suffix>, never under a name taken from the feed.
CREATE TABLE podcast_channels (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL UNIQUE,
    title           TEXT,
    description     TEXT,
    author          TEXT,
    site_url        TEXT,
    image_url       TEXT,
    -- new, completed (last refresh worked) or error (error says why)
    status          TEXT NOT NULL,
    error           TEXT,
    -- how many downloaded episodes to keep; NULL means Podcasts:KeepEpisodes
    keep_episodes   INTEGER,
    created_at      TEXT NOT NULL,
    refreshed_at    TEXT
);

CREATE TABLE podcast_episodes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id      INTEGER NOT NULL REFERENCES podcast_channels(id) ON DELETE CASCADE,
    -- the feed's guid (RSS) or id (Atom), else the enclosure URL
    guid            TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT,
    published_at    TEXT,
    enclosure_url   TEXT NOT NULL,
    enclosure_type  TEXT,
    enclosure_length INTEGER,
    -- OpenSubsonic PodcastStatus: new, downloading, completed, error, deleted, skipped
    status          TEXT NOT NULL,
    error           TEXT,
    -- relative to the data folder; set only while status = 'completed'
    path            TEXT,
    size            INTEGER,
    suffix          TEXT,
    content_type    TEXT,
    duration        REAL,
    bitrate         INTEGER,
    downloaded_at   TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (channel_id, guid)
);
CREATE INDEX podcast_episodes_published ON podcast_episodes(published_at);

-- Where each listener stopped in each episode.
CREATE TABLE podcast_positions (
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    episode_id      INTEGER NOT NULL REFERENCES podcast_episodes(id) ON DELETE CASCADE,
    position_ms     INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, episode_id)
);
