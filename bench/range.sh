#!/usr/bin/env bash
# Range-request serving throughput and time to first byte: sillon against nginx (sendfile),
# the same file, same run, one after the other (never concurrently).
#   bench/range.sh
# Environment: SILLON, BENCH_DIR (see common.sh); DURATION (wrk seconds, 15), CONNS (50),
# THREADS (2), TTFB_N (500), SKIP_SILLON=1 to run the nginx half alone.
#
# The file: a ~20 MB FLAC of pink-ish noise made once with ffmpeg, hard-linked into both the
# nginx root and the sillon music folder (same inode, so both read the same page-cache pages).
# wrk runs range-random.lua: each request asks for a random aligned-anywhere 1 MiB slice.
# Note: wrk, the server and this script share the machine's cores; both servers get the same deal.
set -euo pipefail
source "$(dirname "$0")/common.sh"

DURATION="${DURATION:-15}"; CONNS="${CONNS:-50}"; THREADS="${THREADS:-2}"; TTFB_N="${TTFB_N:-500}"
need ffmpeg nginx wrk curl jq bc
WORK="$BENCH_DIR/range-run"
rm -rf "$WORK"; mkdir -p "$WORK/nginx/www" "$WORK/music/Bench Artist/Bench Album" "$WORK/data"
RESULTS="$WORK/results.txt"; : > "$RESULTS"; rm -f "$BENCH_DIR/busy-warnings"

# ---------------------------------------------------------------- the file
SRC="$BENCH_DIR/range-source.flac"
if [ ! -s "$SRC" ]; then
  log "generating $SRC"
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.5:duration=150:sample_rate=44100" -ac 2 \
    -c:a flac -metadata title="Long Noise" -metadata artist="Bench Artist" \
    -metadata album_artist="Bench Artist" -metadata album="Bench Album" -metadata track=1 \
    -metadata date=2024 "$SRC.tmp.flac"
  mv "$SRC.tmp.flac" "$SRC"
fi
SIZE=$(stat -c %s "$SRC")
ln "$SRC" "$WORK/nginx/www/file.flac"
ln "$SRC" "$WORK/music/Bench Artist/Bench Album/01 - Long Noise.flac"
chmod -R a+rX "$WORK" "$BENCH_DIR"
log "file: $SIZE bytes ($(echo "scale=1; $SIZE/1048576" | bc) MiB)"
cat "$SRC" > /dev/null   # page cache

run_wrk() {  # $1 label, $2 url, $3 token or ""
  wait_quiet
  log "wrk $1: $CONNS connections, $THREADS threads, ${DURATION}s"
  FILE_SIZE=$SIZE AUTH="$3" wrk -t"$THREADS" -c"$CONNS" -d3s -s "$BENCH_HERE/range-random.lua" "$2" > /dev/null  # warm-up
  FILE_SIZE=$SIZE AUTH="$3" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
    -s "$BENCH_HERE/range-random.lua" "$2" > "$WORK/wrk-$1.txt"
  echo "WRK $1 $(grep '^RESULT' "$WORK/wrk-$1.txt" | cut -d' ' -f2-)" | tee -a "$RESULTS" >&2
}
run_ttfb() {  # $1 label, $2 url, rest: ttfb.py options
  local label="$1" url="$2"; shift 2
  wait_quiet
  echo "TTFB $label $(/usr/bin/python3 "$BENCH_HERE/ttfb.py" "$url" --n "$TTFB_N" "$@" | grep '^RESULT' | cut -d' ' -f2-)" \
    | tee -a "$RESULTS" >&2
}
check_range() {  # $1 url, $2 token: expect 206 and exactly 1 MiB
  local auth=(); [ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
  local out; out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${auth[@]}" -H 'Range: bytes=1000-1049575' "$1")
  [ "$out" = "206 1048576" ] || die "range check on $1 gave '$out', want '206 1048576'"
}

# ---------------------------------------------------------------- nginx
NPORT=$(free_port)
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  server {
    listen 127.0.0.1:$NPORT;
    root $WORK/nginx/www;
  }
}
EOF
mkdir -p "$WORK/nginx/tmp"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGPID=$!
trap 'kill $NGPID 2>/dev/null || true; [ -n "${SPID:-}" ] && kill $SPID 2>/dev/null || true' EXIT
NURL="http://127.0.0.1:$NPORT/file.flac"
wait_http "$NURL" 10 || die "nginx did not start: $(cat "$WORK/nginx/error.log")"
check_range "$NURL" ""
run_wrk nginx "$NURL" ""
run_ttfb nginx "$NURL"
run_ttfb nginx/1KiB "$NURL" --range bytes=0-1023
kill $NGPID; wait $NGPID 2>/dev/null || true

