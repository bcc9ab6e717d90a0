#!/usr/bin/env bash
# Live transcoding: time to first audio byte, encoding speed, simultaneous 128 kbps listeners
# with the API still answering, and cache-hit serving against serving the original.
#   bench/transcode.sh            (LISTENERS="50 100 150 200" WINDOW=90 to change the load steps;
#                                  WARM_ENCODERS=0 turns the warm encoders off, for a comparison)
set -euo pipefail
. "$(dirname "$0")/common.sh"
need ffmpeg curl jq wrk /usr/bin/python3
ensure_sillon

work="$BENCH_DIR/transcode"; lib="$work/lib"; data="$work/data"
mkdir -p "$lib"
track_s=60
if [ "$(ls "$lib" 2>/dev/null | wc -l)" -lt 12 ]; then
  log "generating 12 x ${track_s}s FLAC tracks (pink noise: harder than sine for the encoder)"
  for i in $(seq -w 1 12); do
    ffmpeg -nostdin -loglevel error -y -f lavfi -i "anoisesrc=color=pink:duration=$track_s:amplitude=0.3:seed=$i" \
      -ac 2 -ar 44100 -c:a flac -metadata title="Noise $i" -metadata artist=Bench -metadata album=Transcode "$lib/$i.flac"
  done
fi
rm -rf "$data"; mkdir -p "$data"
"$SILLON" user add bench --admin --password benchpass --data "$data" >/dev/null
port=$(free_port); base="http://127.0.0.1:$port"
SILLON_TRANSCODING__WARMENCODERS="${WARM_ENCODERS:-2}" SILLON_LIBRARY__WATCH=false "$SILLON" serve --music "$lib" --data "$data" --urls "$base" > "$work/serve.log" 2>&1 &
pid=$!; trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
wait_http "$base/readyz" 60 || die "server did not start"
token=$(curl -s -X POST -H 'content-type: application/json' -d '{"username":"bench","password":"benchpass"}' "$base/api/v1/auth/login" | jq -r .token)
until [ "$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/scan" | jq .tracks)" = 12 ]; do sleep 0.2; done
ids=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/tracks?limit=50" | jq -r '[.items[].id] | join(",")')
first=${ids%%,*}
machine_info

wait_quiet
log "time to first byte of live transcodes (cache misses)"
py=/usr/bin/python3; load="$BENCH_HERE/transcode_load.py"
# The warm-up also makes MP3 128k a recently used profile, so the server keeps warm encoders for it.
$py "$load" ttfb "$base/api/v1/tracks/$first/stream?format=mp3&maxBitRate=128&timeOffset={offset}" "$token" 5 >/dev/null   # warm-up
# Requests half a second apart (a listener pressing play, skipping) and back to back (each the
# moment the last one's first byte arrived: the warm encoders cannot be replaced that fast).
ttfb=$($py "$load" ttfb "$base/api/v1/tracks/$first/stream?format=mp3&maxBitRate=128&timeOffset={offset}" "$token" 40 0.5)
ttfb_b2b=$($py "$load" ttfb "$base/api/v1/tracks/$first/stream?format=mp3&maxBitRate=128&timeOffset={offset}" "$token" 40 0)
# Reference: ffmpeg alone to its first output byte (process start + decoder + encoder set-up).
# The server's own settings (one thread, LAME -q 5, 32 KiB writes), so the ratios compare like with like.
mp3="-threads 1 -c:a libmp3lame -b:a 128k -compression_level 5 -flush_packets 0 -f mp3"
ff=$(for i in $(seq 1 20); do s=$(now); ffmpeg -nostdin -loglevel quiet -i "file:$lib/01.flac" $mp3 pipe:1 | head -c 1 >/dev/null; elapsed "$s"; done | median)

wait_quiet
log "encoding speed of one whole transcode"
speed_mp3=$($py "$load" speed "$base/api/v1/tracks/$first/stream?format=mp3&maxBitRate=128&timeOffset=0.5" "$token" $track_s)
speed_opus=$($py "$load" speed "$base/api/v1/tracks/$first/stream?format=opus&maxBitRate=128&timeOffset=0.5" "$token" $track_s)
s=$(now); ffmpeg -nostdin -loglevel quiet -i "$lib/02.flac" $mp3 - > /dev/null; ffmpeg_x=$(echo "$track_s / $(elapsed "$s")" | bc -l)
s=$(now); ffmpeg -nostdin -loglevel quiet -i "$lib/02.flac" -c:a libmp3lame -b:a 128k -f mp3 - > /dev/null; ffmpeg_q3_x=$(echo "$track_s / $(elapsed "$s")" | bc -l)

