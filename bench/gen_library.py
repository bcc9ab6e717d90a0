#!/usr/bin/python3
"""Generate a synthetic, tagged music library for the scan benchmarks.

Run with Debian's interpreter (/usr/bin/python3) so that python3-mutagen from apt is importable.
The audio is a handful of short sine-tone templates made once with ffmpeg; every track is a byte
copy of a template with its own tags, so 20 000 files take about a minute, not an hour.

Layout:  LIB/Artist/Album (Year)/NN - Title.ext      (single disc)
         LIB/Artist/Album (Year)/CD1/NN - Title.ext  (multi-disc albums)
         LIB/Various Artists/Album (Year)/...        (compilations: per-track artists)
Mix, decided per album: ~80 % MP3, ~12 % FLAC, ~8 % Ogg Vorbis; ~30 % of albums have cover.jpg
(multi-disc ones also one per CD folder); ~5 % of MP3 albums carry embedded front covers.

The output is deterministic for a given --seed and --count. A library folder that already holds
exactly --count audio files is left alone (pass --force to regenerate).
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from multiprocessing import Pool

try:
    from mutagen.id3 import ID3, TIT2, TPE1, TPE2, TALB, TRCK, TPOS, TDRC, TCON, TCMP, APIC
    from mutagen.flac import FLAC, Picture
    from mutagen.oggvorbis import OggVorbis
except ImportError:
    sys.exit("mutagen missing: apt-get install -y python3-mutagen, and run with /usr/bin/python3")

AUDIO_EXT = (".mp3", ".flac", ".ogg")
GENRES = ["Rock", "Jazz", "Electronic", "Classical", "Hip-Hop", "Folk", "Pop", "Metal",
          "Blues", "Soul", "Reggae", "Ambient", "Country", "Chanson", "Punk", "Latin"]
SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "da", "re", "po", "la", "shi", "mon",
             "ter", "val", "zor", "bel", "cri", "dan", "el", "fu", "gar", "hin", "jo", "ké", "lü",
             "mø", "nor", "ost", "pí", "qua", "rin", "sol", "tam", "ur", "ven", "wyn", "xa", "yor"]
WORDS = ["Night", "River", "Glass", "Echo", "Silver", "Morning", "Dust", "Fire", "Garden", "Ocean",
         "Winter", "Shadow", "Light", "Stone", "Dream", "City", "Road", "Heart", "Storm", "Mirror",
         "Velvet", "Paper", "Iron", "Summer", "Ghost", "Golden", "Electric", "Hollow", "Wild", "Blue"]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_templates(tmp):
    """A few short real files (no tags) plus a small JPEG; returns {ext: [paths]}, jpeg path."""
    base = ["ffmpeg", "-nostdin", "-y", "-hide_banner", "-loglevel", "error"]
    out = {".mp3": [], ".flac": [], ".ogg": []}
    for i, (freq, dur) in enumerate([(440, 2), (523, 3), (660, 3)]):
        src = ["-f", "lavfi", "-i", f"sine=frequency={freq}:duration={dur}:sample_rate=44100",
               "-ac", "2", "-map_metadata", "-1"]
        p = os.path.join(tmp, f"t{i}.mp3")
        run(base + src + ["-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "0",
                          "-write_id3v1", "0", p])
        out[".mp3"].append(p)
        p = os.path.join(tmp, f"t{i}.flac")
        run(base + src + ["-c:a", "flac", p])
        out[".flac"].append(p)
        p = os.path.join(tmp, f"t{i}.ogg")
        run(base + src + ["-c:a", "libvorbis", "-q:a", "2", p])
        out[".ogg"].append(p)
    jpg = os.path.join(tmp, "cover.jpg")
    run(base + ["-f", "lavfi", "-i", "testsrc=size=500x500:rate=1", "-frames:v", "1",
                "-q:v", "5", jpg])
    return out, jpg


def name(rng, words):
    if rng.random() < 0.5:
        w = " ".join(rng.sample(WORDS, words))
    else:
        w = " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
                     for _ in range(words))
    return w


def safe(s):
    return s.replace("/", "-").replace("\\", "-").replace(":", " -").strip(". ") or "_"


def plan(count, seed, prefix):
    """The whole library as a list of albums, each a dict with its tracks; deterministic."""
    rng = random.Random(seed)
    n_artists = max(10, count // 10)  # ~2000 artists for 20 000 tracks
    artists, seen = [], set()
    while len(artists) < n_artists:
        a = prefix + name(rng, rng.randint(1, 3))
        if rng.random() < 0.05:
            a = "The " + a
        if a not in seen:
            seen.add(a)
            artists.append(a)
    album_artists = artists[: int(n_artists * 0.95)]  # the rest appear only on compilations
    albums, made, i = [], 0, 0
    while made < count:
        ntracks = min(rng.randint(6, 14), count - made)
        comp = rng.random() < 0.05
        artist = "Various Artists" if comp else album_artists[i % len(album_artists)]
        r = rng.random()
        ext = ".mp3" if r < 0.80 else (".flac" if r < 0.92 else ".ogg")
        discs = 2 if (ntracks >= 8 and rng.random() < 0.08) else 1
        year = rng.randint(1960, 2025)
        title = name(rng, rng.randint(1, 4))
        album = {
            "artist": artist, "title": title, "year": year, "genre": rng.choice(GENRES),
            "ext": ext, "discs": discs, "comp": comp, "cover": rng.random() < 0.30,
            "embed": ext == ".mp3" and rng.random() < 0.05,
            "dir": os.path.join(safe(artist), safe(f"{title} ({year})") + (f" [{i}]" if comp else "")),
            "tracks": [],
        }
        per_disc = (ntracks + discs - 1) // discs
        for t in range(ntracks):
            disc, num = t // per_disc + 1, t % per_disc + 1
            ttitle = name(rng, rng.randint(1, 4))
            tartist = rng.choice(artists) if comp else artist
            sub = f"CD{disc}" if discs > 1 else ""
            fname = safe(f"{num:02d} - {ttitle}") + ext
            album["tracks"].append({
                "path": os.path.join(album["dir"], sub, fname), "title": ttitle,
                "artist": tartist, "disc": disc, "num": num,
                "ntracks": per_disc if disc < discs else ntracks - per_disc * (discs - 1),
                "tpl": rng.randrange(3),
            })
        albums.append(album)
        made += ntracks
        i += 1
    return albums


def write_album(job):
    lib, album, templates, jpg = job
    jpeg_bytes = open(jpg, "rb").read() if album["embed"] else None
    dirs = set()
    for t in album["tracks"]:
        path = os.path.join(lib, t["path"])
        d = os.path.dirname(path)
        if d not in dirs:
            os.makedirs(d, exist_ok=True)
            dirs.add(d)
        shutil.copyfile(templates[album["ext"]][t["tpl"]], path)
        tag(path, album, t, jpeg_bytes)
    if album["cover"]:
        for d in dirs | {os.path.join(lib, album["dir"])}:
            shutil.copyfile(jpg, os.path.join(d, "cover.jpg"))
    return len(album["tracks"])


def tag(path, album, t, jpeg_bytes):
    trck, tpos = f"{t['num']}/{t['ntracks']}", f"{t['disc']}/{album['discs']}"
    if album["ext"] == ".mp3":
        id3 = ID3()
        id3.add(TIT2(encoding=3, text=t["title"]))
        id3.add(TPE1(encoding=3, text=t["artist"]))
        id3.add(TPE2(encoding=3, text=album["artist"]))
        id3.add(TALB(encoding=3, text=album["title"]))
        id3.add(TRCK(encoding=3, text=trck))
        id3.add(TPOS(encoding=3, text=tpos))
        id3.add(TDRC(encoding=3, text=str(album["year"])))
        id3.add(TCON(encoding=3, text=album["genre"]))
        if album["comp"]:
            id3.add(TCMP(encoding=3, text="1"))
        if jpeg_bytes:
            id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=jpeg_bytes))
        id3.save(path)
        return
    f = FLAC(path) if album["ext"] == ".flac" else OggVorbis(path)
    f["title"], f["artist"], f["albumartist"] = t["title"], t["artist"], album["artist"]
    f["album"], f["date"], f["genre"] = album["title"], str(album["year"]), album["genre"]
    f["tracknumber"], f["tracktotal"] = str(t["num"]), str(t["ntracks"])
    f["discnumber"], f["disctotal"] = str(t["disc"]), str(album["discs"])
    if album["comp"]:
        f["compilation"] = "1"
    f.save()


def count_audio(lib):
    n = 0
    for _, _, files in os.walk(lib):
        n += sum(1 for f in files if f.lower().endswith(AUDIO_EXT))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("library", help="folder to create (or reuse when it already has --count files)")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", default="", help="prepended to every artist name (distinct sets)")
    ap.add_argument("--force", action="store_true", help="delete and regenerate")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()

    lib = os.path.abspath(a.library)
    if os.path.isdir(lib) and not a.force:
        have = count_audio(lib)
        if have == a.count:
            print(f"{lib}: already has {have} audio files, skipping")
            return
        if have:
            sys.exit(f"{lib} holds {have} audio files, not {a.count}; use --force to regenerate")
    if a.force and os.path.isdir(lib):
        shutil.rmtree(lib)
    os.makedirs(lib, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sillon-bench-tpl-") as tmp:
        templates, jpg = make_templates(tmp)
        albums = plan(a.count, a.seed, a.prefix)
        jobs = [(lib, al, templates, jpg) for al in albums]
        with Pool(a.jobs) as pool:
            done = sum(pool.imap_unordered(write_album, jobs, chunksize=16))
    fmt = {}
    for al in albums:
        fmt[al["ext"]] = fmt.get(al["ext"], 0) + len(al["tracks"])
    artists = {t["artist"] for al in albums for t in al["tracks"]}
    print(f"{lib}: {done} files, {len(albums)} albums, {len(artists)} track artists, "
          + ", ".join(f"{k[1:]}={v}" for k, v in sorted(fmt.items()))
          + f", {sum(al['cover'] for al in albums)} albums with cover.jpg, "
          + f"{sum(al['comp'] for al in albums)} compilations, "
          + f"{sum(al['discs'] > 1 for al in albums)} multi-disc")


if __name__ == "__main__":
    main()
