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
        group.MapPost("/events/ticket", (HttpContext http, ScanEvents events) => TypedResults.Ok(events.Issue(http.User.Identity!.Name!)))
            .RequireAuthorization("admin").WithSummary("A ticket for one connection to /api/v1/scan/events within 30 s (EventSource cannot send the bearer token)");
        // Anonymous at the routing level: the handler accepts either the bearer token or a ticket.
        group.MapGet("/events", Events).AllowAnonymous()
            .WithSummary("Server-Sent Events: status, then progress (phase, files found/processed, files/s, ETA) while scanning and summary when a scan ends")
            .WithDescription("Administrators only: Authorization: Bearer, or ?ticket= from POST /api/v1/scan/events/ticket (single use, 30 s).")
            .Produces(200, contentType: "text/event-stream").Produces(401).Produces(403).Produces(503);
    }

    private static async Task<Ok<ScanStatusResponse>> Status(ScanState state, Catalog.CatalogQueries catalog, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok(await SnapshotAsync(state, catalog, time, ct));

    private static async Task<ScanStatusResponse> SnapshotAsync(ScanState state, Catalog.CatalogQueries catalog, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var current = state.Current;
        var (tracks, albums, artists) = await catalog.CountsAsync(ct);
        return new ScanStatusResponse(
            current is not null, current?.Phase, current?.FilesFound ?? 0, current?.FilesProcessed ?? 0,
            Math.Round(current?.FilesPerSecond(now) ?? 0, 1), current?.EtaSeconds(now) is { } eta ? Math.Round(eta, 1) : null,
            tracks, albums, artists, state.Last);
    }

    private static async Task<IResult> Events(string? ticket, HttpContext http, ScanEvents events, Accounts.Users users,
        ScanState state, Catalog.CatalogQueries catalog, TimeProvider time, CancellationToken ct)
    {
        bool admin;
        string name;
        async Task<bool> Allowed(CancellationToken token) => await users.DetailsAsync(name, token) is { IsAdmin: true, Disabled: false };
        if (http.User.Identity?.IsAuthenticated == true) (admin, name) = (http.User.IsInRole("admin"), http.User.Identity.Name!);
        else if (!string.IsNullOrEmpty(ticket) && events.Redeem(ticket) is { } holder)
        {
            // The account may have lost its role, or been disabled, since the ticket was issued.
            name = holder;
            admin = await Allowed(ct);
        }
        else return TypedResults.Problem("log in (Authorization: Bearer) or pass a fresh ticket from POST /api/v1/scan/events/ticket", statusCode: 401);
        if (!admin) return TypedResults.Problem("scan events are for administrators", statusCode: 403);
        if (!events.TryEnter())
        {
            http.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem($"at most {ScanEvents.MaxStreams} scan event streams at once", statusCode: 503);
        }
        try
        {
            await events.StreamAsync(http, await SnapshotAsync(state, catalog, time, ct), Allowed, ct);
        }
        finally
        {
            events.Leave();
        }
        return Results.Empty;
    }

    private static Results<Accepted<ScanStatusResponse>, Conflict<string>> Start(bool? full, ScanTrigger trigger, ScanState state)
    {
        if (!trigger.Request(full ?? false)) return TypedResults.Conflict("a scan is already running");
        return TypedResults.Accepted("/api/v1/scan",
            new ScanStatusResponse(true, "starting", 0, 0, 0, null, 0, 0, 0, state.Last));
    }
}
