-- Search on PostgreSQL moves from tsvector and GIN to posting lists of its own (Search/PostgresSearch.cs):
-- a prefix in a GIN index merged every matching word's list before the first row and gave no
-- order, 0.2–6 s at 13 million tracks. The migrator fills the new tables after this script, from the catalog.
DROP TABLE search_tracks;
DROP TABLE search_albums;
DROP TABLE search_artists;

-- kind: 0 track, 1 album, 2 artist. term: a folded word, or '*' and a word's first two or three
-- letters. block: id >> 16. name, context: the block's ids with the term in the name, and with it
-- only in the context (artist, album), as gaps in seven-bit groups. Byte order ("C") for word ranges.
CREATE TABLE search_postings (
    kind SMALLINT NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    block INTEGER NOT NULL,
    name BYTEA,
    context BYTEA,
    PRIMARY KEY (kind, term, block)
);
-- The lists hardly compress: kept out of line uncompressed, with no CPU spent on each read.
ALTER TABLE search_postings ALTER COLUMN name SET STORAGE EXTERNAL, ALTER COLUMN context SET STORAGE EXTERNAL;
-- A scan rebuilds the blocks it touched.
CREATE INDEX search_postings_block ON search_postings (kind, block);

-- Every term of each kind, for the words of four letters or more that a user types as prefixes.
CREATE TABLE search_words (
    kind SMALLINT NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kind, term)
);
