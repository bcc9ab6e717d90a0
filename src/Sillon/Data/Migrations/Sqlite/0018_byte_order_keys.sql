-- SQLite compares these keys byte by byte already (BINARY, its default collation): PostgreSQL's
-- script of this number makes its own do the same.
SELECT 1;
