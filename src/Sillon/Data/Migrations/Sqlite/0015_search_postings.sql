-- PostgreSQL only: its search index becomes posting lists of its own (see the PostgreSQL migration
-- of the same number). SQLite's FTS5 tables already are.
SELECT 1;
