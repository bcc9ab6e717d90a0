#!/usr/bin/env bash
# Generate (once) a synthetic tagged library for the scan benchmarks.
#   bench/gen-library.sh LIBRARY_DIR [COUNT]      (COUNT defaults to 20000)
# Extra options are passed to gen_library.py (--seed, --prefix, --force, --jobs).
# Needs ffmpeg and Debian's python3-mutagen; uses /usr/bin/python3 on purpose, because a
# python3 found on PATH (pyenv and the like) does not see apt's modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 LIBRARY_DIR [COUNT] [gen_library.py options]" >&2; exit 2; }
lib="$1"; shift
count=20000
if [ $# -ge 1 ] && [[ "$1" =~ ^[0-9]+$ ]]; then count="$1"; shift; fi

command -v ffmpeg >/dev/null || { echo "ffmpeg missing: apt-get install -y ffmpeg" >&2; exit 1; }
if ! /usr/bin/python3 -c 'import mutagen' 2>/dev/null; then
  echo "python3-mutagen missing: apt-get install -y python3-mutagen" >&2; exit 1
fi
start=$(date +%s.%N)
/usr/bin/python3 "$here/gen_library.py" "$lib" --count "$count" "$@"
printf 'gen-library: %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
