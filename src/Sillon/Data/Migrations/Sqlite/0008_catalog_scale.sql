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

-- The link tables become WITHOUT ROWID: their primary key is the row, so each link is stored once
-- (not a rowid row plus a key index). At 13 million tracks that is tens of millions of rows saved,
-- and writing a link touches one B-tree instead of two.
CREATE TABLE track_artists_new (
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    artist_id   INTEGER NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('artist', 'albumartist', 'composer')),
    position    INTEGER NOT NULL,
    PRIMARY KEY (track_id, role, position)
) WITHOUT ROWID;
INSERT INTO track_artists_new SELECT track_id, artist_id, role, position FROM track_artists;
DROP TABLE track_artists;
ALTER TABLE track_artists_new RENAME TO track_artists;
CREATE INDEX track_artists_artist ON track_artists(artist_id, role);

CREATE TABLE track_genres_new (
    track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    genre_id    INTEGER NOT NULL REFERENCES genres(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (track_id, position)
) WITHOUT ROWID;
INSERT INTO track_genres_new SELECT track_id, genre_id, position FROM track_genres;
DROP TABLE track_genres;
ALTER TABLE track_genres_new RENAME TO track_genres;
-- In a WITHOUT ROWID table an index carries the primary key: this one is (genre_id, track_id,
-- position), so it also serves as the covering (genre_id, track_id) index that 0005 made.
CREATE INDEX track_genres_genre ON track_genres(genre_id);

CREATE TABLE album_artists_new (
    album_id    INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    artist_id   INTEGER NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (album_id, position)
) WITHOUT ROWID;
INSERT INTO album_artists_new SELECT album_id, artist_id, position FROM album_artists;
DROP TABLE album_artists;
ALTER TABLE album_artists_new RENAME TO album_artists;
CREATE INDEX album_artists_artist ON album_artists(artist_id);

-- Exact-name lookups (the first tier of search) read the most popular first, straight from the index.
DROP INDEX tracks_sort;
CREATE INDEX tracks_sort ON tracks(sort_title, popularity);
DROP INDEX albums_sort;
CREATE INDEX albums_sort ON albums(sort_name, popularity);
DROP INDEX artists_sort;
CREATE INDEX artists_sort ON artists(sort_name, popularity);

-- The search tables again, for catalogs of millions:
-- * prefix = '2 3': two- and three-letter prefixes get posting lists of their own, so "lo" is one
--   lookup walked lazily in id order, not a merge of every word that starts with "lo" (seconds at
--   13 million tracks); longer prefixes are rarer words and merge quickly.
-- * detail = column: which column matched is kept (name before context), word positions are not
--   (phrase queries are not offered): about half the size.
DROP TABLE search_tracks;
DROP TABLE search_albums;
DROP TABLE search_artists;
CREATE VIRTUAL TABLE search_tracks USING fts5(name, context, content = '', contentless_delete = 1, detail = column, prefix = '2 3', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_albums USING fts5(name, context, content = '', contentless_delete = 1, detail = column, prefix = '2 3', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_artists USING fts5(name, context, content = '', contentless_delete = 1, detail = column, prefix = '2 3', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums;
INSERT INTO search_tracks (rowid, name, context)
    SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id;

-- One index per album list order (getAlbumList2), so that any page is an index range.
CREATE INDEX albums_by_artist ON albums(lower(display_artist), COALESCE(year, 0), sort_name);
CREATE INDEX albums_year ON albums(year, sort_name);
CREATE INDEX albums_genre ON albums(lower(genre), sort_name);
-- The artist shelf of a huge catalog (getArtists) takes the most popular artists.
CREATE INDEX artists_popularity ON artists(popularity);
