-- Each album's artists ([id, name] pairs in credit order, JSON) kept on the album row itself: a
-- page of 50 albums read them through album_artists and artists, two random lookups per album,
-- a quarter of the CPU of a getAlbumList2 page at 1 M tracks (session 16). album_artists stays the
-- relation the rest of the catalog queries; this is its copy for reading, rewritten with it.
ALTER TABLE albums ADD COLUMN artist_refs text;
UPDATE albums a SET artist_refs = r.refs
FROM (SELECT aa.album_id, json_agg(json_build_array(ar.id, ar.name) ORDER BY aa.position)::text AS refs
      FROM album_artists aa JOIN artists ar ON ar.id = aa.artist_id GROUP BY aa.album_id) r
WHERE r.album_id = a.id;