echo
echo "| measure | Sillon | reference | ratio |"
echo "|---|---|---|---|"
printf '| live transcode, time to first byte p50 / p99 (ms), requests 0.5 s apart | %s / %s | ffmpeg alone to first byte: %.0f | %.2f |\n' \
  "$(jq .p50_ms <<<"$ttfb")" "$(jq .p99_ms <<<"$ttfb")" "$(echo "$ff * 1000" | bc -l)" "$(echo "$(jq .p50_ms <<<"$ttfb") / ($ff * 1000)" | bc -l)"
printf '| live transcode, time to first byte p50 / p99 (ms), back to back | %s / %s | | %.2f |\n' \
  "$(jq .p50_ms <<<"$ttfb_b2b")" "$(jq .p99_ms <<<"$ttfb_b2b")" "$(echo "$(jq .p50_ms <<<"$ttfb_b2b") / ($ff * 1000)" | bc -l)"
printf '| one transcode, FLAC → MP3 128k (× realtime) | %s | ffmpeg alone to /dev/null: %.0f | %.2f |\n' \
  "$(jq .x_realtime <<<"$speed_mp3")" "$ffmpeg_x" "$(echo "$(jq .x_realtime <<<"$speed_mp3") / $ffmpeg_x" | bc -l)"
printf '| one transcode, FLAC → Opus 128k (× realtime) | %s | | |\n' "$(jq .x_realtime <<<"$speed_opus")"
printf '| ffmpeg alone, LAME at its default -q 3 (× realtime) | | %.0f | |\n' "$ffmpeg_q3_x"

echo
echo "| listeners (128 kbps MP3, each a new transcode per ${track_s}s track) | tracks started | underruns | 503s (retried) | playback start p50 / p99 (ms) | API p50 / p99 (ms) | encoders alive / paused at most | server RSS (MiB) | load average after |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in ${LISTENERS:-50 100 150 200}; do
  wait_quiet
  rm -rf "$data/cache/transcodes"/*
  log "$n listeners for ${WINDOW:-90}s"
  r=$($py "$load" listen "$base" "$token" "$ids" "$n" "${WINDOW:-90}" "$track_s")
  printf '| %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s |\n' "$n" "$(jq .tracks <<<"$r")" "$(jq .underruns <<<"$r")" "$(jq .refused_503 <<<"$r")" \
    "$(jq .start_p50_ms <<<"$r")" "$(jq .start_p99_ms <<<"$r")" "$(jq .api_p50_ms <<<"$r")" "$(jq .api_p99_ms <<<"$r")" \
    "$(jq .max_alive <<<"$r")" "$(jq .max_paused <<<"$r")" "$(hwm_mib $pid)" "$(cut -d' ' -f1-3 /proc/loadavg)"
done

wait_quiet
log "cache hit against the original (whole-file GETs, 50 connections, 10 s)"
cached="$base/api/v1/tracks/$first/stream?format=mp3&maxBitRate=128"
curl -s -o /dev/null -H "Authorization: Bearer $token" "$cached"; curl -s -o /dev/null -H "Authorization: Bearer $token" "$cached"
# An original of about the same size as the cached transcode, so bytes per request match.
size=$(curl -s -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $token" "$cached")
ffmpeg -nostdin -loglevel error -y -i "$lib/01.flac" -c:a libmp3lame -b:a 128k "$lib/zz-original.mp3"
curl -s -X POST -H "Authorization: Bearer $token" "$base/api/v1/scan" >/dev/null; sleep 2
orig=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/tracks?limit=50" | jq -r '.items[] | select(.path=="zz-original.mp3") | .id')
hit=$(wrk -t2 -c50 -d10s -H "Authorization: Bearer $token" "$cached" | awk '/Requests\/sec/ {print $2}')
raw=$(wrk -t2 -c50 -d10s -H "Authorization: Bearer $token" "$base/api/v1/tracks/$orig/stream" | awk '/Requests\/sec/ {print $2}')
echo
echo "| whole-file GETs of ~$((size / 1024)) KiB, 50 connections | req/s | MiB/s |"
echo "|---|---|---|"
printf '| cached transcode | %s | %.0f |\n' "$hit" "$(echo "$hit * $size / 1048576" | bc -l)"
printf '| original file | %s | %.0f |\n' "$raw" "$(echo "$raw * $size / 1048576" | bc -l)"
printf '| ratio cached / original | %.2f | |\n' "$(echo "$hit / $raw" | bc -l)"
rm -f "$lib/zz-original.mp3"
