namespace Sillon;

/// <summary>
/// The options every command shares. They come, from weakest to strongest, from the defaults here,
/// <c>sillon.json</c> in the data folder, <c>SILLON_…</c> environment variables, and the command line.
/// </summary>
public sealed class SillonOptions
{
    public string Data { get; set; } = "./sillon-data";
    public List<string> Music { get; set; } = [];
    public string Urls { get; set; } = "http://localhost:4747";

    /// <summary>A PostgreSQL URL (postgres://user:password@host:port/database); unset, the catalog is SQLite in data/sillon.db.</summary>
    public string? Database { get; set; }
}

public static class SillonConfiguration
{
    /// <summary>
    /// Builds the layered configuration. The data folder is needed first (it holds sillon.json), so it
    /// is taken from the command line or SILLON_DATA before the rest is read.
    /// </summary>
    public static IConfigurationRoot Build(string? dataFromCli, IReadOnlyList<string> musicFromCli, string? urlsFromCli,
        IDictionary<string, string?>? extra = null)
    {
        var data = dataFromCli ?? Environment.GetEnvironmentVariable("SILLON_DATA") ?? "./sillon-data";
        var cli = new Dictionary<string, string?>();
        if (dataFromCli is not null) cli["Data"] = dataFromCli;
        if (urlsFromCli is not null) cli["Urls"] = urlsFromCli;
        for (var i = 0; i < musicFromCli.Count; i++) cli[$"Music:{i}"] = musicFromCli[i];
        if (extra is not null) foreach (var (k, v) in extra) cli[k] = v;

        return new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(Path.Combine(data, "sillon.json")), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables("SILLON_")
            .AddInMemoryCollection(cli)
            .Build();
    }

    public static SillonOptions Bind(IConfiguration configuration)
    {
        var options = new SillonOptions();
        configuration.Bind(options);
        // A single SILLON_MUSIC=/a:/b is friendlier than SILLON_MUSIC__0, SILLON_MUSIC__1.
        var single = configuration["Music"];
        if (options.Music.Count == 0 && !string.IsNullOrWhiteSpace(single))
            options.Music = [.. single.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        options.Data = Path.GetFullPath(options.Data);
        options.Music = [.. options.Music.Select(m => Path.TrimEndingDirectorySeparator(Path.GetFullPath(m))).Distinct()];
        return options;
    }
}
