-- Nothing to drop: SQLite's track_genres_genre (genre_id) is the only index on that column, and as
-- track_genres is WITHOUT ROWID it already holds (genre_id, track_id, position) (script 0008).
-- PostgreSQL's script of this number drops its shorter duplicate.
SELECT 1;
