#!/usr/bin/env python3
"""A client's offline sync: every song by search3 pages of 500 (an empty query), the way Subsonic
clients such as Symfonium and DSub fetch a whole library, until SONGS songs or the end.

usage: bench/scale/sync.py URL AUTH [SONGS]   (AUTH: the u=…&p=…&v=…&c=…&f=json query part; SONGS default 1,000,000)
Prints one line: songs, seconds, and the server's share when /proc tells (the client parses every page).
"""
import http.client, json, sys, time, urllib.parse

url, auth = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
h = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(h.hostname, h.port, timeout=60)
start, total, offset, waiting = time.monotonic(), 0, 0, 0.0
while total < limit:
    asked = time.monotonic()
    conn.request("GET", f"/rest/search3?{auth}&query=&artistCount=0&albumCount=0&songCount=500&songOffset={offset}")
    body = conn.getresponse().read()
    waiting += time.monotonic() - asked
    songs = json.loads(body)["subsonic-response"]["searchResult3"].get("song", [])
    total += len(songs)
    offset += 500
    if len(songs) < 500:
        break
elapsed = time.monotonic() - start
print(f"Client sync by search3 pages of 500: {total:,} songs in {elapsed:.1f} s ({waiting:.1f} s waiting for answers, the rest parsing them)")
