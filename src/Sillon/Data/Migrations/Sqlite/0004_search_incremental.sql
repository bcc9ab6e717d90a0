-- The search tables again, with contentless_delete (SQLite 3.43+): a row can now be deleted by its
-- rowid alone, so a scan updates the index for the tracks and albums it touched instead of
-- rebuilding all of it (which grows with the library, not with the change).
DROP TABLE search_tracks;
DROP TABLE search_albums;
DROP TABLE search_artists;
CREATE VIRTUAL TABLE search_tracks USING fts5(name, context, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_albums USING fts5(name, context, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE search_artists USING fts5(name, context, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums;
INSERT INTO search_tracks (rowid, name, context)
    SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id;
