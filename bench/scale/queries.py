#!/usr/bin/env python3
"""Request paths for the scale benchmark, drawn from the generated catalog itself.

usage: queries.py DB_FILE_OR_URL OUT_DIR AUTH_QUERY
Writes search.txt (search3 as a listener types: 2-, 3- and 4-letter prefixes and two-word
prefixes of real titles and artists), rest-search.txt (the same on /api/v1/search), terms.txt
(the raw terms, for the LIKE baseline), browse-seq.txt (getAlbumList2 of every type, page after
page as a client scrolls), browse-deep.txt (pages at random depths, cold), items.txt (getAlbum,
getArtist, getArtists).
"""
import random, sys, urllib.parse
from catalogdb import Catalog

db, out, auth = sys.argv[1], sys.argv[2], sys.argv[3]
c = Catalog(db)
rnd = random.Random(7)
max_track = int(c.rows("SELECT MAX(id) FROM tracks")[0][0])
max_album = int(c.rows("SELECT MAX(id) FROM albums")[0][0])
max_artist = int(c.rows("SELECT MAX(id) FROM artists")[0][0])

names = []
for _ in range(150):
    row = c.rows("SELECT title, display_artist FROM tracks WHERE id >= ? ORDER BY id LIMIT 1", (rnd.randint(1, max_track),))[0]
    names += [row[0], row[1]]
terms = []
for name in names:
    words = [w for w in name.replace("&", " ").split() if len(w) >= 2]
    if not words: continue
    first = words[0]
    for n in (2, 3, 4):
        if len(first) >= n: terms.append(first[:n])
    if len(words) > 1: terms.append(f"{words[0]} {words[1][:2]}")
rnd.shuffle(terms)
q = lambda s: urllib.parse.quote(s)
with open(f"{out}/terms.txt", "w", encoding="utf-8") as f: f.write("\n".join(terms) + "\n")
with open(f"{out}/search.txt", "w") as f:
    for t in terms: f.write(f"/rest/search3?{auth}&query={q(t)}\n")
with open(f"{out}/rest-search.txt", "w") as f:
    for t in terms: f.write(f"/api/v1/search?q={q(t)}&limit=20\n")

types = ["newest", "alphabeticalByName", "alphabeticalByArtist", "byYear&fromYear=1990&toYear=2026", "byGenre&genre=Pop", "random"]
with open(f"{out}/browse-seq.txt", "w") as f:
    # Each type paged 40 deep, pages interleaved so the file's order is what several scrolling clients do.
    for page in range(40):
        for t in types: f.write(f"/rest/getAlbumList2?{auth}&type={t}&size=50&offset={page * 50}\n")
with open(f"{out}/browse-deep.txt", "w") as f:
    for _ in range(600):
        t = rnd.choice(types[:-1]); f.write(f"/rest/getAlbumList2?{auth}&type={t}&size=50&offset={rnd.randint(0, max_album // 2)}\n")
with open(f"{out}/items.txt", "w") as f:
    for _ in range(300):
        f.write(f"/rest/getAlbum?{auth}&id=al-{rnd.randint(1, max_album)}\n")
        f.write(f"/rest/getArtist?{auth}&id=ar-{rnd.randint(1, max_artist)}\n")
