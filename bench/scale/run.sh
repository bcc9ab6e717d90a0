#!/usr/bin/env bash
# Scale benchmark: a generated catalog of N tracks (default 13,000,000), the Release build, and
# concurrent clients on the same machine. Prints Markdown tables; docs/benchmarks.md keeps the
# last run. The catalog is generated once per size into $SILLON_SCALE_WORK (default
# bench/.work/scale) and reused; delete it to measure generation again.
#
# usage: bench/scale/run.sh [TRACKS] [SECONDS_PER_RUN]   (LIKE_TERMS=N: terms for the LIKE baseline, default 30,
#        0 to skip it; a ranked LIKE reads every row, about 20 s per term at 13 M)
#        SILLON_SCALE_DATABASE=postgres://…: the same on PostgreSQL, into that (empty) database; the
#        baseline then adds pg_trgm (a trigram index on titles and artists, built once, timed).
#        SILLON_SUBSONIC__RESPONSECACHEMEGABYTES=N: Subsonic's response cache (default here 0, off).
set -euo pipefail
cd "$(dirname "$0")/../.."
tracks=${1:-13000000}
seconds=${2:-20}
work=${SILLON_SCALE_WORK:-bench/.work/scale}
database=${SILLON_SCALE_DATABASE:-}
# Computed answers: with Subsonic's response cache on, the repeated requests of these lists measure
# the cache (search3 as you type at 13 M: p50 0.5 ms cached, 4.0 computed). Set it to measure the cache.
export SILLON_SUBSONIC__RESPONSECACHEMEGABYTES=${SILLON_SUBSONIC__RESPONSECACHEMEGABYTES:-0}
if [ -n "$database" ]; then
  # Every sillon command below reads it (sillon.json and --database aside, SILLON_DATABASE is the setting).
  export SILLON_DATABASE=$database
  data="$work/data-pg-$tracks" generated="$work/generate-pg-$tracks.json" catalog=$database
  command -v psql >/dev/null || { echo "needs psql" >&2; exit 2; }
else
  data="$work/data-$tracks" generated="$work/generate-$tracks.json" catalog="$work/data-$tracks/sillon.db"
fi
mkdir -p "$work"
for tool in python3 curl wrk; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done

dotnet publish src/Sillon -c Release -o "$work/bin" --nologo -v quiet >/dev/null
sillon=(dotnet "$work/bin/sillon.dll")
echo "## Scale: $tracks tracks on $([ -n "$database" ] && echo PostgreSQL || echo SQLite), $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), response cache $SILLON_SUBSONIC__RESPONSECACHEMEGABYTES MB"
echo
if [ ! -f "$generated" ]; then
  "${sillon[@]}" catalog generate --tracks "$tracks" --data "$data" --json > "$generated.part"
  mv "$generated.part" "$generated"
fi
python3 - "$generated" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
# PostgreSQL builds the search index side by side with the other indexes: no time of its own (null).
after = (f"indexes {g['indexSeconds']} s, search index {g['searchSeconds']} s" if g['searchSeconds'] is not None
         else f"indexes, counts and search index {g['indexSeconds']} s")
print(f"Generation: {g['tracks']:,} tracks, {g['albums']:,} albums, {g['artists']:,} artists in {g['seconds']} s = "
      f"{g['tracksPerSecond']:,} tracks/s (rows {g['rowsSeconds']} s, {after})")
PY
echo
echo "| storage | size |"
echo "|---|---|"
python3 bench/scale/sizes.py "$catalog"
echo

"${sillon[@]}" user list --data "$data" | grep -q '^bench' || echo bench-pass | "${sillon[@]}" user add bench --password-stdin --data "$data" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# Drop the file from the page cache's favour as little as possible: a warm start is what a restart sees.
start=$(date +%s.%N)
SILLON_LIBRARY__WATCH=false SILLON_LIBRARY__SCANINTERVAL=00:00:00 "${sillon[@]}" serve --data "$data" --urls "$url" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "$url/readyz" >/dev/null; do sleep 0.05; done
ready=$(python3 -c "import time; print(round(time.time() - $start, 2))")
echo "Start-up to ready: $ready s"
echo

auth="u=bench&p=bench-pass&v=1.16.1&c=bench&f=json"
python3 bench/scale/queries.py "$catalog" "$work" "$auth"
token=$(curl -s -X POST "$url/api/v1/auth/login" -H 'Content-Type: application/json' -d '{"username":"bench","password":"bench-pass"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Warm-up: JIT, page cache, the artist shelf. The JIT takes its time: .NET compiles hot methods
# again, optimized, over the first tens of seconds (search on PostgreSQL at 13 M: 169 req/s in the
# first 10 s, 409 in the fourth, 8 clients), so a short warm-up measures the compiler too.
PATHS="$work/search.txt" wrk -t2 -c4 -d"${JIT_WARM_SECONDS:-40}s" -s bench/scale/paths.lua "$url" >/dev/null
curl -s -o /dev/null "$url/rest/getArtists?$auth"

echo "| workload | clients | req/s | p50 ms | p90 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
# wrk (bench/scale/paths.lua) rather than a script: 32 Python threads would take a core of the two.
run() {
  local label=$1 clients=$2 think=$3 file=$4
  # Warm-up, unmeasured: the pages this workload reads, in the database's cache (the catalog is
  # larger than the RAM's spare page cache at 13 M on PostgreSQL, and the previous workload's pages differ).
  # With the response cache on it also fills that cache with these very requests.
  PATHS="$work/$file" wrk -t1 -c2 -d"${WARM_SECONDS:-5}s" --timeout 30s -s bench/scale/paths.lua "$url" >/dev/null
  local r; r=$(PATHS="$work/$file" THINK_MS=$think wrk -t$((clients < 2 ? 1 : 2)) -c"$clients" -d"${seconds}s" --timeout 30s \
    -s bench/scale/paths.lua "$url" | tail -1)
  python3 -c "import json,sys; r=json.loads(sys.argv[2]); print(f\"| {sys.argv[1]} | $clients | {r['rps']} | {r['p50']} | {r['p90']} | {r['p99']} | {r['errors']} |\")" "$label" "$r"
}
run "search3 as you type (100 ms between keys)" 32 100 search.txt
SILLON_TOKEN=$token run "REST /api/v1/search as you type (100 ms)" 32 100 rest-search.txt
run "search3 back to back" 32 0 search.txt
run "search3 one client" 1 0 search.txt
run "getAlbumList2, every type, page after page" 32 0 browse-seq.txt
# The same pages as 32 people browse them (a page every 50–150 ms each): what browse p99 means to a user;
# back to back above is the capacity, where p99 is the queue of 32 clients waiting on two cores.
run "getAlbumList2, every type, 100 ms apart" 32 100 browse-seq.txt
run "getAlbumList2 at random depths (cold pages)" 32 0 browse-deep.txt
run "getAlbum / getArtist" 32 0 items.txt
echo "/rest/getArtists?$auth" > "$work/artists.txt"
# As clients' HTTP libraries ask for it (OkHttp, browsers): compressed, the answer is a sixth of its size.
ACCEPT_ENCODING=gzip run "getArtists (gzip)" 4 0 artists.txt
echo
echo "Server memory: RSS now $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB, peak $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MB"
echo

python3 bench/scale/sync.py "$url" "$auth"
echo
if [ "${LIKE_TERMS:-30}" -gt 0 ]; then
  echo "Baseline, same terms, one query at a time on the same database (python3 sqlite3, or psql):"
  python3 bench/scale/like.py "$catalog" "$work/terms.txt" "${LIKE_TERMS:-30}"
fi
