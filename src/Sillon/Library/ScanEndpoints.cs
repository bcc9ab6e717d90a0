using Microsoft.AspNetCore.Http.HttpResults;

namespace Sillon.Library;

public sealed record ScanStatusResponse(
    bool Scanning, string? Phase, int FilesFound, int FilesProcessed, double FilesPerSecond, double? EtaSeconds,
    long Tracks, long Albums, long Artists, ScanSummary? LastScan);

public static class ScanEndpoints
{
    public static void MapScanEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/scan").WithTags("Library");
        group.MapGet("", Status).WithSummary("Whether a scan is running, its progress, and the last scan's summary");
        group.MapPost("", Start).RequireAuthorization("admin")
            .WithSummary("Start a scan in the background (full=true re-reads every file); 409 when one is running");
    }

    private static async Task<Ok<ScanStatusResponse>> Status(ScanState state, Catalog.CatalogQueries catalog, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var current = state.Current;
        var (tracks, albums, artists) = await catalog.CountsAsync(ct);
        return TypedResults.Ok(new ScanStatusResponse(
            current is not null, current?.Phase, current?.FilesFound ?? 0, current?.FilesProcessed ?? 0,
            Math.Round(current?.FilesPerSecond(now) ?? 0, 1), current?.EtaSeconds(now) is { } eta ? Math.Round(eta, 1) : null,
            tracks, albums, artists, state.Last));
    }

    private static Results<Accepted<ScanStatusResponse>, Conflict<string>> Start(bool? full, ScanTrigger trigger, ScanState state)
    {
        if (!trigger.Request(full ?? false)) return TypedResults.Conflict("a scan is already running");
        return TypedResults.Accepted("/api/v1/scan",
            new ScanStatusResponse(true, "starting", 0, 0, 0, null, 0, 0, 0, state.Last));
    }
}
