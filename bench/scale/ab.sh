#!/usr/bin/env bash
# Side by side: two or more builds (or database settings) on the same generated catalog, in
# alternating rounds, so that the machine's drift falls on every variant alike. Response cache off:
# every answer is computed. Prints one line per workload and variant: req/s, latency, and CPU per
# request, the server's own, PostgreSQL's (every postgres process; 0 on SQLite) and the whole machine's.
#
# usage: bench/scale/ab.sh DATA WORK ROUNDS SECONDS VARIANT...
#   DATA     the data folder of a generated catalog (bench/scale/run.sh makes one)
#   WORK     the folder holding run.sh's request lists (search.txt, rest-search.txt, items.txt, browse-seq.txt)
#   VARIANT  BUILD_DIR (a `dotnet publish` output) or BUILD_DIR@DATABASE_URL (PostgreSQL, with
#            Npgsql settings in the URL's query: @postgres://u@host:port/db?Max%20Auto%20Prepare=0)
#   ONLY     (environment) a regular expression: run only the workloads whose label matches it
set -euo pipefail
[ $# -ge 5 ] || { sed -n 2,12p "$0" >&2; exit 2; }
data=$1 work=$2 rounds=$3 seconds=$4; shift 4
cd "$(dirname "$0")/../.."
auth_user=${BENCH_USER:-bench} auth_pass=${BENCH_PASS:-bench-pass}
server_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine_cpu() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# Every PostgreSQL process on this machine (0 on SQLite): its backends hold the pool's connections for the whole run.
database_cpu() { local sum=0 p; for p in $(pgrep -x postgres); do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $sum; }
echo "| round | variant | workload | req/s | p50 ms | p99 ms | errors | server CPU ms/req | PostgreSQL CPU ms/req | machine CPU ms/req |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for variant in "$@"; do
    bin=${variant%%@*} database=""
    [ "$bin" != "$variant" ] && database=${variant#*@}
    db=${database##*/}
    name=$(basename "$bin")${database:+ ${db%%\?*}}
    if [[ $db == *\?* ]]; then name+=" (with settings)"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    url="http://127.0.0.1:$port"
    SILLON_DATABASE=$database SILLON_SUBSONIC__RESPONSECACHEMEGABYTES=0 SILLON_LIBRARY__WATCH=false SILLON_LIBRARY__SCANINTERVAL=00:00:00 \
      dotnet "$bin/sillon.dll" serve --data "$data" --urls "$url" >"$work/ab-server.log" 2>&1 &
    pid=$!
    until curl -sf "$url/readyz" >/dev/null; do kill -0 $pid || { cat "$work/ab-server.log" >&2; exit 1; }; sleep 0.05; done
    token=$(curl -s -X POST "$url/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$auth_user\",\"password\":\"$auth_pass\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    # Warm-up, unmeasured: JIT and the pages each workload reads.
    for file in search.txt items.txt browse-seq.txt browse-deep.txt artists.txt; do PATHS="$work/$file" wrk -t1 -c2 -d3s -s bench/scale/paths.lua "$url" >/dev/null; done
    for w in "search3 one client:1:0:search.txt" "search3 as you type:32:100:search.txt" "REST search as you type:32:100:rest-search.txt" \
             "search3 back to back:32:0:search.txt" "getAlbum / getArtist:32:0:items.txt" "getAlbumList2 page after page:32:0:browse-seq.txt" \
             "getAlbumList2 at random depths:32:0:browse-deep.txt" "getAlbumList2 page after page, 100 ms apart:32:100:browse-seq.txt" \
             "getArtists:4:0:artists.txt:" "getArtists (gzip):4:0:artists.txt:gzip"; do
      IFS=: read -r label clients think file encoding <<<"$w"
      [[ $label =~ ${ONLY:-.} ]] || continue
      s0=$(server_cpu $pid) d0=$(database_cpu) m0=$(machine_cpu)
      r=$(PATHS="$work/$file" THINK_MS=$think SILLON_TOKEN=$token ACCEPT_ENCODING=$encoding wrk -t$((clients < 2 ? 1 : 2)) -c"$clients" -d"${seconds}s" --timeout 30s \
        -s bench/scale/paths.lua "$url" | tail -1)
      s1=$(server_cpu $pid) d1=$(database_cpu) m1=$(machine_cpu)
      python3 -c "
import json, os, sys
r = json.loads(sys.argv[1]); n = max(r['requests'], 1); tick = 1000 / os.sysconf('SC_CLK_TCK')
print(f\"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {r['rps']} | {r['p50']} | {r['p99']} | {r['errors']} | {($s1 - $s0) * tick / n:.2f} | {($d1 - $d0) * tick / n:.2f} | {($m1 - $m0) * tick / n:.2f} |\")
" "$r" "$round" "$name" "$label"
    done
    echo "| $round | $name | peak RSS $(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$pid/status) MB | | | | | | | |"
    kill $pid; wait $pid 2>/dev/null || true
  done
done
