#!/usr/bin/env bash
# Full-scan throughput and peak memory: sillon against mpd, same library, same run.
#   bench/scan.sh [LIBRARY]          (default $BENCH_DIR/lib, generated with gen-library.sh)
# Environment: SILLON, BENCH_DIR (see common.sh), COUNT (library size, 20000), RUNS (warm
# repetitions, median reported; 3), SKIP_WATCH=1 to skip the "100 new files in serve" test.
#
# Cases, each for both tools:
#   full/warm   empty database, files in the page cache      sillon: fresh --data   mpd: no db_file
#   full/cold   same after `echo 3 > /proc/sys/vm/drop_caches` (skipped when not permitted)
#   unchanged   second scan, nothing changed on disk          sillon: same --data    mpd: mpc update --wait
#   forced      re-read every file's tags                     sillon: scan --full    mpd: mpc rescan --wait
# Seconds are wall time from process start to "scan finished", so both include their startup;
# mpd's unchanged/forced rows are timed around `mpc … --wait` inside the running daemon and its
# RSS there is the daemon's high-water mark. Peak RSS of sillon is /usr/bin/time -v's maximum.
# CPU s is user+system time (sillon: /usr/bin/time; mpd: /proc/PID/stat, deltas for the mpc rows),
# steadier than wall time on a shared machine and fairer, since sillon reads on all cores.
# Then the serve test: `sillon serve` on the scanned data, `cp -r` 100 new files into LIB, poll
# GET /api/v1/scan (`tracks`, as user bench) until they all show; the copy is removed afterwards.
set -euo pipefail
source "$(dirname "$0")/common.sh"

COUNT="${COUNT:-20000}"
RUNS="${RUNS:-3}"
LIB="$(realpath -m "${1:-$BENCH_DIR/lib}")"
need ffmpeg mpd mpc curl jq bc /usr/bin/time
"$BENCH_HERE/gen-library.sh" "$LIB" "$COUNT" >&2
ensure_sillon

WORK="$BENCH_DIR/scan-run"
rm -rf "$WORK"; mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"; : > "$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RESULTS"; }   # case tool files seconds rssMiB cpuSeconds

if can_drop_caches; then COLD=1; else COLD=0; log "cannot drop the page cache here (not root, or /proc/sys/vm read-only): cold-cache rows skipped"; fi

# ---------------------------------------------------------------- mpd
MPD_PORT=$(free_port)
mpd_conf() {
  cat > "$WORK/mpd.conf" <<EOF
music_directory "$LIB"
db_file         "$WORK/mpd/db"
log_file        "$WORK/mpd/log"
log_level       "warning"
state_file      "$WORK/mpd/state"
bind_to_address "127.0.0.1"
port            "$MPD_PORT"
zeroconf_enabled "no"
auto_update     "no"
audio_output {
  type "null"
  name "null"
}
EOF
}
mpc_() { mpc -q -p "$MPD_PORT" "$@"; }
mpd_updating() { mpc -p "$MPD_PORT" status 2>/dev/null | grep -q '^Updating DB'; }
mpd_songs() { mpc -p "$MPD_PORT" stats 2>/dev/null | awk '/^Songs:/ {print $2}'; }

