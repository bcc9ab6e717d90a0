#!/usr/bin/env python3
"""Each request of a list alone, one after the other on one keep-alive connection, against a
running server: the cost of a request with no queue in front of it, to set beside ab.sh's figures
under load (the difference is waiting for the cores). Prints p50/p90/p99/max of the best of
REPEATS tries of each, then the slowest requests.

usage: bench/scale/alone.py URL PATHS_FILE [REPEATS]   (PATHS_FILE: one path per line, as run.sh writes)
"""
import http.client
import sys
import time
import urllib.parse

if len(sys.argv) < 3:
    sys.exit(__doc__)
url = urllib.parse.urlparse(sys.argv[1])
paths = [line.strip() for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
conn = http.client.HTTPConnection(url.hostname, url.port)
results = []
for path in paths:
    best, size = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"{response.status} for {path}")
        best, size = min(best, time.perf_counter() - start), len(body)
    results.append((best * 1000, size, path))
ms = sorted(r[0] for r in results)
at = lambda q: ms[min(len(ms) - 1, int(len(ms) * q))]
print(f"| requests | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|\n| {len(ms)} | {at(.5):.1f} | {at(.9):.1f} | {at(.99):.1f} | {ms[-1]:.1f} |")
print("\nslowest:")
for elapsed, size, path in sorted(results, reverse=True)[:15]:
    print(f"{elapsed:7.1f} ms {size:8d} B  {urllib.parse.unquote(urllib.parse.urlparse(path).query)[-60:]}")
