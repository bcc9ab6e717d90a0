#!/usr/bin/env bash
# Flow benchmark: a synthetic catalog of 100,000 tracks (bench/subsonic/make_catalog.py), 1,000
# listeners and 1,000,000 play events (make_plays.py), the Release build of sillon, then N
# sequential requests of each kind as the heaviest-but-one listener. Prints a Markdown table of
# latencies (ms); docs/benchmarks.md keeps the last run.
#
# usage: bench/flow/run.sh [TRACKS] [EVENTS] [N]
#        KEEP_DATA=1 bench/flow/run.sh   reuses the last generated database (generation takes minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
tracks=${1:-100000}
events=${2:-1000000}
n=${3:-200}
work=bench/.work/flow
if [ -z "${KEEP_DATA:-}" ] || [ ! -f "$work/data/sillon.db" ]; then fresh=1; rm -rf "$work"; else fresh=; fi
mkdir -p "$work/music" "$work/data"
for tool in ffmpeg python3 curl; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y ffmpeg python3 curl)" >&2; exit 2; }; done

dotnet publish src/Sillon -c Release -o "$work/bin" --nologo -v quiet >/dev/null
sillon=(dotnet "$work/bin/sillon.dll")
if [ -n "$fresh" ]; then
  ffmpeg -nostdin -loglevel error -y -f lavfi -i sine=duration=1 -c:a libmp3lame "$work/music/tone.mp3"
  ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=blue:s=100x100 -frames:v 1 "$work/music/cover.jpg"
  echo bench-pass | "${sillon[@]}" user add bench --password-stdin --data "$work/data" >/dev/null
  t0=$(date +%s.%N)
  CATALOG_NO_SEARCH=1 python3 bench/subsonic/make_catalog.py "$work/data" "$(realpath "$work/music")" "$work/music/tone.mp3" "$(realpath "$work/music/cover.jpg")" "$tracks" >&2
  python3 bench/flow/make_plays.py "$work/data" "$events" 1000 >&2
  echo "generated in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s" >&2
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
SILLON_LIBRARY__SCANONSTART=false SILLON_LIBRARY__WATCH=false SILLON_LIBRARY__SCANINTERVAL=00:00:00 \
  "${sillon[@]}" serve --music "$(realpath "$work/music")" --data "$work/data" --urls "$url" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.2; done

token=$(curl -sf -H 'Content-Type: application/json' -d '{"username":"bench","password":"bench-pass"}' "$url/api/v1/auth/login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
history=$(python3 -c "import sqlite3; c=sqlite3.connect('$work/data/sillon.db'); print(*c.execute(\"SELECT COUNT(*), COUNT(DISTINCT track_id) FROM play_events WHERE user_id = (SELECT id FROM users WHERE name = 'bench')\").fetchone())")
artist=$(python3 -c "import sqlite3; c=sqlite3.connect('$work/data/sillon.db'); print(c.execute(\"SELECT item_id FROM annotations WHERE user_id = (SELECT id FROM users WHERE name = 'bench') AND item_kind = 'artist' ORDER BY play_count DESC LIMIT 1\").fetchone()[0])")

echo "Listener 'bench': plays and distinct tracks: $history"
echo
echo "| request | n | p50 | p90 | p99 | max |"
echo "|---|---:|---:|---:|---:|---:|"
python3 bench/flow/time_requests.py "$url" "$token" "$n" \
  "/api/v1/me/flow?count=20&seed={i}" \
  "/api/v1/me/flow?count=20&seed={i}&from=ar-$artist" \
  "/api/v1/me/top/artists?period=month" \
  "/api/v1/me/recap/$(date -u +%Y)"
python3 bench/flow/time_requests.py "$url" "$token" 20 \
  "/api/v1/me/top/tracks?period=week&scope=server" \
  "/api/v1/me/top/tracks?period=year&scope=server"
echo
echo "Peak RSS of the server: $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MB"
