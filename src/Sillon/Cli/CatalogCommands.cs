using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Sillon.Catalog.Generator;
using Sillon.Data;

namespace Sillon.Cli;

/// <summary>`sillon catalog generate`: a synthetic catalog of any size, for scale work and benchmarks.</summary>
public static class CatalogCommands
{
    public static Command Catalog()
    {
        var tracks = new Option<long>("--tracks", "-n") { Description = "How many tracks to generate", Required = true };
        var seed = new Option<int>("--seed") { Description = "The same seed gives the same catalog (default 1)", DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data", "-d") { Description = "Folder for the database (default ./sillon-data, or SILLON_DATA)" };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object" };
        var database = Commands.DatabaseOption();
        var generate = new Command("generate", "Write a realistic synthetic catalog straight into an empty database.") { tracks, seed, data, json, database };
        generate.SetAction((result, ct) => Commands.DatabaseGuard(async () =>
        {
            var count = result.GetValue(tracks);
            if (count is < 1 or > 100_000_000)
            {
                Console.Error.WriteLine("sillon: --tracks must be between 1 and 100,000,000.");
                return Commands.ExitCodes.Usage;
            }
            var options = SillonConfiguration.Bind(SillonConfiguration.Build(result.GetValue(data), [], null, Commands.DatabaseSetting(result.GetValue(database))));
            var db = Database.For(options);
            await db.MigrateAsync(TimeProvider.System, ct);
            var root = Path.Combine(options.Data, "generated");
            var generator = new CatalogGenerator(count, result.GetValue(seed), SampleAudio.Write(root), root, TimeProvider.System.GetUtcNow());
            var clock = Stopwatch.StartNew();
            var terminal = !Console.IsErrorRedirected;
            try
            {
                void Progress(long written)
                {
                    if (!terminal) return;
                    var rate = written / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
                    var eta = TimeSpan.FromSeconds(Math.Ceiling((count - written) / Math.Max(rate, 1)));
                    Console.Error.Write($"\r\u001b[K{written:N0}/{count:N0} tracks  {rate,9:N0} tracks/s  ETA {eta:mm\\:ss}");
                }
                var r = db.IsPostgres
                    ? await PostgresBulkLoad.LoadAsync(db, generator, root, Progress, ct)
                    : await SqliteBulkLoad.LoadAsync(db, generator, root, Progress, ct);
                if (terminal) Console.Error.Write("\r\u001b[K");
                var total = clock.Elapsed;
                var size = await DatabaseBytesAsync(db, ct);
                var summary = new
                {
                    tracks = r.Tracks, albums = r.Albums, artists = r.Artists,
                    seconds = Math.Round(total.TotalSeconds, 1),
                    rowsSeconds = Math.Round(r.Load.TotalSeconds, 1), indexSeconds = Math.Round(r.Indexes.TotalSeconds, 1),
                    searchSeconds = r.Search is { } searched ? Math.Round(searched.TotalSeconds, 1) : (double?)null,
                    tracksPerSecond = Math.Round(r.Tracks / total.TotalSeconds),
                    databaseBytes = size,
                };
                if (result.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(summary, Commands.JsonOptions));
                else
                {
                    Console.WriteLine($"Generated {r.Tracks:N0} tracks, {r.Albums:N0} albums, {r.Artists:N0} artists in {total.TotalSeconds:0.0} s ({summary.tracksPerSecond:N0} tracks/s).");
                    Console.WriteLine(r.Search is { } search
                        ? $"  rows {r.Load.TotalSeconds:0.0} s, indexes {r.Indexes.TotalSeconds:0.0} s, search index {search.TotalSeconds:0.0} s; database {size / 1048576.0:N0} MiB"
                        : $"  rows {r.Load.TotalSeconds:0.0} s, indexes, counts and search index {r.Indexes.TotalSeconds:0.0} s; database {size / 1048576.0:N0} MiB");
                }
                return Commands.ExitCodes.Ok;
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"sillon: {e.Message}.");
                return Commands.ExitCodes.Failed;
            }
            catch (Exception e) when (Database.IsDiskFull(e))
            {
                Console.Error.WriteLine("sillon: the disk is full; the generated catalog is incomplete: delete the data folder and try again with fewer tracks.");
                return Commands.ExitCodes.Storage;
            }
        }));
        return new Command("catalog", "Tools for the catalog.") { generate };
    }

    private static async Task<long> DatabaseBytesAsync(Database db, CancellationToken ct)
    {
        if (!db.IsPostgres) return new FileInfo(db.FilePath).Length;
        await using var c = await db.OpenAsync(ct);
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, new Dapper.CommandDefinition("SELECT pg_database_size(current_database())", cancellationToken: ct));
    }
}
