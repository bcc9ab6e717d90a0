#!/usr/bin/env python3
"""The baseline: the same terms as a plain LIKE '%term%' over titles and artists, one query at a
time, first 20 rows (unranked) and the 20 most popular (ranked: the whole match set is read)."""
import json, sqlite3, sys, time
db, terms = sys.argv[1], [t.strip() for t in open(sys.argv[2], encoding="utf-8") if t.strip()][:int(sys.argv[3])]
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
def run(sql):
    times = []
    for t in terms:
        start = time.perf_counter(); c.execute(sql, (f"%{t}%", f"%{t}%")).fetchall(); times.append((time.perf_counter() - start) * 1000)
    times.sort(); return {"p50": round(times[len(times) // 2], 1), "p99": round(times[min(len(times) - 1, int(len(times) * .99))], 1)}
print(json.dumps({
    "first20": run("SELECT id FROM tracks WHERE title LIKE ? OR display_artist LIKE ? LIMIT 20"),
    "top20": run("SELECT id FROM tracks WHERE title LIKE ? OR display_artist LIKE ? ORDER BY popularity DESC LIMIT 20"),
}))
