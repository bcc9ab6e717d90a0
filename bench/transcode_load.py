#!/usr/bin/env python3
"""Load generator for bench/transcode.sh: live-transcode listeners and an API latency probe.

ttfb   URL_TEMPLATE TOKEN N [PAUSE_S]  time to first body byte of N cache-missing live transcodes, one after
                                       the other, PAUSE_S apart (0: back to back)
speed  URL TOKEN SECONDS               how fast one whole transcode arrives (x realtime)
listen BASE TOKEN IDS N WINDOW TRACK_S listeners that each play tracks back to back at realtime,
                                       starting at random times over one track length; an API probe
                                       runs beside them. Prints underruns, 503s, API p50/p99, and the
                                       most encoders alive and paused at once.
Standard library only; HTTP/1.0 so that bodies end at connection close (no chunk parsing).
"""
import asyncio, json, random, statistics, sys, time
from urllib.parse import urlsplit

BYTES_PER_S = 128_000 / 8          # a 128 kbps listener
PREBUFFER_S = 2.0                  # what a player buffers before it starts

def pct(values, p):
    if not values: return float('nan')
    s = sorted(values); return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]

async def request(url, token):
    u = urlsplit(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    path = u.path + ('?' + u.query if u.query else '')
    writer.write(f"GET {path} HTTP/1.0\r\nHost: {u.hostname}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    retry = 5
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"retry-after:"): retry = int(line.split(b":")[1])
    return status, retry, reader, writer

async def ttfb(template, token, n, pause=0.0):
    times = []
    for i in range(n):
        if i and pause: await asyncio.sleep(pause)
        t0 = time.perf_counter()
        status, _, reader, writer = await request(template.format(offset=f"{1 + i * 0.137:.3f}"), token)
        await reader.read(1)
        times.append((time.perf_counter() - t0) * 1000)
        writer.close()
        assert status == 200, status
    print(json.dumps({"n": n, "p50_ms": round(pct(times, 50), 1), "p99_ms": round(pct(times, 99), 1), "max_ms": round(max(times), 1)}))

async def speed(url, token, seconds):
    t0 = time.perf_counter()
    status, _, reader, writer = await request(url, token)
    total = 0
    while chunk := await reader.read(65536): total += len(chunk)
    wall = time.perf_counter() - t0
    writer.close()
    print(json.dumps({"status": status, "bytes": total, "wall_s": round(wall, 3), "x_realtime": round(seconds / wall, 1)}))

async def listener(base, token, ids, track_s, start_at, stop_at, stats):
    await asyncio.sleep(start_at)
    while time.monotonic() < stop_at:
        url = f"{base}/api/v1/tracks/{random.choice(ids)}/stream?format=mp3&maxBitRate=128&timeOffset={random.uniform(0, 5):.3f}"
        t0 = time.monotonic()
        while True:
            status, retry, reader, writer = await request(url, token)
            if status != 503: break
            stats["refused"] += 1
            writer.close()
            if time.monotonic() + retry >= stop_at: return
            await asyncio.sleep(retry)
        got, underrun = 0, False
        # Playback starts once PREBUFFER_S of audio has arrived; from then on it consumes realtime.
        play_start = None
        while chunk := await reader.read(65536):
            got += len(chunk)
            now = time.monotonic()
            if play_start is None and got >= BYTES_PER_S * PREBUFFER_S:
                play_start = now
                stats["start_ms"].append((now - t0) * 1000)
            if play_start is not None and got < (now - play_start) * BYTES_PER_S:
                underrun = True
        writer.close()
        stats["tracks"] += 1
        stats["underruns"] += underrun
        # Keep listening for the rest of the track before asking for the next one.
        if play_start is not None:
            remaining = track_s - (time.monotonic() - play_start)
            if remaining > 0: await asyncio.sleep(min(remaining, max(0, stop_at - time.monotonic())))

async def api_probe(base, token, stop_at, latencies):
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        status, _, reader, writer = await request(f"{base}/api/v1/albums?limit=50&sort=newest", token)
        await reader.read()
        writer.close()
        latencies.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.05)

async def encoders(base, token, stop_at, seen):
    """Samples the transcoder's status twice a second: how many encoders were alive and paused at most."""
    while time.monotonic() < stop_at:
        _, _, reader, writer = await request(f"{base}/api/v1/system", token)
        t = json.loads(await reader.read())["transcoding"]
        writer.close()
        seen["alive"] = max(seen["alive"], t["activeProcesses"])
        seen["paused"] = max(seen["paused"], t.get("paused", 0))
        await asyncio.sleep(0.5)

async def listen(base, token, ids, n, window, track_s):
    stats = {"refused": 0, "tracks": 0, "underruns": 0, "start_ms": []}
    latencies = []
    seen = {"alive": 0, "paused": 0}
    stop_at = time.monotonic() + window
    # Listeners are at random points of their current track, as on a server in steady state: their
    # next-track requests arrive spread over one track length, not all at once.
    tasks = [listener(base, token, ids, track_s, random.uniform(0, track_s), stop_at, stats) for _ in range(n)]
    await asyncio.gather(api_probe(base, token, stop_at, latencies), encoders(base, token, stop_at, seen), *tasks)
    print(json.dumps({"listeners": n, "tracks": stats["tracks"], "underruns": stats["underruns"], "refused_503": stats["refused"],
                      "start_p50_ms": round(pct(stats["start_ms"], 50), 1), "start_p99_ms": round(pct(stats["start_ms"], 99), 1),
                      "api_p50_ms": round(pct(latencies, 50), 1), "api_p99_ms": round(pct(latencies, 99), 1), "api_requests": len(latencies),
                      "max_alive": seen["alive"], "max_paused": seen["paused"]}))

if __name__ == "__main__":
    random.seed(7)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ttfb": asyncio.run(ttfb(args[0], args[1], int(args[2]), float(args[3]) if len(args) > 3 else 0.0))
    elif cmd == "speed": asyncio.run(speed(args[0], args[1], float(args[2])))
    elif cmd == "listen": asyncio.run(listen(args[0], args[1], args[2].split(","), int(args[3]), float(args[4]), float(args[5])))
