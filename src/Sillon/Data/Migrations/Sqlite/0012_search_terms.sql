-- Every word the full-text indexes hold, as their tokenizer folded it (Search/SearchIndex.cs).
-- FTS5 answers a prefix of four letters or more ("fore"*) by merging the whole posting list of
-- every word that starts with it before it returns a row: 45 ms for "fore" at 13 million tracks,
-- most of it "forever". Those words, looked up here, become an OR of whole words instead, which
-- FTS5 walks lazily and stops after one page (0.1 ms). Words are only ever added between
-- rebuilds; a word no longer indexed matches nothing, so a stale one costs nothing but a row.
CREATE TABLE search_terms (
    term        TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE VIRTUAL TABLE temp.search_tracks_vocabulary USING fts5vocab(main, search_tracks, row);
CREATE VIRTUAL TABLE temp.search_albums_vocabulary USING fts5vocab(main, search_albums, row);
CREATE VIRTUAL TABLE temp.search_artists_vocabulary USING fts5vocab(main, search_artists, row);
INSERT INTO search_terms (term)
    SELECT term FROM temp.search_tracks_vocabulary
    UNION SELECT term FROM temp.search_albums_vocabulary
    UNION SELECT term FROM temp.search_artists_vocabulary;
DROP TABLE temp.search_tracks_vocabulary;
DROP TABLE temp.search_albums_vocabulary;
DROP TABLE temp.search_artists_vocabulary;
