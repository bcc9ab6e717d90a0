-- Each album list's index ends with the id, as its ORDER BY does (KeysetPages needs a total order).
-- SQLite's indexes end with the rowid implicitly; PostgreSQL's did not, so a page fetched its rows
-- from the table for their ids and sorted them (a deep "newest" page at 13 million tracks: 25–90 ms).
-- Now a page is an index-only range (0.4–0.8 ms).
DROP INDEX albums_created;
CREATE INDEX albums_created ON albums(created_at, id);
DROP INDEX albums_alpha;
CREATE INDEX albums_alpha ON albums(sort_name, id);
DROP INDEX albums_by_artist;
CREATE INDEX albums_by_artist ON albums(lower(display_artist), COALESCE(year, 0), sort_name, id);
DROP INDEX albums_year;
CREATE INDEX albums_year ON albums(year, sort_name, id);
DROP INDEX albums_year_desc;
CREATE INDEX albums_year_desc ON albums(year DESC, sort_name, id);
DROP INDEX albums_genre;
CREATE INDEX albums_genre ON albums(lower(genre), sort_name, id);
