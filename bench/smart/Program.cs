// Times smart playlist evaluation on a synthetic catalog: TRACKS tracks (default 100,000) and PLAYS
// play events (default 1,000,000) spread over 10 users, whose annotations (play count, last played,
// stars, ratings) are derived from those plays as Sillon keeps them. Usage: SmartBench DATA_DIR [TRACKS] [PLAYS] [RUNS]
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Sillon.Data;
using Sillon.Playlists;

var dir = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "sillon-smart-bench");
var tracks = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
var plays = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1_000_000;
var runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50;
const int Users = 10;
var time = TimeProvider.System;
var db = new Database(dir);
var fresh = !File.Exists(db.FilePath);
await db.MigrateAsync(time);
var now = time.GetUtcNow();
static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

if (fresh)
{
    var sw = Stopwatch.StartNew();
    await using var c = (SqliteConnection)await db.OpenAsync();
    var rng = new Random(42);
    await using (var tx = await c.BeginTransactionAsync())
    {
        await c.ExecuteAsync("INSERT INTO library_roots (path) VALUES ('/music')", transaction: tx);
        for (var u = 1; u <= Users; u++)
            await c.ExecuteAsync("INSERT INTO users (name, password_hash, is_admin, created_at) VALUES (@n, 'x', 0, @t)", new { n = $"user{u}", t = Iso(now) }, tx);
        var genres = new[] { "Rock", "Jazz", "Pop", "Electronic", "Classical", "Hip-Hop", "Folk", "Metal", "Blues", "Soul", "Reggae", "Country",
            "Ambient", "Punk", "Funk", "Latin", "World", "Soundtrack", "Indie", "R&B" };
        foreach (var g in genres) await c.ExecuteAsync("INSERT INTO genres (name) VALUES (@g)", new { g }, tx);
        var artists = tracks / 50;
        for (var a = 1; a <= artists; a++)
            await c.ExecuteAsync("INSERT INTO artists (name, sort_name, artist_key, created_at) VALUES (@n, @n, @n, @t)", new { n = $"Artist {a}", t = Iso(now) }, tx);
        var albums = tracks / 10;
        for (var a = 1; a <= albums; a++)
            await c.ExecuteAsync("""
                INSERT INTO albums (album_key, name, sort_name, display_artist, year, created_at, updated_at) VALUES (@k, @n, @n, @artist, @year, @t, @t)
                """, new { k = $"al{a}", n = $"Album {a}", artist = $"Artist {(a - 1) / 5 + 1}", year = 1960 + a % 65, t = Iso(now) }, tx);
        using var insert = c.CreateCommand();
        insert.Transaction = (SqliteTransaction)tx;
        insert.CommandText = """
            INSERT INTO tracks (root_id, album_id, path, size, mtime, fingerprint, title, sort_title, display_artist, display_album_artist, track_number,
                year, duration, bitrate, sample_rate, bit_depth, channels, codec, suffix, content_type, created_at, updated_at)
            VALUES (1, $album, $path, 5000000, 0, $path, $title, $title, $artist, $artist, $n, $year, $duration, $bitrate, 44100, 16, 2, $codec, $suffix, 'audio/x', $added, $added)
            """;
        var p = new[] { "$album", "$path", "$title", "$artist", "$n", "$year", "$duration", "$bitrate", "$codec", "$suffix", "$added" }
            .ToDictionary(n => n, n => insert.Parameters.Add(new SqliteParameter(n, null)));
        using var genre = c.CreateCommand();
        genre.Transaction = (SqliteTransaction)tx;
        genre.CommandText = "INSERT INTO track_genres (track_id, genre_id, position) VALUES ($t, $g, $p)";
        var gt = genre.Parameters.Add(new SqliteParameter("$t", 0));
        var gg = genre.Parameters.Add(new SqliteParameter("$g", 0));
        var gp = genre.Parameters.Add(new SqliteParameter("$p", 0));
        for (var t = 1; t <= tracks; t++)
        {
            var album = (t - 1) / 10 + 1;
            var flac = rng.Next(3) == 0;
            p["$album"].Value = album;
            p["$path"].Value = $"/music/Artist {(album - 1) / 5 + 1}/Album {album}/{t}.{(flac ? "flac" : "mp3")}";
            p["$title"].Value = $"Song {t}";
            p["$artist"].Value = $"Artist {(album - 1) / 5 + 1}";
            p["$n"].Value = (t - 1) % 10 + 1;
            p["$year"].Value = 1960 + album % 65;
            p["$duration"].Value = 120 + rng.Next(300);
            p["$bitrate"].Value = flac ? 900 : 320;
            p["$codec"].Value = flac ? "FLAC" : "MPEG-1 Layer 3";
            p["$suffix"].Value = flac ? "flac" : "mp3";
            p["$added"].Value = Iso(now.AddDays(-rng.Next(3650)));
            insert.ExecuteNonQuery();
            // Genre by artist (every album of an artist shares it), a second one for a quarter of tracks.
            gt.Value = t; gg.Value = (album - 1) / 5 % genres.Length + 1; gp.Value = 0;
            genre.ExecuteNonQuery();
            if (rng.Next(4) == 0) { gg.Value = rng.Next(genres.Length) + 1; gp.Value = 1; genre.ExecuteNonQuery(); }
        }
        await tx.CommitAsync();
    }
    Console.WriteLine($"catalog: {tracks} tracks in {sw.Elapsed.TotalSeconds:F1} s");

    // Plays: skewed toward a user's favourites (a quarter of the catalog takes most plays), over two years.
    sw.Restart();
    await using (var tx = await c.BeginTransactionAsync())
    {
        using var ev = c.CreateCommand();
        ev.Transaction = (SqliteTransaction)tx;
        ev.CommandText = "INSERT INTO play_events (user_id, track_id, played_at, client) VALUES ($u, $t, $at, 'bench')";
        var eu = ev.Parameters.Add(new SqliteParameter("$u", 0));
        var et = ev.Parameters.Add(new SqliteParameter("$t", 0));
        var ea = ev.Parameters.Add(new SqliteParameter("$at", ""));
        for (var i = 0; i < plays; i++)
        {
            var user = i % Users + 1;
            var favourite = rng.Next(10) < 8;
            var track = favourite ? (user * 7919 + rng.Next(tracks / 4)) % tracks + 1 : rng.Next(tracks) + 1;
            eu.Value = user; et.Value = track; ea.Value = Iso(now.AddMinutes(-rng.Next(2 * 365 * 24 * 60)));
            ev.ExecuteNonQuery();
        }
        // Annotations as scrobbling keeps them; stars on 2 % and ratings on 5 % of each user's played tracks.
        await c.ExecuteAsync("""
            INSERT INTO annotations (user_id, item_kind, item_id, play_count, played_at)
            SELECT user_id, 'track', track_id, COUNT(*), MAX(played_at) FROM play_events GROUP BY user_id, track_id
            """, transaction: tx);
        await c.ExecuteAsync("UPDATE annotations SET starred_at = played_at WHERE item_id % 50 = user_id", transaction: tx);
        await c.ExecuteAsync("UPDATE annotations SET rating = 1 + (item_id / 20) % 5 WHERE item_id % 20 = user_id", transaction: tx);
        await tx.CommitAsync();
    }
    Console.WriteLine($"plays: {plays} events, {await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM annotations")} annotations in {sw.Elapsed.TotalSeconds:F1} s");
}

