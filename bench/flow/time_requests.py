#!/usr/bin/env python3
"""Times N sequential GET requests with a bearer token over one keep-alive connection.

usage: time_requests.py BASE_URL TOKEN N PATH...   (PATH may hold {i}, replaced by the request number)
Prints one Markdown row per PATH: the path, n, p50, p90, p99 and max in milliseconds.
"""
import http.client, sys, time, urllib.parse

base, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
for path in sys.argv[4:]:
    times = []
    for i in range(n + 5):
        t0 = time.perf_counter()
        conn.request("GET", path.replace("{i}", str(i)), headers={"Authorization": f"Bearer {token}"})
        r = conn.getresponse()
        body = r.read()
        dt = (time.perf_counter() - t0) * 1000
        if r.status != 200:
            sys.exit(f"{path}: HTTP {r.status}: {body[:300]!r}")
        if i >= 5: times.append(dt)  # the first five warm the JIT and the page cache
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"| `{path}` | {n} | {q(0.5):.1f} | {q(0.9):.1f} | {q(0.99):.1f} | {times[-1]:.1f} |")
