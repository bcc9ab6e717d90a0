-- The keys the catalog sorts, pages and looks up by compare byte by byte, as SQLite's BINARY
-- collation does: sort names and titles, paths, fingerprints, ISO-8601 dates, artist and album keys.
-- Under the database's default collation (en_US.UTF-8, say) PostgreSQL ordered them by the
-- language's rules, so an alphabetical list could differ from SQLite's on the same catalog; and
-- "C" compares with memcmp and sorts by abbreviated keys, where a libc locale calls strcoll per
-- comparison: building these indexes over 1 M generated tracks took about a third less time.
-- Each statement rebuilds the indexes on its columns (no row is rewritten): minutes at 13 M tracks.
ALTER TABLE artists
    ALTER COLUMN sort_name TYPE TEXT COLLATE "C",
    ALTER COLUMN artist_key TYPE TEXT COLLATE "C";
ALTER TABLE albums
    ALTER COLUMN sort_name TYPE TEXT COLLATE "C",
    ALTER COLUMN album_key TYPE TEXT COLLATE "C",
    ALTER COLUMN created_at TYPE TEXT COLLATE "C";
ALTER TABLE tracks
    ALTER COLUMN sort_title TYPE TEXT COLLATE "C",
    ALTER COLUMN path TYPE TEXT COLLATE "C",
    ALTER COLUMN fingerprint TYPE TEXT COLLATE "C",
    ALTER COLUMN created_at TYPE TEXT COLLATE "C";
