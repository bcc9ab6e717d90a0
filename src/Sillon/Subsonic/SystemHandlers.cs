using Dapper;
using Sillon.Catalog;
using Sillon.Library;

namespace Sillon.Subsonic;

/// <summary>System and scanning: ping, license, extensions, tokenInfo, music folders, scan status.</summary>
public static class SystemHandlers
{
    public static readonly IReadOnlyList<OpenSubsonicExtension> Extensions =
    [
        new("formPost", [1]), new("apiKeyAuthentication", [1]), new("songLyrics", [1]), new("indexBasedQueue", [1]), new("transcodeOffset", [1]),
    ];

    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["ping"] = _ => Task.FromResult(SubsonicResult.Empty);
        h["getLicense"] = _ => Task.FromResult(SubsonicResult.Of("license", new License(true)));
        h["getOpenSubsonicExtensions"] = _ => Task.FromResult(SubsonicResult.Of("openSubsonicExtensions", Extensions));
        h["tokenInfo"] = call => Task.FromResult(SubsonicResult.Of("tokenInfo", new TokenInfo(call.User.Name)));
        h["getMusicFolders"] = GetMusicFolders;
        h["getScanStatus"] = GetScanStatus;
        h["startScan"] = StartScan;
    }

    private static async Task<SubsonicResult> GetMusicFolders(SubsonicCall call)
    {
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        var roots = await c.QueryAsync<(long Id, string Path)>(new CommandDefinition(
            "SELECT id, path FROM library_roots WHERE removed_at IS NULL ORDER BY id", cancellationToken: call.Ct)); // a removed folder waits only for its scan
        return SubsonicResult.Of("musicFolders", new MusicFolders(roots.Select(r => new MusicFolder(r.Id, Path.GetFileName(r.Path.TrimEnd('/')) is { Length: > 0 } n ? n : r.Path)).ToList()));
    }

    private static async Task<SubsonicResult> GetScanStatus(SubsonicCall call)
    {
        var state = call.Service<ScanState>();
        var (tracks, _, _) = await call.Service<CatalogQueries>().CountsAsync(call.Ct);
        return SubsonicResult.Of("scanStatus", new ScanStatusResult(state.Current is not null, state.Current?.FilesProcessed ?? tracks));
    }

    private static async Task<SubsonicResult> StartScan(SubsonicCall call)
    {
        call.RequireAdmin("startScan");
        var full = call.Params.Bool("fullScan") ?? false;
        call.Service<ScanTrigger>().Request(full); // already running: report the running scan
        var (tracks, _, _) = await call.Service<CatalogQueries>().CountsAsync(call.Ct);
        return SubsonicResult.Of("scanStatus", new ScanStatusResult(true, tracks));
    }
}
