#!/usr/bin/env python3
"""Fills a migrated Sillon database with a synthetic catalog for the Subsonic benchmark.

usage: make_catalog.py DATA_DIR MUSIC_ROOT AUDIO_FILE COVER_FILE [TRACKS]

Track rows take AUDIO_FILE's size (their paths are unique and fake: the benchmark does not stream),
and every album's cover is COVER_FILE, so getCoverArt serves real images. The server must run with
Library:ScanOnStart=false and no watcher: a scan would remove rows whose files do not exist. Names are made of syllables so 3-letter prefixes match realistic sets.
"""
import os, random, sqlite3, sys

data, root, audio, cover = sys.argv[1:5]
tracks = int(sys.argv[5]) if len(sys.argv) > 5 else 100_000
rng = random.Random(42)
syll = ["ka", "ro", "mi", "sen", "ta", "lu", "vor", "ne", "bri", "sol", "an", "de", "ri", "mo", "tes", "la", "quin", "zu", "fel", "ha"]
def word(): return "".join(rng.choice(syll) for _ in range(rng.randint(2, 3))).capitalize()
def name(n): return " ".join(word() for _ in range(n))
now = "2025-01-01T00:00:00.0000000+00:00"
size = os.path.getsize(audio)

db = sqlite3.connect(os.path.join(data, "sillon.db"))
db.execute("PRAGMA journal_mode=WAL")
c = db.cursor()
c.execute("INSERT INTO library_roots (path) VALUES (?)", (root,))
root_id = c.lastrowid
c.execute("INSERT INTO folders (root_id, parent_id, path, name) VALUES (?, NULL, ?, ?)", (root_id, root, os.path.basename(root)))
root_folder = c.lastrowid
genres = [name(1) for _ in range(40)]
c.executemany("INSERT OR IGNORE INTO genres (name) VALUES (?)", [(g,) for g in genres])
genre_ids = [r[0] for r in c.execute("SELECT id FROM genres")]

n_artists, per_album = max(1, tracks // 50), 10
artist_ids = []
for i in range(n_artists):
    n = f"{name(2)} {i}"
    c.execute("INSERT INTO artists (name, sort_name, artist_key, created_at) VALUES (?, ?, ?, ?)", (n, n.lower(), f"k{i}", now))
    artist_ids.append(c.lastrowid)

t = 0
album_no = 0
while t < tracks:
    artist = rng.choice(artist_ids)
    artist_name = c.execute("SELECT name FROM artists WHERE id = ?", (artist,)).fetchone()[0]
    album = name(rng.randint(1, 3))
    year = rng.randint(1960, 2024)
    created = f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T00:00:00.0000000+00:00"
    c.execute("""INSERT INTO albums (album_key, name, sort_name, display_artist, year, genre, track_count, disc_count, duration, size, cover_path,
                 created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)""",
              (f"a{album_no}", album, album.lower(), artist_name, year, genres[0], per_album, per_album * 200.0, per_album * size, cover, created, now))
    album_id = c.lastrowid
    c.execute("INSERT INTO album_artists (album_id, artist_id, position) VALUES (?, ?, 0)", (album_id, artist))
    folder = f"{root}/{artist_name}/{album}-{album_no}"
    c.execute("INSERT INTO folders (root_id, parent_id, path, name) VALUES (?, ?, ?, ?)", (root_id, root_folder, folder, album))
    folder_id = c.lastrowid
    genre = rng.choice(genre_ids)
    for n in range(1, per_album + 1):
        if t >= tracks: break
        title = name(rng.randint(1, 4))
        c.execute("""INSERT INTO tracks (root_id, folder_id, album_id, path, size, mtime, fingerprint, title, sort_title, display_artist,
                     display_album_artist, track_number, disc_number, year, duration, bitrate, sample_rate, bit_depth, channels, codec, suffix,
                     content_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 1, ?, 200.0, 320000, 44100, 0, 2, 'mp3', 'mp3',
                     'audio/mpeg', ?, ?)""",
                  (root_id, folder_id, album_id, f"{folder}/{n:02d}.mp3#{t}", size, f"f{t}", title, title.lower(), artist_name, artist_name, n, year, created, now))
        track_id = c.lastrowid
        c.execute("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES (?, ?, 'artist', 0)", (track_id, artist))
        c.execute("INSERT INTO track_genres (track_id, genre_id, position) VALUES (?, ?, 0)", (track_id, genre))
        t += 1
    album_no += 1

# CATALOG_NO_SEARCH=1 leaves the search index alone: Python's own SQLite may be too old to open
# the contentless_delete FTS5 tables (3.43+), and the Flow benchmark does not search.
for table in (() if os.environ.get("CATALOG_NO_SEARCH") else ("search_artists", "search_albums", "search_tracks")):
    c.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")
if not os.environ.get("CATALOG_NO_SEARCH"):
    c.execute("INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists")
    c.execute("INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums")
    c.execute("INSERT INTO search_tracks (rowid, name, context) SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id")
db.commit()
print(f"{t} tracks, {album_no} albums, {len(artist_ids)} artists")
