# Shared helpers for the benchmark scripts; sourced, not run.
# Environment:
#   SILLON     path to the sillon executable (default: dotnet publish into bench/.out)
#   BENCH_DIR  scratch folder for libraries, data dirs and logs (default /var/tmp/sillon-bench)

BENCH_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_DIR="${BENCH_DIR:-/var/tmp/sillon-bench}"
mkdir -p "$BENCH_DIR"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }          # seconds since a now() value
need() { for c in "$@"; do command -v "$c" >/dev/null || die "$c missing (apt-get install -y $c)"; done; }

# The sillon binary: $SILLON, or a Release publish of this checkout into bench/.out.
ensure_sillon() {
  if [ -n "${SILLON:-}" ]; then
    [ -x "$SILLON" ] || die "SILLON=$SILLON is not executable"
  else
    SILLON="$BENCH_HERE/.out/sillon"
    if [ ! -x "$SILLON" ]; then
      log "publishing sillon (Release) into $BENCH_HERE/.out"
      dotnet publish "$BENCH_HERE/../src/Sillon/Sillon.csproj" -c Release -o "$BENCH_HERE/.out" >&2 \
        || die "dotnet publish failed"
    fi
  fi
  export SILLON
}

# 0 when we may drop the page cache (root, writable /proc/sys/vm/drop_caches).
can_drop_caches() { sync && { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# Read every byte of a folder once so that the next run finds it in the page cache.
# (tar to /dev/null is skipped by GNU tar, so cat it is.)
warm_cache() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Max RSS in MiB from a `/usr/bin/time -v -o FILE` report.
rss_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }
# High-water RSS in MiB of a live process.
hwm_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null; }
rss_now_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null; }

# CPU seconds (user+sys) from a `/usr/bin/time -v` report, and of a live process so far.
cpu_s() { awk -F': ' '/User time|System time/ {t+=$2} END {printf "%.2f", t}' "$1"; }
proc_cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$1/stat"; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# Wait until a URL answers 200, at most $2 seconds.
wait_http() {
  local url="$1" limit="${2:-60}" t0; t0=$(now)
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ]; do
    (( $(echo "$(elapsed "$t0") > $limit" | bc) )) && return 1
    sleep 0.05
  done
}

machine_info() {
  printf 'machine: %s cores, %s, %s GiB RAM, kernel %s\n' "$(nproc)" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
    "$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)" "$(uname -r)"
  printf 'date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
}

# The machine may be shared (builds, tests). Before a measured step, wait until the CPUs have
# been at least QUIET_IDLE % idle over 2 s (default 85), at most QUIET_MAX s (default 180).
cpu_idle_pct() {
  local a b; a=($(head -1 /proc/stat)); sleep "${1:-2}"; b=($(head -1 /proc/stat))
  local tot=0 i; for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
  echo $(( tot > 0 ? 100 * (b[4] - a[4] + b[5] - a[5]) / tot : 100 ))
}
wait_quiet() {
  local t0 idle; t0=$(date +%s)
  while idle=$(cpu_idle_pct 2); [ "$idle" -lt "${QUIET_IDLE:-85}" ]; do
    if [ $(( $(date +%s) - t0 )) -ge "${QUIET_MAX:-180}" ]; then
      log "warning: machine still busy (${idle}% idle) after ${QUIET_MAX:-180}s; measuring anyway"
      echo "busy" >> "$BENCH_DIR/busy-warnings"; return 0
    fi
  done
}
