#!/usr/bin/env bash
# Runs the whole test suite. The tests generate real audio with ffmpeg and tag it with tools we
# did not write (eyeD3, mutagen, metaflac, vorbiscomment, kid3-cli); the web player's tests need
# node and Debian's chromium. This script installs them when it can (as root or with passwordless
# sudo) and says exactly what is missing otherwise. The .NET tests run twice: on SQLite (all of
# them), then the classes that use the database again on PostgreSQL (SILLON_TEST_DATABASE=postgres:
# the tests start a throwaway server from Debian's postgresql package themselves, see
# tests/Sillon.Tests/Fixtures/PostgresServer.cs). Order: .NET tests, then the Subsonic
# interoperability suite (the npm client subsonic-api against the built server), then the web
# player's unit tests (node --test), then its browser tests (playwright-core driving chromium).
set -euo pipefail
cd "$(dirname "$0")"

packages=(ffmpeg eyed3 flac vorbis-tools kid3-cli python3-mutagen util-linux chromium nodejs npm postgresql postgresql-contrib)
missing() {
  local m=()
  for tool in ffmpeg ffprobe eyeD3 metaflac vorbiscomment kid3-cli setpriv chromium node npm; do
    command -v "$tool" >/dev/null 2>&1 || m+=("$tool")
  done
  /usr/bin/python3 -c 'import mutagen' >/dev/null 2>&1 || m+=("python3-mutagen")
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || m+=("postgresql")
  echo "${m[@]:-}"
}

if [ -n "$(missing)" ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" = none ]; then
    echo "test.sh: missing $(missing); install them with: sudo apt-get install -y ${packages[*]}" >&2
    exit 2
  fi
  # Only what is missing: a node already on PATH (say from NodeSource) is not replaced by Debian's.
  wanted=()
  for p in "${packages[@]}"; do
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 || wanted+=("$p") ;;
      npm) command -v npm >/dev/null 2>&1 || wanted+=("$p") ;;
      *) wanted+=("$p") ;;
    esac
  done
  echo "test.sh: installing ${wanted[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
fi
# Some package installs leave /dev/null unwritable for non-root programs.
if [ "$(id -u)" = 0 ]; then chmod 666 /dev/null; fi
if [ -n "$(missing)" ]; then echo "test.sh: still missing $(missing)" >&2; exit 2; fi

results=$(mktemp -d)
status=0
# A full run leaves out the PostgreSQL-only tests here (they run in the pass below) instead of
# listing them as skipped; arguments (say --filter) replace that.
sqlite_args=("$@")
if [ $# -eq 0 ]; then sqlite_args=(--filter "Database!=PostgreSQL"); fi
dotnet test Sillon.slnx -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results/sqlite" "${sqlite_args[@]}" || status=$?

# The PostgreSQL pass: every test class that reads or writes the database (not the tag reader,
# range parsing, transcoding or static files, which never touch it). Only on a full run; for a
# filtered run on PostgreSQL, export SILLON_TEST_DATABASE=postgres yourself.
if [ $# -eq 0 ]; then
  postgres_classes="Sillon.Tests.Data.|Sillon.Tests.Library.ScannerTests|Sillon.Tests.Search.|Sillon.Tests.Subsonic.|Sillon.Tests.Api.|Sillon.Tests.Accounts.|Sillon.Tests.Cli.|Sillon.Tests.Streaming.StreamingTests|Sillon.Tests.Streaming.TranscodeLimitsTests|Sillon.Tests.Listening.|Sillon.Tests.Scrobbling.|Sillon.Tests.Podcasts.|Sillon.Tests.Lyrics.|Sillon.Tests.Playlists.|Sillon.Tests.Catalog.GeneratedCatalogTests"
  # Tests of the SQLite file itself carry the trait Database=SQLite and stay out.
  filter="($(sed 's/\([^|]*\)/FullyQualifiedName~\1/g' <<<"$postgres_classes"))&Database!=SQLite"
  echo "test.sh: the database tests again, on PostgreSQL"
  SILLON_TEST_DATABASE=postgres dotnet test Sillon.slnx -c Release --no-build --filter "$filter" \
    --logger "trx;LogFileName=results.trx" --results-directory "$results/postgres" || status=1
fi

passed=0
failed=0
for pass in sqlite postgres; do
  trx=$(find "$results/$pass" -name '*.trx' 2>/dev/null | head -n 1)
  if [ -n "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    passed=$((passed + $(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")))
    failed=$((failed + $(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")))
  elif [ "$pass" = sqlite ] || [ $# -eq 0 ]; then
    failed=$((failed + 1)) # no results at all: the build (or the PostgreSQL start) failed
  fi
done

# node --test writes TAP to a file (counted below) and the readable spec to the terminal.
node_suite() {
  local name=$1 dir=$2 tap="$results/${1// /-}.tap"
  echo "test.sh: $name (node --test in $dir)"
  (cd "$dir" && node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap") || status=1
  if [ -f "$tap" ]; then
    passed=$((passed + $(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)))
    failed=$((failed + $(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)))
  else
    failed=$((failed + 1))
  fi
}

# Arguments are for dotnet test (say --filter); the node suites run only on a full run.
if [ $# -eq 0 ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || status=1
  node_suite "Subsonic interoperability" tests/interop
  node_suite "web player unit tests" tests/web
  if [ ! -d tests/e2e/node_modules/playwright-core ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
    (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || status=1
  fi
  node_suite "web player browser tests" tests/e2e
fi

# One plain closing line that any CI reads: "N passed, N failed" (.NET and node tests together).
echo "${passed:-0} passed, ${failed:-0} failed"
rm -rf "$results"
exit $status