# One mpd life: start with no database (mpd builds it at startup), time until the update job
# is gone; optionally then time an unchanged update and a forced rescan.
mpd_run() {  # $1 = full case name, $2 = 1 to also time unchanged + forced
  rm -rf "$WORK/mpd"; mkdir -p "$WORK/mpd"; mpd_conf
  local t0 tp pid secs songs c0
  t0=$(now)
  /usr/bin/time -v -o "$WORK/mpd.time" mpd --no-daemon "$WORK/mpd.conf" 2>>"$WORK/mpd/stderr" &
  tp=$!
  until mpc_ status >/dev/null 2>&1; do sleep 0.02; kill -0 $tp 2>/dev/null || die "mpd died: $(cat "$WORK/mpd/stderr")"; done
  while mpd_updating || [ "$(mpd_songs)" = 0 ]; do sleep 0.05; done
  secs=$(elapsed "$t0"); songs=$(mpd_songs)
  pid=$(pgrep -P $tp mpd)
  record "$1" mpd "$songs" "$secs" "$(hwm_mib "$pid")" "$(proc_cpu_s "$pid")"
  log "mpd $1: $songs songs in $secs s"
  if [ "${2:-0}" = 1 ]; then
    c0=$(proc_cpu_s "$pid"); t0=$(now); mpc_ update --wait; secs=$(elapsed "$t0")
    record unchanged mpd "$(mpd_songs)" "$secs" "$(hwm_mib "$pid")" "$(echo "$(proc_cpu_s "$pid") - $c0" | bc)"
    log "mpd unchanged: $secs s"
    c0=$(proc_cpu_s "$pid"); t0=$(now); mpc_ rescan --wait; secs=$(elapsed "$t0")
    record forced mpd "$(mpd_songs)" "$secs" "$(hwm_mib "$pid")" "$(echo "$(proc_cpu_s "$pid") - $c0" | bc)"
    log "mpd forced: $secs s"
  fi
  kill "$pid"; wait $tp || true
}

# ---------------------------------------------------------------- sillon
# Files sillon says it scanned: the first numeric field among a few likely names, else "?".
sillon_files() {
  jq -r '[.. | objects | (.tracks? // .files? // .scanned? // .added? // .total? // .trackCount?) | numbers] | first // "?"' "$1" 2>/dev/null || echo "?"
}
sillon_run() {  # $1 case, $2 data dir, rest: extra args
  local case="$1" data="$2"; shift 2
  local t0 secs name="${case//\//-}"; local out="$WORK/sillon-$name.json"
  t0=$(now)
  if ! /usr/bin/time -v -o "$WORK/sillon.time" "$SILLON" scan --music "$LIB" --data "$data" --json "$@" \
       > "$out" 2> "$WORK/sillon-$name.stderr"; then
    log "sillon scan ($case) failed: $(tail -5 "$WORK/sillon-$name.stderr")"
    record "$case" sillon FAILED nan nan nan; return 0
  fi
  secs=$(elapsed "$t0")
  record "$case" sillon "$(sillon_files "$out")" "$secs" "$(rss_mib "$WORK/sillon.time")" "$(cpu_s "$WORK/sillon.time")"
  log "sillon $case: $secs s ($(head -c 300 "$out" | tr '\n' ' '))"
}

# ---------------------------------------------------------------- TagLibSharp alone
# The floor under any scanner built on TagLibSharp: the same files read on as many threads, nothing stored.
TAGREAD="$BENCH_HERE/TagRead/bin/Release/net10.0/TagRead.dll"
[ -f "$TAGREAD" ] || dotnet build -c Release "$BENCH_HERE/TagRead" >&2 || die "building bench/TagRead failed"
taglib_run() {
  local out
  out=$(/usr/bin/time -v -o "$WORK/taglib.time" dotnet "$TAGREAD" "$LIB" "$(nproc)")
  record "$1" taglib "$(cut -d' ' -f1 <<<"$out")" "$(cut -d' ' -f2 <<<"$out")" "$(rss_mib "$WORK/taglib.time")" "$(cut -d' ' -f3 <<<"$out")"
  log "taglib alone: $out (files seconds cpu)"
}

# ---------------------------------------------------------------- runs
log "warming the page cache"; warm_cache "$LIB"
rm -f "$BENCH_DIR/busy-warnings"
for i in $(seq "$RUNS"); do
  wait_quiet; mpd_run full/warm "$([ "$i" = 1 ] && echo 1 || echo 0)"
  wait_quiet; taglib_run full/warm
  rm -rf "$WORK/data"
  wait_quiet; sillon_run full/warm "$WORK/data"
  wait_quiet; sillon_run unchanged "$WORK/data"
  wait_quiet; sillon_run forced "$WORK/data" --full
