#!/usr/bin/env bash
# Subsonic API benchmark: a generated catalog of N tracks (default 100,000; `sillon catalog
# generate`, the same generator as bench/scale), the Release build of sillon, and wrk with 50
# connections on the same machine. Results go to stdout as a Markdown table;
# docs/benchmarks.md keeps the last run.
#
# usage: bench/subsonic/run.sh [TRACKS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
tracks=${1:-100000}
seconds=${2:-10}
work=bench/.work/subsonic
rm -rf "$work"; mkdir -p "$work/music" "$work/data"
for tool in wrk ffmpeg python3 curl; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y wrk ffmpeg python3 curl)" >&2; exit 2; }; done

dotnet publish src/Sillon -c Release -o "$work/bin" --nologo -v quiet >/dev/null
sillon=(dotnet "$work/bin/sillon.dll")
"${sillon[@]}" catalog generate --tracks "$tracks" --data "$work/data" --json >"$work/generate.json"
echo bench-pass | "${sillon[@]}" user add bench --password-stdin --data "$work/data" >/dev/null
# Generated albums have no pictures: give the first album a real cover for getCoverArt.
ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=blue:s=1000x1000 -frames:v 1 "$work/music/cover.jpg"
python3 - "$work/data/sillon.db" "$(realpath "$work/music/cover.jpg")" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE albums SET cover_path = ? WHERE id = (SELECT MIN(id) FROM albums)", (sys.argv[2],))
db.commit()
PY

auth="u=bench&p=bench-pass&v=1.16.1&c=bench&f=json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT

# serve CACHE_MB: the server with a response cache of that size (0: none).
serve() {
  SILLON_LIBRARY__WATCH=false SILLON_LIBRARY__SCANINTERVAL=00:00:00 SILLON_SUBSONIC__RESPONSECACHEMEGABYTES=$1 \
    "${sillon[@]}" serve --data "$work/data" --urls "$url" >"$work/server-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.2; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

bench() {
  local label=$1 path=$2
  wrk -t2 -c50 -d"${seconds}s" --latency "$url$path" >"$work/wrk.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  grep -q "Non-2xx" "$work/wrk.txt" && { echo "$label: non-2xx answers" >&2; cat "$work/wrk.txt" >&2; }
  echo "| $mode | \`$label\` | $rps | $p50 | $p99 |"
}

echo "## Subsonic API: $tracks tracks, $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| response cache | request | req/s | p50 | p99 |"
echo "|---|---|---|---|---|"
# The same requests without the cache (every answer built) and with it (wrk repeats one request, so
# all but the first are hits: the figure a home screen asked again and again sees). ping is the
# pipeline alone (authentication and an empty answer), the in-process reference.
for mb in 0 32; do
  serve $mb
  mode=$([ $mb = 0 ] && echo off || echo on)
  album=$(curl -s "$url/rest/getAlbumList2?$auth&type=alphabeticalByName&size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["subsonic-response"]["albumList2"]["album"][0]["id"])')
  cover=al-$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT MIN(id) FROM albums").fetchone()[0])' "$work/data/sillon.db")
  curl -sf "$url/rest/getCoverArt?$auth&id=$cover&size=300" -o /dev/null # fills the resized-cover cache
  bench "ping" "/rest/ping?$auth"
  bench "getAlbumList2?type=newest&size=50" "/rest/getAlbumList2?$auth&type=newest&size=50"
  bench "getAlbum" "/rest/getAlbum?$auth&id=$album"
  bench "search3 (3-letter prefix)" "/rest/search3?$auth&query=sol"
  bench "getCoverArt?size=300 (cached)" "/rest/getCoverArt?$auth&id=$cover&size=300"
  if [ $mb = 0 ]; then
    echo
    # One client, pages of 500 songs over one kept-alive connection, as a syncing client does.
    sync=$(python3 bench/subsonic/sync.py "$url" "$auth")
    echo "Full search3 sync (cache off): $sync"
    echo
  fi
  rss=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)
  stop
done
echo
echo "Peak RSS of the server (cache on): $rss MB"
