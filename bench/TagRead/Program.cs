// TagLibSharp alone, on as many threads as the scanner uses: what reading the tags costs before any
// catalog work. Prints "files seconds cpu_seconds".
using System.Diagnostics;

var root = args[0];
var threads = args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount;
string[] suffixes = [".mp3", ".flac", ".ogg", ".opus", ".m4a", ".wav", ".aiff", ".wma", ".ape", ".wv"];
var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
    .Where(f => suffixes.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).ToList();
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = threads }, path =>
{
    try
    {
        using var file = TagLib.File.Create(path);
        _ = file.Tag.Title;
        _ = file.Tag.Performers;
        _ = file.Properties.Duration;
    }
    catch (Exception e) when (e is TagLib.CorruptFileException or TagLib.UnsupportedFormatException or IOException) { }
});
Console.WriteLine($"{files.Count} {clock.Elapsed.TotalSeconds:0.000} {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.000}");
