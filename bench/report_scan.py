#!/usr/bin/python3
"""Print scan.sh's result tables from its raw TSV: case, tool, files, seconds, peak RSS MiB,
CPU seconds (user+sys). Seconds and CPU seconds are medians over the runs of a case."""
import statistics
import sys


def num(x):
    try:
        v = float(x)
        return None if v != v else v
    except ValueError:
        return None


agg = {}
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    case, tool, files, secs, rss, cpu = (line.rstrip("\n").split("\t") + ["nan"])[:6]
    a = agg.setdefault((case, tool), {"secs": [], "cpu": [], "rss": []})
    for k, v in (("secs", secs), ("cpu", cpu), ("rss", rss)):
        if num(v) is not None:
            a[k].append(num(v))
    a["files"] = files  # last run's


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(v, f="{:.2f}"):
    return f.format(v) if v is not None else "-"


print(f"{'case':<28} {'tool':<7} {'files':>7} {'seconds':>8} {'files/s':>8} {'CPU s':>7} {'peak RSS MiB':>13}")
for (case, tool), a in agg.items():
    a["s"], a["c"], a["r"] = med(a["secs"]), med(a["cpu"]), (max(a["rss"]) if a["rss"] else None)
    f = num(a["files"])
    fs = f"{f / a['s']:.0f}" if a["s"] and f and not case.startswith(("+", "serve")) else "-"
    print(f"{case:<28} {tool:<7} {a['files']:>7} {fmt(a['s']):>8} {fs:>8} {fmt(a['c']):>7} {fmt(a['r'], '{:.1f}'):>13}")
print()
print(f"{'sillon/mpd':<12} {'wall time':>10} {'CPU time':>9} {'peak RSS':>9}")
for case in ("full/warm", "full/cold", "unchanged", "forced"):
    si, mp = agg.get((case, "sillon")), agg.get((case, "mpd"))
    if not si or not mp:
        continue
    r = lambda k: f"{si[k] / mp[k]:.2f}" if si[k] and mp[k] else "-"
    print(f"{case:<12} {r('s'):>10} {r('c'):>9} {r('r'):>9}")
tl, si = agg.get(("full/warm", "taglib")), agg.get(("full/warm", "sillon"))
if tl and si and tl["s"] and si["s"]:
    print()
    print("sillon full/warm against TagLibSharp alone reading the same files (same threads):")
    print(f"  wall time {si['s'] / tl['s']:.2f}x, CPU time {si['c'] / tl['c']:.2f}x" if tl["c"] and si["c"] else f"  wall time {si['s'] / tl['s']:.2f}x")
