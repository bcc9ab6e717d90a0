// Times the scanner's pieces one by one, single-threaded: the walk, TagLibSharp alone, TagReader.Read (our
// mapping + MP3 probe), and CatalogWriter writing the read tags into a fresh database.
// Usage: ScanParts LIBRARY [parts: walk,taglib,read,write]. Experiments on the write: DROPIDX=1 (secondary
// indexes of tracks and links dropped first, built after, inside the timing), FK_OFF=1, CKPT=N (wal_autocheckpoint);
// READSTYLE=None|Average|… is what TagLibSharp reads in the taglib part.
using System.Diagnostics;
using Sillon.Data;
using Sillon.Library;

var root = args[0];
var parts = args.Length > 1 ? args[1].Split(',') : ["taglib", "read", "write"];
double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
void Time(string name, Action body)
{
    var gc0 = GC.CollectionCount(0); var alloc0 = GC.GetTotalAllocatedBytes();
    var c = Cpu(); var w = Stopwatch.StartNew();
    body();
    Console.WriteLine($"{name,-10} wall {w.Elapsed.TotalSeconds:0.000} s  cpu {Cpu() - c:0.000} s  gen0 {GC.CollectionCount(0) - gc0}  alloc {(GC.GetTotalAllocatedBytes() - alloc0) / 1048576.0:0} MiB");
}

// READSTYLE=None|Average|...: what TagLibSharp reads in the "taglib" part.
var Style = Enum.Parse<TagLib.ReadStyle>(Environment.GetEnvironmentVariable("READSTYLE") ?? "Average");
var walk = new WalkResult();
Time("walk", () => new LibraryWalker(new CoverArtNames(CoverArtNames.Default)).Walk(root, 1, walk, new ScanProgress(DateTimeOffset.UtcNow, true), default));
if (parts.Contains("walk")) Time("walk", () => new LibraryWalker(new CoverArtNames(CoverArtNames.Default)).Walk(root, 1, new WalkResult(), new ScanProgress(DateTimeOffset.UtcNow, true), default));
var files = walk.Files;
Console.WriteLine($"{files.Count} files");

if (parts.Contains("taglib"))
    for (var r = 0; r < 2; r++)
        Time("taglib", () => { foreach (var f in files) { using var t = TagLib.File.Create(f.Path, Style); _ = t.Tag.Title; _ = t.Properties?.Duration; } });
var tags = new TrackTags[files.Count];
if (parts.Contains("read") || parts.Contains("write"))
    for (var r = 0; r < 2; r++)
        Time("read", () => { for (var i = 0; i < files.Count; i++) tags[i] = TagReader.Read(files[i].Path); });
if (parts.Contains("write"))
    for (var r = 0; r < 2; r++)
    {
        var dir = Path.Combine(Path.GetTempPath(), "scanparts-" + r);
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        var db = new Database(dir);
        await db.MigrateAsync(TimeProvider.System);
        await using var connection = await db.OpenAsync();
        using (var cmd = connection.CreateCommand()) { cmd.CommandText = SqliteDialect.ScannerCacheSize + $"INSERT INTO library_roots (id, path) VALUES (1, '{root.Replace("'", "''")}');"; cmd.ExecuteNonQuery(); }
        if (Environment.GetEnvironmentVariable("FK_OFF") == "1") using (var cmd = connection.CreateCommand()) { cmd.CommandText = "PRAGMA foreign_keys=OFF"; cmd.ExecuteNonQuery(); }
        if (Environment.GetEnvironmentVariable("CKPT") is { } ck) using (var cmd = connection.CreateCommand()) { cmd.CommandText = $"PRAGMA wal_autocheckpoint={ck}"; cmd.ExecuteNonQuery(); }
        var idx = new List<string>();
        if (Environment.GetEnvironmentVariable("DROPIDX") == "1")
            using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('tracks', 'track_artists', 'track_genres')";
                using (var rd = cmd.ExecuteReader()) while (rd.Read()) idx.Add(rd.GetString(1) + "\u0001" + rd.GetString(0));
                foreach (var i in idx) { cmd.CommandText = "DROP INDEX " + i.Split('\u0001')[1]; cmd.ExecuteNonQuery(); }
                Console.WriteLine($"dropped {idx.Count}");
            }
        Time("write", () =>
        {
            using var catalog = new CatalogWriter(connection, DateTimeOffset.UtcNow);
            catalog.Begin();
            for (var i = 0; i < files.Count; i++)
            {
                catalog.Write(files[i], null, tags[i], null);
                if (i % 500 == 499) { catalog.Commit(); catalog.Begin(); }
            }
            catalog.Commit();
            using var cmd = connection.CreateCommand();
            foreach (var i in idx) { cmd.CommandText = i.Split('\u0001')[0]; cmd.ExecuteNonQuery(); }
        });
    }
