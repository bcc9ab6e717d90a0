using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Sillon.Accounts;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Streaming.Transcoding;

namespace Sillon.Streaming;

public sealed record StreamingSettings(int? MaxBitRate, string? PreferredFormat, string? ReplayGain);
public sealed record PlayerInfo(long Id, string User, string Client, int? MaxBitRate, string? PreferredFormat, string LastSeen);
/// <summary>
/// ActiveProcesses are the admitted live transcodes: Running of them may run (at most RunSlots), Paused wait for a slot.
/// WarmEncoders are ffmpeg processes started ahead of time, idle until handed a transcode.
/// </summary>
public sealed record TranscodingStatus(bool Available, string? Problem, string? Ffmpeg, int ActiveProcesses, int MaxProcesses,
    int Running, int Paused, int RunSlots, long CacheBytes, int CacheEntries, int WarmEncoders);
public sealed record SystemStatus(string Version, TranscodingStatus Transcoding);

public static class StreamEndpoints
{
    public static void MapStreamEndpoints(this RouteGroupBuilder api)
    {
        api.MapMethods("/tracks/{id}/stream", [HttpMethods.Get, HttpMethods.Head], Stream)
            .WithTags("Streaming")
            .WithSummary("The track's audio: the original byte for byte (Range, If-Range, conditional requests), or transcoded")
            .WithDescription("format = raw | mp3 | opus | aac | m4a | flac; maxBitRate in kbps (0 = no limit); timeOffset in seconds starts a transcode there; estimateContentLength announces a Content-Length; client names the player for per-player limits.")
            .Produces(200).Produces(206).Produces(304).Produces(400).Produces(403).Produces(404).Produces(416).Produces(503)
            .RequireAuthorization(RolePolicies.Stream)
            .WithMetadata(SendsMedia.Metadata);

        var admin = api.MapGroup("").WithTags("Streaming").RequireAuthorization("admin");
        admin.MapPut("/users/{name}/streaming", SetUserSettings).WithSummary("A user's maximum bitrate, preferred format and ReplayGain mode (off | track | album)");
        admin.MapGet("/players", Players).WithSummary("Clients seen streaming, with their limits");
        admin.MapPut("/players/{id:long}", SetPlayer).WithSummary("A player's maximum bitrate and preferred format");
        admin.MapGet("/system", System).WithSummary("Server version and transcoding status");
    }

    private static async Task<IResult> Stream(string id, string? format, int? maxBitRate, double? timeOffset, bool? estimateContentLength, string? client,
        HttpContext http, StreamService streams, CancellationToken ct)
    {
        if (!CatalogIds.TryParse(id, CatalogIds.Track, out var trackId)) return TypedResults.NotFound();
        var outcome = await streams.StreamAsync(http, trackId, http.UserId(), new StreamRequest(format, maxBitRate, timeOffset, estimateContentLength ?? false, client), ct);
        return outcome switch
        {
            StreamOutcome.Sent => Results.Empty,
            StreamOutcome.NotFound => TypedResults.NotFound(),
            StreamOutcome.Invalid i => TypedResults.Problem(i.Message, statusCode: 400),
            StreamOutcome.Busy b => new RetryLater(b.RetryAfterSeconds, "every transcoder is busy; try again shortly or ask for format=raw"),
            StreamOutcome.Unavailable u => new RetryLater(null, u.Message),
            _ => throw new InvalidOperationException("unknown stream outcome"),
        };
    }

    /// <summary>503 with Retry-After (when known) and a problem body that says why.</summary>
    private sealed class RetryLater(int? seconds, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            if (seconds is { } s) http.Response.Headers.RetryAfter = s.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(message, statusCode: 503).ExecuteAsync(http);
        }
    }

    private static readonly string[] ReplayGainModes = ["off", "track", "album"];

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> SetUserSettings(string name, StreamingSettings settings, Database db, StreamService streams, CancellationToken ct)
    {
        if (Validate(settings.MaxBitRate, settings.PreferredFormat) is { } problem) return problem;
        var replayGain = settings.ReplayGain ?? "off";
        if (!ReplayGainModes.Contains(replayGain)) return TypedResults.Problem("replayGain is off, track or album", statusCode: 400);
        await using var c = await db.OpenAsync(ct);
        var changed = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET max_bitrate = @max, preferred_format = @format, replaygain = @replayGain WHERE name = @name",
            new { max = settings.MaxBitRate is > 0 ? settings.MaxBitRate : null, format = settings.PreferredFormat, replayGain, name }, cancellationToken: ct));
        streams.ForgetLimits();
        return changed == 0 ? TypedResults.NotFound() : TypedResults.NoContent();
    }

    private static async Task<Ok<List<PlayerInfo>>> Players(Database db, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(long Id, string User, string Client, long? Max, string? Format, string LastSeen)>(new CommandDefinition("""
            SELECT p.id, u.name, p.client, p.max_bitrate, p.preferred_format, p.last_seen FROM players p JOIN users u ON u.id = p.user_id ORDER BY u.name, p.client
            """, cancellationToken: ct));
        return TypedResults.Ok(rows.Select(r => new PlayerInfo(r.Id, r.User, r.Client, (int?)r.Max, r.Format, r.LastSeen)).ToList());
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> SetPlayer(long id, StreamingSettings settings, Database db, StreamService streams, CancellationToken ct)
    {
        if (Validate(settings.MaxBitRate, settings.PreferredFormat) is { } problem) return problem;
        await using var c = await db.OpenAsync(ct);
        var changed = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE players SET max_bitrate = @max, preferred_format = @format WHERE id = @id",
            new { max = settings.MaxBitRate is > 0 ? settings.MaxBitRate : null, format = settings.PreferredFormat, id }, cancellationToken: ct));
        streams.ForgetLimits();
        return changed == 0 ? TypedResults.NotFound() : TypedResults.NoContent();
    }

    private static ProblemHttpResult? Validate(int? maxBitRate, string? format)
    {
        if (maxBitRate is < 0 or > 10_000) return TypedResults.Problem("maxBitRate is 0 (no limit) or 1–10000 kbps", statusCode: 400);
        if (format is not null && format != OutputFormat.Raw && !OutputFormat.All.ContainsKey(format))
            return TypedResults.Problem($"unknown format '{format}'; use raw, mp3, opus, aac, m4a or flac", statusCode: 400);
        return null;
    }

    private static Ok<SystemStatus> System(Transcoder transcoder) =>
        TypedResults.Ok(new SystemStatus(SillonApp.Version, Status(transcoder)));

    public static TranscodingStatus Status(Transcoder t) =>
        new(t.Available, t.Available ? null : t.UnavailableReason, t.FfmpegPath, t.ActiveProcesses, t.MaxProcesses,
            t.Scheduler.Running, t.Scheduler.Paused, Math.Min(t.Scheduler.RunSlots, t.MaxProcesses), t.Cache.Bytes, t.Cache.Count, t.Warm.Count);
}
