-- PostgreSQL only: its album list indexes gain the id as a last column (see the PostgreSQL
-- migration of the same number). Every SQLite index already ends with the rowid.
SELECT 1;
