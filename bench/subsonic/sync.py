#!/usr/bin/env python3
"""A client's offline sync: every song through search3 with an empty query, pages of 500, one
kept-alive connection. usage: sync.py URL AUTH_QUERY"""
import http.client, json, sys, time, urllib.parse

url, auth = urllib.parse.urlparse(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection(url.hostname, url.port)
start, offset, total, slowest = time.time(), 0, 0, 0.0
while True:
    t = time.time()
    conn.request("GET", f"/rest/search3?{auth}&query=&artistCount=0&albumCount=0&songCount=500&songOffset={offset}")
    body = conn.getresponse().read()
    slowest = max(slowest, time.time() - t)
    n = len(json.loads(body)["subsonic-response"]["searchResult3"].get("song", []))
    total, offset = total + n, offset + 500
    if n < 500:
        break
print(f"{total:,} songs in {time.time() - start:.2f} s (slowest page {slowest * 1000:.0f} ms)")