var cases = new (string Name, string Json)[]
{
    ("genre is Rock + not played in 30 days, random, limit 100",
        """{"rules":[{"field":"genre","operator":"is","value":"Rock"},{"field":"lastplayed","operator":"notInTheLast","value":30}],"sort":{"field":"random"},"limit":100}"""),
    ("rating >= 4 (gt 3)", """{"rules":[{"field":"rating","operator":"gt","value":3}]}"""),
    ("play count > 5, by last played desc", """{"rules":[{"field":"playcount","operator":"gt","value":5}],"sort":{"field":"lastplayed","direction":"desc"}}"""),
    ("starred or added in the last 30 days, limit 500", """{"match":"any","rules":[{"field":"starred","operator":"isTrue"},{"field":"added","operator":"inTheLast","value":30}],"limit":500}"""),
    ("artist contains '12', flac, 1990-1999, by year", """{"rules":[{"field":"artist","operator":"contains","value":"12"},{"field":"format","operator":"is","value":"flac"},{"field":"year","operator":"between","value":[1990,1999]}],"sort":{"field":"year"}}"""),
    ("everything, random, limit 10000 (the cap)", """{"rules":[],"sort":{"field":"random"}}"""),
};

var smart = new SmartPlaylists(db, time, NullLogger<SmartPlaylists>.Instance);
var store = new PlaylistStore(db, smart, time);
Console.WriteLine($"| rule set | tracks | evaluate p50 ms | p99 ms | CPU ms/eval | stale refresh p50 ms | p99 ms | CPU ms/refresh |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var (name, json) in cases)
{
    var rules = SmartRules.Parse(json);
    var evaluate = new List<double>();
    var count = 0;
    var cpu = TimeSpan.Zero;
    await using (var c = await db.OpenAsync())
    {
        for (var i = 0; i < runs + 3; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            count = (await smart.EvaluateAsync(c, rules, ownerId: 1, CancellationToken.None)).Count;
            // CPU time as well as wall time: on a shared, busy machine it says what a request costs.
            if (i >= 3) { evaluate.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds); cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuStart; } // first runs warm the JIT and the page cache
        }
    }
    // A read of a stale playlist: evaluate, then rewrite playlist_tracks (what getPlaylist pays after a play or a scan).
    var id = await store.CreateSmartAsync(1, name, null, false, rules, CancellationToken.None);
    var refresh = new List<double>();
    var refreshCpu = TimeSpan.Zero;
    for (var i = 0; i < Math.Max(10, runs / 5) + 1; i++)
    {
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("UPDATE annotations SET rating = rating WHERE user_id = 1 AND item_kind = 'track' AND item_id = (SELECT MIN(item_id) FROM annotations WHERE user_id = 1)");
        var start = Stopwatch.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        await smart.RefreshAsync(1, id, CancellationToken.None);
        if (i >= 1) { refresh.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds); refreshCpu += Process.GetCurrentProcess().TotalProcessorTime - cpuStart; }
    }
    await store.DeleteAsync(id, 1, true, CancellationToken.None);
    Console.WriteLine($"| {name} | {count} | {P(evaluate, 50):F1} | {P(evaluate, 99):F1} | {cpu.TotalMilliseconds / evaluate.Count:F1} | {P(refresh, 50):F1} | {P(refresh, 99):F1} | {refreshCpu.TotalMilliseconds / refresh.Count:F1} |");
}

static double P(List<double> xs, int p)
{
    var s = xs.Order().ToList();
    return s[Math.Min(s.Count - 1, (int)Math.Ceiling(p / 100.0 * s.Count) - 1)];
}
