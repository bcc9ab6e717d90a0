#!/usr/bin/env python3
"""Concurrent clients against a running sillon, each on its own keep-alive connection.

usage: load.py URL SECONDS CLIENTS THINK_MS PATHS_FILE
Each client takes the paths of PATHS_FILE in turn (from its own starting point), sends one, waits
for the answer, then thinks THINK_MS before the next (0 = back to back: a closed loop).
SILLON_TOKEN, when set, is sent as a bearer token. Prints one JSON object: requests, errors, req/s, p50, p90, p99, max (milliseconds).
"""
import http.client, json, os, sys, threading, time, urllib.parse

url, seconds, clients, think = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) / 1000
paths = [line.rstrip("\n") for line in open(sys.argv[5], encoding="utf-8") if line.strip()]
host = urllib.parse.urlsplit(url)
latencies, errors, lock = [], [0], threading.Lock()
headers = {"Authorization": f"Bearer {os.environ['SILLON_TOKEN']}"} if os.environ.get("SILLON_TOKEN") else {}
stop_at = time.monotonic() + seconds

def client(n):
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    i = n * 7919 % len(paths)
    mine, bad = [], 0
    while time.monotonic() < stop_at:
        path = paths[i % len(paths)]; i += 1
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse(); body = r.read()
            if r.status != 200 or b'"status":"failed"' in body: bad += 1
        except Exception:
            bad += 1
            conn.close(); conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine.append((time.perf_counter() - start) * 1000)
        if think: time.sleep(think)
    with lock:
        latencies.extend(mine); errors[0] += bad

threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
begin = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - begin
latencies.sort()
q = lambda p: round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else None
print(json.dumps({"requests": len(latencies), "errors": errors[0], "rps": round(len(latencies) / elapsed),
                  "p50": q(0.50), "p90": q(0.90), "p99": q(0.99), "max": round(latencies[-1], 1) if latencies else None}))
