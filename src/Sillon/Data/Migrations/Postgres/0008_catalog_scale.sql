-- What a catalog of millions needs beside a scanned library (SQLite's 0008 without what only SQLite
-- needs: its link tables become WITHOUT ROWID and its FTS5 tables gain prefix indexes; PostgreSQL's
-- link tables are already stored once with their key, and its GIN search index is left as it is).
-- media_path: the file that holds a track's audio when it is not the catalog path itself (a
-- generated catalog points millions of tracks at a handful of real files; a label delivery may
-- name an object key). NULL means "path".
ALTER TABLE tracks ADD COLUMN media_path TEXT;
-- popularity: a precomputed score (a label's chart rank, or plays across the server) that orders
-- search results after exact matches and lets a broad query stop early. BIGINT as every integer here.
ALTER TABLE tracks ADD COLUMN popularity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE albums ADD COLUMN popularity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE artists ADD COLUMN popularity BIGINT NOT NULL DEFAULT 0;

-- Exact-name lookups (the first tier of search) read the most popular first, straight from the index.
DROP INDEX tracks_sort;
CREATE INDEX tracks_sort ON tracks(sort_title, popularity);
DROP INDEX albums_sort;
CREATE INDEX albums_sort ON albums(sort_name, popularity);
DROP INDEX artists_sort;
CREATE INDEX artists_sort ON artists(sort_name, popularity);

-- One index per album list order (getAlbumList2), so that any page is an index range.
CREATE INDEX albums_by_artist ON albums(lower(display_artist), COALESCE(year, 0), sort_name);
CREATE INDEX albums_year ON albums(year, sort_name);
-- byYear from a later year to an earlier one: the years descend, the names within a year still ascend.
CREATE INDEX albums_year_desc ON albums(year DESC, sort_name);
-- alphabeticalByName in (name, id) order, without sorting the albums that share a name.
CREATE INDEX albums_alpha ON albums(sort_name);
CREATE INDEX albums_genre ON albums(lower(genre), sort_name);
-- The artist shelf of a huge catalog (getArtists) takes the most popular artists.
CREATE INDEX artists_popularity ON artists(popularity);
