#!/usr/bin/env python3
"""Adds listeners and their history to a catalog made by bench/subsonic/make_catalog.py.

usage: make_plays.py DATA_DIR [EVENTS] [USERS]

Every user (the accounts already there, then synthetic ones up to USERS) gets a taste: 15-40
artists drawn with a Zipf-like popularity, so that popular artists are shared and co-listening has
structure. EVENTS plays (default 1,000,000) are spread over the users (heavier and lighter ones)
and the last 400 days; 15 % are skips (a few seconds heard). Annotations (plays, skips, last play
of each track, album and artist, and a few stars) are computed from the events, as the server
keeps them.
"""
import random, sqlite3, sys, os
from datetime import datetime, timedelta, timezone

data = sys.argv[1]
events = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
users_wanted = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
rng = random.Random(7)
db = sqlite3.connect(os.path.join(data, "sillon.db"))
c = db.cursor()

now = datetime.now(timezone.utc).replace(microsecond=0)
users = [r[0] for r in c.execute("SELECT id FROM users ORDER BY id")]
for i in range(len(users), users_wanted):
    c.execute("INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (?, 'x', 0, ?)", (f"listener{i}", now.isoformat()))
    users.append(c.lastrowid)

artists = [r[0] for r in c.execute("SELECT id FROM artists ORDER BY id")]
tracks_of = {}
album_of = {}
for track, artist, album in c.execute("SELECT t.id, ta.artist_id, t.album_id FROM tracks t JOIN track_artists ta ON ta.track_id = t.id AND ta.role = 'artist'"):
    tracks_of.setdefault(artist, []).append(track)
    album_of[track] = (album, artist)
artists = [a for a in artists if a in tracks_of]  # the catalog generator may leave an artist without tracks
popularity = [1.0 / (rank + 1) ** 0.8 for rank in range(len(artists))]

def iso(t): return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")

ann = {}  # (user, kind, id) -> [plays, skips, last]
rows = []
weights = [rng.paretovariate(1.5) for _ in users]
total_w = sum(weights)
for user, w in zip(users, weights):
    n = max(20, int(events * w / total_w))
    taste = rng.choices(artists, weights=popularity, k=rng.randint(15, 40))
    cum, acc = [], 0.0
    for i in range(len(taste)):
        acc += 1.0 / (i + 1)
        cum.append(acc)
    for _ in range(n):
        artist = rng.choices(taste, cum_weights=cum)[0]
        ts = tracks_of[artist]
        track = ts[min(len(ts) - 1, int(rng.expovariate(1 / 8)))]
        at = iso(now - timedelta(seconds=rng.randint(0, 400 * 86400)))
        skipped = rng.random() < 0.15
        ms = rng.randint(1000, 60000) if skipped else 200000
        rows.append((user, track, at, "bench", ms, int(skipped), "rest"))
        album, _ = album_of[track]
        for key in ((user, "track", track), (user, "album", album), (user, "artist", artist)):
            a = ann.setdefault(key, [0, 0, None])
            if skipped: a[1] += 1
            else:
                a[0] += 1
                if a[2] is None or at > a[2]: a[2] = at
rows.sort(key=lambda r: r[2])
c.executemany("INSERT INTO play_events (user_id, track_id, played_at, client, ms_played, skipped, source) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
stars = rng.sample([k for k in ann if k[1] == "track"], k=min(20 * len(users), sum(1 for k in ann if k[1] == "track")))
star_set = set(stars)
c.executemany("INSERT INTO annotations (user_id, item_kind, item_id, play_count, skip_count, played_at, starred_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
              [(u, k, i, a[0], a[1], a[2], iso(now) if (u, k, i) in star_set else None) for (u, k, i), a in ann.items()])
db.commit()
print(f"{len(rows)} play events, {len(users)} users, {len(ann)} annotations, {len(star_set)} starred tracks")
