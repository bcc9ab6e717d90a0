-- track_genres_genre (genre_id) is the first column of track_genres_genre_track (genre_id,
-- track_id), which 0005 added: every lookup by genre can use the longer one, which also holds the
-- track id that such a lookup wants. Keeping both cost 103 MiB at 13 M generated tracks, one more
-- B-tree to build on a load and one more to write on every scan. SQLite's script 0008 already
-- left one index there.
DROP INDEX IF EXISTS track_genres_genre;
