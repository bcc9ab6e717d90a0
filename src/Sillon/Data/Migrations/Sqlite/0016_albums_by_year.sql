-- The web player's albums by year (GET /api/v1/albums?sort=year) page by key (KeysetPages) over
-- every album, those without a year first: an index in that order, so a page is a range, not a sort.
CREATE INDEX albums_by_year ON albums(COALESCE(year, 0), sort_name);
