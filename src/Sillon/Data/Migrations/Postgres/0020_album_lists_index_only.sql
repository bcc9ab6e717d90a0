-- The album lists ordered by an expression (the artist's name lowered, a missing year as 0, the
-- genre lowered) keep the columns under the expression too (INCLUDE): PostgreSQL answers from an
-- expression index alone only when those columns are in it. Until now a page's keys came from an
-- index scan that fetched every row it passed from the table: 150 rows for a deep page 100 rows
-- into its anchor's block (0.16 of the statement's 0.35 ms at 13 M tracks). Index-only, that step
-- takes 0.04 ms, and PostgreSQL's CPU per deep page fell by a seventh (docs/benchmarks.md,
-- session 24). The price: albums_by_artist grows from 102 to 141 MiB at 13 M tracks.
DROP INDEX albums_by_artist;
CREATE INDEX albums_by_artist ON albums(lower(display_artist), COALESCE(year, 0), sort_name, id) INCLUDE (display_artist, year);
DROP INDEX albums_genre;
CREATE INDEX albums_genre ON albums(lower(genre), sort_name, id) INCLUDE (genre);
DROP INDEX albums_by_year;
CREATE INDEX albums_by_year ON albums(COALESCE(year, 0), sort_name, id) INCLUDE (year);
