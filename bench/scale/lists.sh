#!/usr/bin/env bash
# The album lists from a fresh start: a new server, then three rounds of getAlbumList2 at random
# depths (the first shows the lists being anchored), one of page after page, and each list type's
# requests alone. Response cache off. Run it for two builds in turn and compare.
#
# usage: bench/scale/lists.sh BUILD_DIR DATA WORK [DATABASE_URL]
#   BUILD_DIR     a `dotnet publish` output
#   DATA          the data folder of a generated catalog (bench/scale/run.sh makes one)
#   WORK          the folder holding run.sh's request lists (browse-deep.txt, browse-seq.txt)
#   DATABASE_URL  postgres://… for PostgreSQL; SQLite (the data folder's) without it
#   SECONDS_PER_ROUND (environment) each round's length, 15 unless set
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,11p "$0" >&2; exit 2; }
bin=$1 data=$2 work=$3 database=${4:-} seconds=${SECONDS_PER_ROUND:-15}
cd "$(dirname "$0")/../.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port" name=$(basename "$bin")
SILLON_DATABASE=$database SILLON_SUBSONIC__RESPONSECACHEMEGABYTES=0 SILLON_LIBRARY__WATCH=false SILLON_LIBRARY__SCANINTERVAL=00:00:00 \
  dotnet "$bin/sillon.dll" serve --data "$data" --urls "$url" >"$work/lists-server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf "$url/readyz" >/dev/null; do kill -0 $pid || { cat "$work/lists-server.log" >&2; exit 1; }; sleep 0.05; done
run() { PATHS="$1" THINK_MS=0 wrk -t2 -c32 -d"${seconds}s" --timeout 30s -s bench/scale/paths.lua "$url" | tail -1; }
for round in 1 2 3; do echo "$name | deep, round $round | $(run "$work/browse-deep.txt")"; done
echo "$name | page after page | $(run "$work/browse-seq.txt")"
types=$(mktemp -d)
for type in $(grep -o 'type=[A-Za-z]*' "$work/browse-deep.txt" | sort -u | cut -d= -f2); do
  grep "type=$type&" "$work/browse-deep.txt" >"$types/$type.txt"
  echo "$name | $type alone | $(python3 bench/scale/alone.py "$url" "$types/$type.txt" 2 | sed -n 3p)"
done
rm -rf "$types"
echo "$name | peak RSS $(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$pid/status) MB"
grep -h "Anchored" "$work/lists-server.log" | sed "s/^/$name | /" || true
