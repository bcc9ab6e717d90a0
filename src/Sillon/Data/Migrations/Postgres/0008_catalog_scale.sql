-- What a catalog of millions needs beside a scanned library.
-- media_path: the file that holds a track's audio when it is not the catalog path itself (a
-- generated catalog points millions of tracks at a handful of real files; a label delivery may
-- name an object key). NULL means "path".
ALTER TABLE tracks ADD COLUMN media_path TEXT;
-- popularity: a precomputed score (a label's chart rank, or plays across the server) that orders
-- search results after exact matches and lets a broad query stop early.
ALTER TABLE tracks ADD COLUMN popularity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE albums ADD COLUMN popularity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE artists ADD COLUMN popularity INTEGER NOT NULL DEFAULT 0;

CREATE INDEX albums_by_artist ON albums(lower(display_artist), COALESCE(year, 0), sort_name);
CREATE INDEX albums_year ON albums(year, sort_name);
-- byYear from a later year to an earlier one: the years descend, the names within a year still ascend.
CREATE INDEX albums_year_desc ON albums(year DESC, sort_name);
-- alphabeticalByName in (name, id) order, without sorting the albums that share a name.
CREATE INDEX albums_alpha ON albums(sort_name);
CREATE INDEX albums_genre ON albums(lower(genre), sort_name);
-- The artist shelf of a huge catalog (getArtists) takes the most popular artists.
CREATE INDEX artists_popularity ON artists(popularity);
