-- Each artist's number of albums (credited on the album, or playing on one of its tracks), kept by
-- the scanner's album pass and the catalog generator (Catalog/ArtistAlbums.cs). Counted at read
-- time it joined every track of every artist on the page: 5–10 ms for the twenty artists of one
-- search at 13 million tracks, and most of getArtists' time.
ALTER TABLE artists ADD COLUMN album_count INTEGER NOT NULL DEFAULT 0;

UPDATE artists SET album_count = (SELECT COUNT(*) FROM (
    SELECT album_id FROM album_artists WHERE artist_id = artists.id
    UNION SELECT t.album_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = artists.id AND ta.role = 'artist') x);

-- Artists that lost a link since the last count. The album pass recounts the artists of the albums
-- it touched; an artist taken off a track (an edited tag, a deleted file) is no longer among them.
CREATE TABLE artists_recount (
    artist_id   INTEGER PRIMARY KEY
);

CREATE TRIGGER track_artists_recount AFTER DELETE ON track_artists
BEGIN
    INSERT INTO artists_recount (artist_id) VALUES (OLD.artist_id) ON CONFLICT (artist_id) DO NOTHING;
END;

CREATE TRIGGER album_artists_recount AFTER DELETE ON album_artists
BEGIN
    INSERT INTO artists_recount (artist_id) VALUES (OLD.artist_id) ON CONFLICT (artist_id) DO NOTHING;
END;
