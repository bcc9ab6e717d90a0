#!/usr/bin/env bash
# The databases' own part of loading a generated catalog, with no Sillon client in the way: how fast
# `sillon catalog generate` could be on this machine at best (bench/scale/floor.py says how).
#
# usage: bench/scale/floor.sh [TRACKS]   (default 1,000,000)
#        FLOOR_POSTGRES=postgres://SUPERUSER@host:port/DB: PostgreSQL too, into that empty database
#        (server-side COPY to files needs a superuser; the catalog is left there)
set -euo pipefail
cd "$(dirname "$0")/../.."
tracks=${1:-1000000}
work=$(mktemp -d /var/tmp/sillon-floor.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"   # the PostgreSQL server writes and reads its COPY files here
dotnet publish src/Sillon -c Release -o "$work/bin" --nologo -v quiet >/dev/null
sillon=(dotnet "$work/bin/sillon.dll")
echo "## Floor under generation: $tracks tracks, $(nproc) cores, $(date -u +%FT%TZ)"
echo
echo "SQLite (python3's sqlite3 $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')):"
echo
"${sillon[@]}" catalog generate --tracks "$tracks" --data "$work/sqlite" --json > "$work/sqlite.json"
python3 bench/scale/floor.py sqlite "$work/sqlite/sillon.db" "$work/sqlite.json"
rm -rf "$work/sqlite"
if [ -n "${FLOOR_POSTGRES:-}" ]; then
  echo
  echo "PostgreSQL ($(psql "$FLOOR_POSTGRES" -XAtc 'SHOW server_version')):"
  echo
  SILLON_DATABASE=$FLOOR_POSTGRES "${sillon[@]}" catalog generate --tracks "$tracks" --data "$work/pg" --json > "$work/pg.json"
  python3 bench/scale/floor.py postgres "$FLOOR_POSTGRES" "$work/pg.json" "$work"
fi
