-- The web player's albums by year (GET /api/v1/albums?sort=year) page by key (KeysetPages) over
-- every album, those without a year first: an index in that order, ending with the id as the
-- ORDER BY does, so a page is an index range, not a sort of every album.
CREATE INDEX albums_by_year ON albums(COALESCE(year, 0), sort_name, id);
