#!/usr/bin/python3
"""Time to first byte of N sequential GETs: connect, send the request, wait for the first byte
of the response, close. This is what a player sees when the user presses play. Raw sockets keep
the client's own overhead to a few microseconds.

    ttfb.py URL [--n 500] [--header 'Authorization: Bearer …'] [--range bytes=0-]
Prints: p50/p90/p99/max in ms and the status line of the first response.
"""
import argparse
import socket
import statistics
import time
from urllib.parse import urlsplit


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--range", default=None, help="e.g. bytes=0- ; none by default")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--pause", type=float, default=0, help="ms to sleep between requests")
    a = ap.parse_args()
    u = urlsplit(a.url)
    host, port = u.hostname, u.port or 80
    path = u.path + (("?" + u.query) if u.query else "")
    headers = [f"Host: {u.netloc}", "User-Agent: sillon-bench-ttfb", "Accept: */*"] + a.header
    if a.range:
        headers.append(f"Range: {a.range}")
    req = (f"GET {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n").encode()
    times, status = [], None
    for i in range(a.warmup + a.n):
        t0 = time.perf_counter()
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(req)
        first = s.recv(4096)
        t1 = time.perf_counter()
        s.close()
        if not first:
            raise SystemExit("connection closed without a response")
        if status is None:
            status = first.split(b"\r\n", 1)[0].decode(errors="replace")
        if i >= a.warmup:
            times.append((t1 - t0) * 1000)
        if a.pause:
            time.sleep(a.pause / 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))]
    print(f"RESULT n={len(times)} p50_ms={q(50):.3f} p90_ms={q(90):.3f} p99_ms={q(99):.3f} "
          f"max_ms={times[-1]:.3f} mean_ms={statistics.fmean(times):.3f} status={status.split()[1] if status and len(status.split())>1 else status}")


if __name__ == "__main__":
    main()
