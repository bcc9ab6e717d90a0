-- Each album list's index ends with the id, as its ORDER BY does (KeysetPages needs a total order).
-- SQLite's indexes end with the rowid implicitly; PostgreSQL's did not, so at 13 million tracks a
-- page read every album of its first key's value from the table and sorted them (getAlbumList2
-- page after page: 745 ms p50 under 32 clients). Now a page is an index-only range.
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
