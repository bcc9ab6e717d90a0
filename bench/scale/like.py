#!/usr/bin/env python3
"""The baseline: the same terms as a plain LIKE '%term%' over titles and artists, one query at a
time, first 20 rows (unranked) and the 20 most popular (ranked: the whole match set is read). On
PostgreSQL also with pg_trgm: a trigram GIN index on both columns (built here once, timed), queried
by the same ILIKE.

usage: like.py DB_FILE_OR_URL TERMS_FILE COUNT"""
import json, sys, time
from catalogdb import Catalog

db = Catalog(sys.argv[1])
terms = [t.strip() for t in open(sys.argv[2], encoding="utf-8") if t.strip()][:int(sys.argv[3])]
like = "LIKE" if not db.postgres else "ILIKE"  # SQLite's LIKE ignores ASCII case; ILIKE is the same on PostgreSQL


def run(sql, setup=""):
    times = sorted(db.timed([(sql, (f"%{t}%", f"%{t}%")) for t in terms], setup))
    return {"p50": round(times[len(times) // 2], 1), "p99": round(times[min(len(times) - 1, int(len(times) * .99))], 1)}


first20 = f"SELECT id FROM tracks WHERE title {like} ? OR display_artist {like} ? LIMIT 20"
top20 = f"SELECT id FROM tracks WHERE title {like} ? OR display_artist {like} ? ORDER BY popularity DESC LIMIT 20"
result = {}
if db.postgres:
    # Without the trigram index first: the plain scan.
    plain = "SET enable_bitmapscan = off;"
    result["first20"], result["top20"] = run(first20, plain), run(top20, plain)
    start = time.monotonic()
    db.rows("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    db.rows("SET maintenance_work_mem = '1GB'; CREATE INDEX IF NOT EXISTS bench_tracks_trgm ON tracks USING gin (title gin_trgm_ops, display_artist gin_trgm_ops)")
    result["trgmIndexSeconds"] = round(time.monotonic() - start, 1)
    result["trgmIndexMiB"] = round(int(db.rows("SELECT pg_relation_size('bench_tracks_trgm')")[0][0]) / 1048576)
    result["trgmFirst20"], result["trgmTop20"] = run(first20), run(top20)
else:
    result["first20"], result["top20"] = run(first20), run(top20)
print(json.dumps(result))
