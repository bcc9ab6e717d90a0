-- SQLite only: the word list its FTS5 prefix search needs (see the SQLite migration of the same
-- number). PostgreSQL's tsquery prefixes (word:*) read the GIN index without merging first.
SELECT 1;
