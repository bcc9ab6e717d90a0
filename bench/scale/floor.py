"""The databases' own part of a generated catalog's load, with no Sillon client in the way: a floor
under `sillon catalog generate` on this machine (bench/scale/floor.sh runs it).

  floor.py sqlite GENERATED_DB GENERATE_JSON
      Copies the rows of the generated SQLite file into an empty schema holding the indexes the
      load keeps (INSERT … SELECT from the attached file, no journal, one transaction, as the load
      runs), then adds the load's own index and search-index times, which are SQLite's work alone.
  floor.py postgres PSQL_URL GENERATE_JSON FOLDER
      Writes the loaded tables to files in COPY's binary format, copies them back with the server's
      own COPY … FROM into plain copies without indexes or keys, and builds each table's indexes on
      the copies one by one with the load's settings. PSQL_URL must be a superuser's (server-side
      COPY to and from files); FOLDER must be readable and writable by the PostgreSQL server.
Prints one Markdown table and the ceiling in tracks/s that it implies on this machine's cores.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

TABLES = ["artists", "albums", "album_artists", "tracks", "track_artists", "track_genres"]
# The indexes SqliteBulkLoad drops before the rows and builds after them (its BuiltAfter list).
BUILT_AFTER = {"tracks_sort", "albums_sort", "albums_created", "artists_sort", "albums_by_artist", "albums_year",
               "albums_year_desc", "albums_by_year", "albums_alpha", "albums_genre", "artists_popularity",
               "tracks_year", "tracks_created"}


def sqlite_floor(generated, summary):
    g = json.load(open(summary))
    src = sqlite3.connect(generated)
    objects = src.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN ({','.join('?' * len(TABLES))}) "
        "ORDER BY type = 'table' DESC", TABLES).fetchall()
    src.close()
    with tempfile.TemporaryDirectory(dir=os.path.dirname(generated)) as folder:
        con = sqlite3.connect(os.path.join(folder, "floor.db"), isolation_level=None)
        for kind, name, sql in objects:
            if kind == "index" and name in BUILT_AFTER:
                continue
            con.execute(sql)
        con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA foreign_keys=OFF;")
        con.execute("ATTACH ? AS src", (generated,))
        rows = []
        con.execute("BEGIN")
        for table in TABLES:
            start = time.monotonic()
            con.execute(f"INSERT INTO {table} SELECT * FROM src.{table}")
            rows.append((f"rows of {table}", time.monotonic() - start))
        start = time.monotonic()
        con.execute("COMMIT")
        rows.append(("commit", time.monotonic() - start))
        con.close()
    rows.append(("indexes (the load's own, SQLite alone)", g["indexSeconds"]))
    rows.append(("search index (the load's own, SQLite alone)", g["searchSeconds"]))
    # One writer: nothing of this runs side by side.
    report(rows, g, sum(s for _, s in rows))


def psql(url, sql):
    out = subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "\\timing on", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return sum(float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)) / 1000


def postgres_floor(url, summary, folder):
    g = json.load(open(summary))
    settings = "SET maintenance_work_mem = '256MB'; SET max_parallel_maintenance_workers = 0;"
    rows = []
    for table in TABLES:
        path = os.path.join(folder, f"{table}.bin")
        psql(url, f"COPY {table} TO '{path}' (FORMAT binary)")
        psql(url, f"DROP TABLE IF EXISTS floor_{table}; CREATE TABLE floor_{table} (LIKE {table} INCLUDING DEFAULTS); CHECKPOINT")
        rows.append((f"COPY {table} from a file", psql(url, f"COPY floor_{table} FROM '{path}' (FORMAT binary)")))
        os.remove(path)
        indexes = subprocess.run(["psql", url, "-X", "-At", "-c",
                                  f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = '{table}'"],
                                 check=True, capture_output=True, text=True).stdout.splitlines()
        seconds = 0.0
        for line in indexes:
            name, definition = line.split("|", 1)
            definition = definition.replace(f"INDEX {name} ON public.{table} ", f"INDEX floor_{name} ON public.floor_{table} ", 1)
            seconds += psql(url, f"{settings} {definition}")
        rows.append((f"its {len(indexes)} indexes, one by one", seconds))
        psql(url, f"DROP TABLE floor_{table}")
    # Two connections load side by side: at best the work is shared evenly over the cores.
    total = sum(s for _, s in rows)
    report(rows, g, total / (os.cpu_count() or 1), cores=os.cpu_count())


def report(rows, g, wall, cores=None):
    print("| step | seconds |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    print(f"| **sum** | **{sum(s for _, s in rows):.2f}** |")
    shared = f" on {cores} cores perfectly shared" if cores else ""
    print(f"\nAt least {wall:.1f} s{shared} for {g['tracks']:,} tracks: at most {g['tracks'] / wall:,.0f} tracks/s "
          f"(sillon catalog generate: {g['seconds']} s = {g['tracksPerSecond']:,} tracks/s)")


if __name__ == "__main__":
    if sys.argv[1] == "sqlite":
        sqlite_floor(sys.argv[2], sys.argv[3])
    else:
        postgres_floor(sys.argv[2], sys.argv[3], sys.argv[4])
