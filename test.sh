#!/usr/bin/env bash
# Runs the whole test suite. The tests generate real audio with ffmpeg and tag it with tools we
# did not write (eyeD3, mutagen, metaflac, vorbiscomment, kid3-cli); this script installs them when
# it can (as root or with passwordless sudo) and says exactly what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")"

packages=(ffmpeg eyed3 flac vorbis-tools kid3-cli python3-mutagen util-linux nodejs npm)
missing() {
  local m=()
  for tool in ffmpeg ffprobe eyeD3 metaflac vorbiscomment kid3-cli setpriv node npm; do
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

passed=0
failed=0
trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -n "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  failed=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
fi
rm -rf "$results"

# Interoperability: a Subsonic client from npm (subsonic-api) drives the server built above.
# Needs Node.js 18+ and npm; without them the suite counts as one failure, never as silently skipped.
interop=tests/interop
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  tap=$(mktemp)
  if (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    (cd "$interop" && SILLON_DLL="$PWD/../Sillon.Tests/bin/Release/net10.0/sillon.dll" node --test --test-reporter=tap) >"$tap" 2>&1 || status=1
    cat "$tap"
    ipass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    ifail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    if [ -z "$ipass" ]; then ifail=$(( ${ifail:-0} + 1 )); fi
    passed=$(( ${passed:-0} + ${ipass:-0} ))
    failed=$(( ${failed:-0} + ${ifail:-0} ))
  else
    echo "test.sh: npm ci failed in $interop" >&2
    failed=$(( ${failed:-0} + 1 )); status=1
  fi
  rm -f "$tap"
else
  echo "test.sh: node and npm are needed for $interop (apt-get install -y nodejs npm)" >&2
  failed=$(( ${failed:-0} + 1 )); status=1
fi

# One plain closing line that any CI reads: "N passed, N failed".
echo "${passed:-0} passed, ${failed:-0} failed"
exit $status
