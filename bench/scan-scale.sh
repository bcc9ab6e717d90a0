#!/usr/bin/env bash
# Issue 7's scanner at scale: a real library of 100,000 tagged files (generated once with
# gen-library.sh), then 1,000 more. Times, each with a new `sillon scan` process (start-up
# included, as a person or a cron job runs it):
#   first      the first scan into an empty data folder (page cache warm)
#   unchanged  a second scan with nothing changed on disk                 (target ≤ 5 s)
#   add 1000   1,000 new files moved into the library, then a scan         (target ≤ 10 s)
#   remove     the same 1,000 moved out again, then a scan
# and, for comparison in the same run, mpd's own unchanged update (`mpc update --wait`) of the
# same 100,000 files in its running daemon.
#   bench/scan-scale.sh [LIBRARY] [COUNT]   (default $BENCH_DIR/lib100k, 100000)
set -euo pipefail
source "$(dirname "$0")/common.sh"
LIB="$(realpath -m "${1:-$BENCH_DIR/lib100k}")"
COUNT="${2:-100000}"
EXTRA="$BENCH_DIR/lib100k-extra"
need ffmpeg curl jq bc /usr/bin/time
"$BENCH_HERE/gen-library.sh" "$LIB" "$COUNT" >&2
[ -d "$EXTRA/New Arrivals" ] || "$BENCH_HERE/gen-library.sh" "$EXTRA/New Arrivals" 1000 --seed 7 --prefix "New " >&2
ensure_sillon
WORK="$BENCH_DIR/scan-scale-run"
rm -rf "$WORK"; mkdir -p "$WORK"
log "warming the page cache"; warm_cache "$LIB"; warm_cache "$EXTRA"

scan() {  # $1 label: one `sillon scan`, a row of the table
  local t0 secs
  t0=$(now)
  /usr/bin/time -v -o "$WORK/time" "$SILLON" scan --music "$LIB" --data "$WORK/data" --json > "$WORK/out.json" 2> "$WORK/err"
  secs=$(elapsed "$t0")
  printf '| %s | %.2f | %s | %s | %s | %s | %s |\n' "$1" "$secs" "$(cpu_s "$WORK/time")" "$(rss_mib "$WORK/time")" \
    "$(jq .added "$WORK/out.json")" "$(jq .removed "$WORK/out.json")" "$(jq .tracks "$WORK/out.json")"
}

echo "## Scanner at scale: $COUNT files, $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| step | seconds | CPU s | peak RSS MiB | added | removed | tracks |"
echo "|---|---:|---:|---:|---:|---:|---:|"
scan "first scan, empty data folder"
scan "unchanged rescan"
scan "unchanged rescan (again)"
mv "$EXTRA/New Arrivals" "$LIB/New Arrivals"
trap 'mv "$LIB/New Arrivals" "$EXTRA/New Arrivals" 2>/dev/null || true' EXIT
scan "1,000 files added"
mv "$LIB/New Arrivals" "$EXTRA/New Arrivals"
trap - EXIT
scan "the 1,000 removed again"

if command -v mpd >/dev/null && command -v mpc >/dev/null; then
  port=$(free_port)
  mkdir -p "$WORK/mpd"
  printf 'music_directory "%s"\ndb_file "%s/mpd/db"\nlog_file "%s/mpd/log"\nbind_to_address "127.0.0.1"\nport "%s"\nzeroconf_enabled "no"\nauto_update "no"\naudio_output {\n type "null"\n name "null"\n}\n' \
    "$LIB" "$WORK" "$WORK" "$port" > "$WORK/mpd.conf"
  mpd --no-daemon "$WORK/mpd.conf" 2>/dev/null & mpdpid=$!
  until mpc -q -p "$port" status >/dev/null 2>&1; do sleep 0.1; done
  while mpc -p "$port" status | grep -q '^Updating DB'; do sleep 0.5; done
  t0=$(now); mpc -q -p "$port" update --wait; u=$(elapsed "$t0")
  echo
  printf 'mpd, same library, unchanged update in its running daemon: %.2f s (%s songs)\n' "$u" "$(mpc -p "$port" stats | awk '/^Songs:/ {print $2}')"
  kill $mpdpid; wait $mpdpid 2>/dev/null || true
fi
