#!/usr/bin/env bash
# Runs the whole test suite. The tests generate real audio with ffmpeg and tag it with tools we
# did not write (eyeD3, mutagen, metaflac, vorbiscomment, kid3-cli); this script installs them when
# it can (as root or with passwordless sudo) and says exactly what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")"

packages=(ffmpeg eyed3 flac vorbis-tools kid3-cli python3-mutagen util-linux)
missing() {
  local m=()
  for tool in ffmpeg ffprobe eyeD3 metaflac vorbiscomment kid3-cli setpriv; do
    command -v "$tool" >/dev/null 2>&1 || m+=("$tool")
  done
  /usr/bin/python3 -c 'import mutagen' >/dev/null 2>&1 || m+=("python3-mutagen")
  echo "${m[@]:-}"
}

if [ -n "$(missing)" ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" = none ]; then
    echo "test.sh: missing $(missing); install them with: sudo apt-get install -y ${packages[*]}" >&2
    exit 2
  fi
  echo "test.sh: installing ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
# Some package installs leave /dev/null unwritable for non-root programs.
if [ "$(id -u)" = 0 ]; then chmod 666 /dev/null; fi
if [ -n "$(missing)" ]; then echo "test.sh: still missing $(missing)" >&2; exit 2; fi

results=$(mktemp -d)
status=0
dotnet test Sillon.slnx -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@" || status=$?

# One plain closing line that any CI reads: "N passed, N failed".
trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -n "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  echo "${passed:-0} passed, ${failed:-0} failed"
fi
rm -rf "$results"
exit $status
