// Times the scanner's pieces one by one, single-threaded: TagLibSharp alone, TagReader.Read (our
// mapping + MP3 probe), and CatalogWriter writing the read tags into a fresh database.
// Usage: ScanParts LIBRARY [parts: taglib,read,write]
using System.Diagnostics;
using Sillon.Data;
using Sillon.Library;

var root = args[0];
var parts = args.Length > 1 ? args[1].Split(',') : ["taglib", "read", "write"];
var walk = new WalkResult();
new LibraryWalker(new CoverArtNames(CoverArtNames.Default)).Walk(root, 1, walk, new ScanProgress(DateTimeOffset.UtcNow, true), default);
var files = walk.Files;
Console.WriteLine($"{files.Count} files");

double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
void Time(string name, Action body)
{
    var gc0 = GC.CollectionCount(0); var alloc0 = GC.GetTotalAllocatedBytes();
    var c = Cpu(); var w = Stopwatch.StartNew();
    body();
    Console.WriteLine($"{name,-10} wall {w.Elapsed.TotalSeconds:0.000} s  cpu {Cpu() - c:0.000} s  gen0 {GC.CollectionCount(0) - gc0}  alloc {(GC.GetTotalAllocatedBytes() - alloc0) / 1048576.0:0} MiB");
}

if (parts.Contains("taglib"))
    for (var r = 0; r < 2; r++)
        Time("taglib", () => { foreach (var f in files) { using var t = TagLib.File.Create(f.Path, TagLib.ReadStyle.Average); _ = t.Tag.Title; _ = t.Properties.Duration; } });
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
        });
    }
