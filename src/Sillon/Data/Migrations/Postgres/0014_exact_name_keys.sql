-- A search's exact-name tier reads the few most popular items with exactly that name:
--   WHERE sort_title = @key ORDER BY popularity DESC, id LIMIT n
-- The index held (sort_title, popularity) only, so PostgreSQL fetched every row of the name from
-- the table to sort it: a common title ("moon", 1,292 tracks at a million) cost 1,279 table pages,
-- seconds when they were not in memory. In the order of the query, the index gives the first n rows
-- in n steps. SQLite's indexes end with the rowid and walk backwards, so SQLite keeps its own.
DROP INDEX tracks_sort;
CREATE INDEX tracks_sort ON tracks(sort_title, popularity DESC, id);
DROP INDEX albums_sort;
CREATE INDEX albums_sort ON albums(sort_name, popularity DESC, id);
DROP INDEX artists_sort;
CREATE INDEX artists_sort ON artists(sort_name, popularity DESC, id);
