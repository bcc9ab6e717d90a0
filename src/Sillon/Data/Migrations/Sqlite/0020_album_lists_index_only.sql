-- Nothing to change here; this keeps the two databases' migration lists in step. PostgreSQL's
-- script of this number adds the columns under its album lists' expressions to their indexes, so
-- that a page's keys are read from the index alone. SQLite has no INCLUDE, and its album pages at
-- 13 M tracks met their target without it (docs/benchmarks.md, session 24).
SELECT 1;
