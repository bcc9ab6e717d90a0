-- Each album's artists ([id, name] pairs in credit order, JSON) kept on the album row itself: a
-- page of 50 albums read them through album_artists and artists, two random lookups per album,
-- a quarter of the CPU of a getAlbumList2 page at 1 M tracks (session 16). album_artists stays the
-- relation the rest of the catalog queries; this is its copy for reading, rewritten with it.
ALTER TABLE albums ADD COLUMN artist_refs TEXT;
UPDATE albums SET artist_refs = (
    SELECT json_group_array(json_array(ar.id, ar.name) ORDER BY aa.position)
    FROM album_artists aa JOIN artists ar ON ar.id = aa.artist_id WHERE aa.album_id = albums.id);
