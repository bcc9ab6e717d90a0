#!/usr/bin/env python3
"""Database size on disk, and what the search index and the largest tables and indexes take."""
import os, sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
rows = c.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
mib = lambda b: f"{b / 1048576:,.0f} MiB"
search = sum(b for n, b in rows if n.startswith("search_"))
print(f"| database file | {mib(os.path.getsize(db))} |")
print(f"| search index (search_* tables) | {mib(search)} |")
for name, size in rows[:12]:
    print(f"| {name} | {mib(size)} |")
