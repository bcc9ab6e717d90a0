-- Each artist's number of albums, kept by the scanner's album pass and the catalog generator
-- (Catalog/ArtistAlbums.cs); see the SQLite migration of the same number.
ALTER TABLE artists ADD COLUMN album_count INTEGER NOT NULL DEFAULT 0;

UPDATE artists SET album_count = counts.n FROM (
    SELECT artist_id, COUNT(DISTINCT album_id) AS n FROM (
        SELECT artist_id, album_id FROM album_artists
        UNION ALL SELECT ta.artist_id, t.album_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.role = 'artist') links
    GROUP BY artist_id) counts
WHERE counts.artist_id = artists.id;

-- Artists that lost a link since the last count (an edited tag, a deleted file).
CREATE TABLE artists_recount (
    artist_id   BIGINT PRIMARY KEY
);

CREATE FUNCTION artists_recount_note() RETURNS trigger AS $$
BEGIN
    INSERT INTO artists_recount (artist_id) VALUES (OLD.artist_id) ON CONFLICT (artist_id) DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER track_artists_recount AFTER DELETE ON track_artists FOR EACH ROW EXECUTE FUNCTION artists_recount_note();
CREATE TRIGGER album_artists_recount AFTER DELETE ON album_artists FOR EACH ROW EXECUTE FUNCTION artists_recount_note();
