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
for tool in wrk python3 curl; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install -y wrk python3 curl)" >&2; exit 2; }; done

dotnet publish src/Sillon -c Release -o "$work/bin" --nologo -v quiet >/dev/null
sillon=(dotnet "$work/bin/sillon.dll")
"${sillon[@]}" catalog generate --tracks "$tracks" --data "$work/data" --json >"$work/generate.json"
echo bench-pass | "${sillon[@]}" user add bench --password-stdin --data "$work/data" >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
SILLON_LIBRARY__WATCH=false SILLON_LIBRARY__SCANINTERVAL=00:00:00 \
  "${sillon[@]}" serve --data "$work/data" --urls "$url" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.2; done

auth="u=bench&p=bench-pass&v=1.16.1&c=bench&f=json"
album=$(curl -s "$url/rest/getAlbumList2?$auth&type=random&size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["subsonic-response"]["albumList2"]["album"][0]["id"])')

echo "| request | req/s | p50 | p99 |"
echo "|---|---|---|---|"
bench() {
  local label=$1 path=$2
  wrk -t2 -c50 -d"${seconds}s" --latency "$url$path" >"$work/wrk.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  grep -q "Non-2xx" "$work/wrk.txt" && { echo "$label: non-2xx answers" >&2; cat "$work/wrk.txt" >&2; }
  echo "| \`$label\` | $rps | $p50 | $p99 |"
}
bench "getAlbumList2?type=newest&size=50" "/rest/getAlbumList2?$auth&type=newest&size=50"
bench "getAlbum" "/rest/getAlbum?$auth&id=$album"
bench "search3 (3-letter prefix)" "/rest/search3?$auth&query=sol"

start=$(date +%s.%N)
offset=0; total=0
while :; do
  n=$(curl -s "$url/rest/search3?$auth&query=&artistCount=0&albumCount=0&songCount=500&songOffset=$offset" \
      | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["subsonic-response"]["searchResult3"].get("song", [])))')
  total=$((total + n)); offset=$((offset + 500))
  [ "$n" -lt 500 ] && break
done
end=$(date +%s.%N)
echo
echo "Full search3 sync: $total songs in pages of 500 in $(python3 -c "print(round($end - $start, 2))") s"
echo "Peak RSS of the server: $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MB"
