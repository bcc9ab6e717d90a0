-- PostgreSQL only: its exact-name indexes follow the search's ORDER BY (popularity DESC, id); see
-- the PostgreSQL migration of the same number. SQLite walks (name, popularity, rowid) backwards.
SELECT 1;