# ---------------------------------------------------------------- sillon
if [ "${SKIP_SILLON:-0}" != 1 ]; then
  ensure_sillon
  "$SILLON" user add bench --password benchpass --data "$WORK/data" > "$WORK/user-add.log" 2>&1 \
    || die "sillon user add failed: $(cat "$WORK/user-add.log")"
  PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
  "$SILLON" serve --music "$WORK/music" --data "$WORK/data" --urls "$BASE" > "$WORK/serve.log" 2>&1 &
  SPID=$!
  wait_http "$BASE/readyz" 120 || die "sillon serve not ready: $(tail -20 "$WORK/serve.log")"
  curl -s "$BASE/openapi/v1.json" > "$WORK/openapi.json" || true
  TOKEN=$(curl -sf -H 'Content-Type: application/json' -d '{"username":"bench","password":"benchpass"}' \
    "$BASE/api/v1/auth/login" | jq -r '.token') || die "login failed"
  [ -n "$TOKEN" ] && [ "$TOKEN" != null ] || die "login gave no token"
  t0=$(now); ID=""
  until [ -n "$ID" ] && [ "$ID" != null ]; do   # the scan may still be running
    ID=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/tracks" | jq -r '.items[0].id // empty' || true)
    (( $(echo "$(elapsed "$t0") > 60" | bc) )) && die "no track listed after 60 s"
    [ -n "$ID" ] || sleep 0.2
  done
  SURL="$BASE/api/v1/tracks/$ID/stream"
  log "sillon track $ID, stream $SURL"
  check_range "$SURL" "$TOKEN"
  run_wrk sillon "$SURL" "$TOKEN"
  echo "RSS sillon $(hwm_mib $SPID)" >> "$RESULTS"
  run_ttfb sillon "$SURL" --header "Authorization: Bearer $TOKEN"
  run_ttfb sillon/1KiB "$SURL" --header "Authorization: Bearer $TOKEN" --range bytes=0-1023
  kill $SPID; wait $SPID 2>/dev/null || true
fi
trap - EXIT

# ---------------------------------------------------------------- report
machine_info
echo "file: $(echo "scale=1; $SIZE/1048576" | bc) MiB FLAC; wrk: $THREADS threads, $CONNS connections, ${DURATION}s, random 1 MiB ranges; TTFB: $TTFB_N sequential GETs, new connection each, whole file (client hangs up after the first byte) or /1KiB: Range bytes=0-1023"
echo "tools: $(nginx -v 2>&1 | sed 's/.*: //') (sendfile on), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), sillon $( [ "${SKIP_SILLON:-0}" = 1 ] && echo skipped || { "$SILLON" --version 2>/dev/null | head -1 || echo '?'; })"
[ -s "$BENCH_DIR/busy-warnings" ] && echo "WARNING: $(wc -l < "$BENCH_DIR/busy-warnings") step(s) measured while other processes kept the CPUs busy"
echo
/usr/bin/python3 - "$RESULTS" <<'EOF'
import sys
w, t, rss = {}, {}, {}
for line in open(sys.argv[1]):
    kind, label, *kv = line.split()
    if kind == "RSS":
        rss[label] = kv[0]; continue
    d = dict(x.split("=", 1) for x in kv if "=" in x)
    (w if kind == "WRK" else t)[label] = d
print(f"{'server':<8} {'req/s':>9} {'MiB/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'non-2xx':>8}")
for k, d in w.items():
    s = float(d["seconds"])
    d["rps"], d["mibs"] = int(d["requests"]) / s, int(d["bytes"]) / s / 1048576
    print(f"{k:<8} {d['rps']:>9.0f} {d['mibs']:>9.0f} {float(d['p50_ms']):>8.2f} {float(d['p99_ms']):>8.2f} {d['errors']:>7} {d['non2xx']:>8}")
print()
print(f"{'TTFB':<12} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}  first status")
for k, d in t.items():
    print(f"{k:<12} {float(d['p50_ms']):>8.3f} {float(d['p90_ms']):>8.3f} {float(d['p99_ms']):>8.3f} {float(d['max_ms']):>8.3f}  {d.get('status', '')}")
if "sillon" in w and "nginx" in w:
    a, b = w["sillon"], w["nginx"]
    print()
    print("ratio sillon/nginx: req/s %.2f, p50 %.2f, p99 %.2f" % (a["rps"] / b["rps"],
          float(a["p50_ms"]) / float(b["p50_ms"]), float(a["p99_ms"]) / float(b["p99_ms"])))
    for suffix in ("", "/1KiB"):
        if "sillon" + suffix in t and "nginx" + suffix in t:
            a, b = t["sillon" + suffix], t["nginx" + suffix]
            print("ratio sillon/nginx TTFB%s: p50 %.1f, p99 %.1f" % (suffix,
                  float(a["p50_ms"]) / float(b["p50_ms"]), float(a["p99_ms"]) / float(b["p99_ms"])))
if rss:
    print("sillon peak RSS during the run: %s MiB" % rss.get("sillon"))
EOF
echo
echo "raw results: $RESULTS; logs in $WORK"
