using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Data;
using Sillon.Library;

namespace Sillon.Tests.Fixtures;

/// <summary>
/// A throwaway music folder and data folder for one test, and an in-process scanner over them.
/// Every test builds its own library: no test depends on another's data.
/// </summary>
public sealed class TestLibrary : IAsyncDisposable
{
    public string Root { get; }
    public string Music { get; }
    public string Data { get; }

    /// <summary>This library's own PostgreSQL database when the suite runs on PostgreSQL, else null (SQLite in Data).</summary>
    public string? DatabaseUrl { get; }

    public TestLibrary()
    {
        Root = Path.Combine(Path.GetTempPath(), "sillon-test-" + Guid.NewGuid().ToString("N")[..12]);
        Music = Path.Combine(Root, "music");
        Data = Path.Combine(Root, "data");
        Directory.CreateDirectory(Music);
        Directory.CreateDirectory(Data);
        if (PostgresServer.Enabled)
        {
            // Through the data folder's sillon.json, so everything that opens this data folder (the
            // in-process server, `sillon` child processes, the direct SQL of the tests) uses it.
            DatabaseUrl = PostgresServer.CreateDatabase();
            File.WriteAllText(Path.Combine(Data, "sillon.json"), System.Text.Json.JsonSerializer.Serialize(new { Database = DatabaseUrl }));
        }
    }

    /// <summary>The database of this library, as the server opens it.</summary>
    public Database Database() => new(Data, DatabaseUrl);

    public string PathOf(string relative) => Path.Combine(Music, relative);

    public Task<string> AddAsync(string relPath, string format, TagSet tags, double seconds = 1.0) =>
        AudioFiles.TaggedAsync(Music, relPath, format, tags, seconds);

    /// <summary>An untagged file (ffmpeg writes none with -map_metadata -1).</summary>
    public Task<string> AddUntaggedAsync(string relPath, string format = "mp3", double seconds = 1.0)
    {
        var path = PathOf(relPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return AudioFiles.CreateAsync(path, format, seconds);
    }

    public Task<string> ImageAsync(string relPath, int size = 64)
    {
        var path = PathOf(relPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return AudioFiles.CreateImageAsync(path, size, size);
    }

    public string WriteBytes(string relPath, byte[] bytes)
    {
        var path = PathOf(relPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public IConfigurationRoot Configuration(IEnumerable<string>? music = null, IDictionary<string, string?>? extra = null) =>
        SillonConfiguration.Build(Data, [.. music ?? [Music]], null, extra);

    /// <summary>The scanner wired as `sillon scan` wires it, over this library.</summary>
    public async Task<ScanHarness> ScannerAsync(IEnumerable<string>? music = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSillonCore(Configuration(music));
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Database>().MigrateAsync(TimeProvider.System);
        return new ScanHarness(provider);
    }

    public async Task<ScanSummary> ScanAsync(bool full = false, IEnumerable<string>? music = null)
    {
        await using var harness = await ScannerAsync(music);
        return await harness.ScanAsync(full);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        if (DatabaseUrl is not null) PostgresServer.DropDatabase(DatabaseUrl);
        try
        {
            // Tests chmod files to 000 and make loops: make everything deletable first.
            Process.Start("chmod", ["-R", "u+rwX", Root])?.WaitForExit();
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

public sealed class ScanHarness(ServiceProvider provider) : IAsyncDisposable
{
    public IServiceProvider Services => provider;
    public Scanner Scanner => provider.GetRequiredService<Scanner>();
    public Database Database => provider.GetRequiredService<Database>();

    public Task<ScanSummary> ScanAsync(bool full = false) => Scanner.ScanAsync(full, CancellationToken.None);

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}
