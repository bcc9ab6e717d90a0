#!/usr/bin/env python3
"""Database size on disk, and what the search index and the largest tables and indexes take
(on PostgreSQL a table counts its TOAST table too: long posting lists live there).

usage: sizes.py DB_FILE_OR_URL"""
import os, sys
from catalogdb import Catalog

db = Catalog(sys.argv[1])
if db.postgres:
    rows = [(n, int(b)) for n, b in db.rows("""
        SELECT c.relname, CASE c.relkind WHEN 'r' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'i') ORDER BY 2 DESC""")]
    total = int(db.rows("SELECT pg_database_size(current_database())")[0][0])
else:
    rows = db.rows("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
    total = os.path.getsize(sys.argv[1])
mib = lambda b: f"{b / 1048576:,.0f} MiB"
search = sum(b for n, b in rows if n.startswith("search_"))
print(f"| database {'(pg_database_size)' if db.postgres else 'file'} | {mib(total)} |")
print(f"| search index (search_* tables and their indexes) | {mib(search)} |")
for name, size in rows[:12]:
    print(f"| {name} | {mib(size)} |")