done
if [ "$COLD" = 1 ]; then
  wait_quiet; drop_caches; mpd_run full/cold 0
  rm -rf "$WORK/data"; wait_quiet; drop_caches; sillon_run full/cold "$WORK/data"
fi

# ---------------------------------------------------------------- 100 new files in serve
if [ "${SKIP_WATCH:-0}" != 1 ]; then
  EXTRA="$BENCH_DIR/extra100"
  "$BENCH_HERE/gen-library.sh" "$EXTRA" 100 --seed 4242 --prefix "Zz Added " >&2
  PORT=$(free_port); DATA="$WORK/data"     # already holds a complete scan of LIB
  "$SILLON" user add bench --password benchpass --data "$DATA" > "$WORK/user-add.log" 2>&1 \
    || die "sillon user add failed: $(cat "$WORK/user-add.log")"
  "$SILLON" serve --music "$LIB" --data "$DATA" --urls "http://127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
  SPID=$!
  trap 'kill $SPID 2>/dev/null || true; rm -rf "$LIB/_bench_added"' EXIT
  base="http://127.0.0.1:$PORT"
  if wait_http "$base/readyz" 120; then
    TOKEN=$(curl -sf -H 'Content-Type: application/json' -d '{"username":"bench","password":"benchpass"}' \
      "$base/api/v1/auth/login" | jq -r '.token') || die "login failed"
    scan_json() { curl -sf -H "Authorization: Bearer $TOKEN" "$base/api/v1/scan"; }
    # field names per the brief; check /openapi/v1.json if they differ
    scanning() { scan_json | jq -r '.scanning'; }
    tracks() { scan_json | jq -r '.tracks'; }
    t0=$(now)
    until [ "$(scanning)" = false ]; do sleep 0.1; (( $(echo "$(elapsed "$t0") > 600" | bc) )) && die "serve scan never finished"; done
    before=$(tracks); log "serve ready: $before tracks, RSS $(rss_now_mib $SPID) MiB"
    record "serve RSS after startup" sillon "$before" nan "$(rss_now_mib $SPID)" nan
    wait_quiet; t0=$(now); first=""
    cp -r "$EXTRA" "$LIB/_bench_added"
    while :; do
      n=$(tracks)
      [ -z "$first" ] && [ "$n" -gt "$before" ] && first=$(elapsed "$t0")
      [ "$n" -ge $((before + 100)) ] && break
      (( $(echo "$(elapsed "$t0") > 300" | bc) )) && { log "gave up after 300 s: $n tracks"; break; }
      sleep 0.1
    done
    secs=$(elapsed "$t0")
    log "100 new files: first visible after ${first:-never} s, all 100 after $secs s ($n tracks)"
    record "+100 files visible (first)" sillon 100 "${first:-nan}" nan nan
    record "+100 files visible (all)" sillon $((n - before)) "$secs" "$(hwm_mib $SPID)" nan
  else
    log "serve never became ready: $(tail -20 "$WORK/serve.log")"
  fi
  kill $SPID 2>/dev/null || true; wait $SPID 2>/dev/null || true
  rm -rf "$LIB/_bench_added"; trap - EXIT
fi

# ---------------------------------------------------------------- report
machine_info
echo "library: $LIB ($COUNT files: $(find "$LIB" -name '*.mp3' | wc -l) mp3, $(find "$LIB" -name '*.flac' | wc -l) flac, $(find "$LIB" -name '*.ogg' | wc -l) ogg); warm rows: median of $RUNS"
echo "tools: sillon $("$SILLON" --version 2>/dev/null | head -1 || echo '?'), $(mpd --version | head -1)"
[ "$COLD" = 1 ] || echo "cold cache: not permitted here, rows skipped"
[ -s "$BENCH_DIR/busy-warnings" ] && echo "WARNING: $(wc -l < "$BENCH_DIR/busy-warnings") step(s) measured while other processes kept the CPUs busy"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
/usr/bin/python3 "$BENCH_HERE/report_scan.py" "$RESULTS"
echo
echo "raw results: $RESULTS; logs in $WORK"
