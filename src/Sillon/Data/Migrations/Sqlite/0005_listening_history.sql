-- Listening history: every play is an event with how long it was actually heard and whether it was
-- skipped; per-user counts stay in annotations (tracks, albums and now artists), which Flow reads as
-- the listener's affinities. Flow remembers what it suggested so an endless stream does not repeat.

-- ms_played: what the listener heard (a Subsonic scrobble, which has no length, counts the whole
-- track). skipped: heard less than the counting threshold (Listening/PlayHistory.cs). source: the
-- API that reported it ('subsonic' or 'rest').
ALTER TABLE play_events ADD COLUMN ms_played INTEGER NOT NULL DEFAULT 0;
ALTER TABLE play_events ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE play_events ADD COLUMN source TEXT NOT NULL DEFAULT 'subsonic';
UPDATE play_events SET ms_played = COALESCE((SELECT CAST(t.duration * 1000 AS BIGINT) FROM tracks t WHERE t.id = play_events.track_id), 0);
CREATE INDEX play_events_user_track ON play_events(user_id, track_id);
CREATE INDEX play_events_time ON play_events(played_at);

-- Skips per user and item, beside play_count (which counts only plays that were not skipped).
ALTER TABLE annotations ADD COLUMN skip_count INTEGER NOT NULL DEFAULT 0;
-- "Who plays this artist": co-listening and server-wide counts read annotations by item.
CREATE INDEX annotations_item ON annotations(item_kind, item_id, play_count);

-- Artists' play counts were not kept before: derive them from the events already recorded.
INSERT INTO annotations (user_id, item_kind, item_id, play_count, played_at)
    SELECT pe.user_id, 'artist', ta.artist_id, COUNT(*), MAX(pe.played_at)
    FROM play_events pe JOIN track_artists ta ON ta.track_id = pe.track_id AND ta.role = 'artist'
    WHERE true
    GROUP BY pe.user_id, ta.artist_id
    ON CONFLICT (user_id, item_kind, item_id) DO UPDATE SET play_count = excluded.play_count, played_at = excluded.played_at;

-- What Flow suggested lately, per user (trimmed to the repeat window on each request).
CREATE TABLE flow_suggestions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    track_id     INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    suggested_at TEXT NOT NULL
);
CREATE INDEX flow_suggestions_user ON flow_suggestions(user_id, id);

-- MusicBrainz relations: tracks credited to an artist's MusicBrainz id.
CREATE INDEX tracks_mbz_artist ON tracks(mbz_artist_id) WHERE mbz_artist_id IS NOT NULL;
CREATE INDEX tracks_year ON tracks(year);
-- Flow samples a genre by a range of track ids.
CREATE INDEX track_genres_genre_track ON track_genres(genre_id, track_id);
