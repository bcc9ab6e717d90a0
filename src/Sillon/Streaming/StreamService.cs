using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using Dapper;
using Sillon.Data;
using Sillon.Streaming.Transcoding;

namespace Sillon.Streaming;

/// <summary>How a stream request ended, for the REST and Subsonic adapters to turn into their own errors.</summary>
public abstract record StreamOutcome
{
    public sealed record Sent : StreamOutcome;
    public sealed record NotFound : StreamOutcome;
    public sealed record Invalid(string Message) : StreamOutcome;
    public sealed record Busy(int RetryAfterSeconds) : StreamOutcome;
    public sealed record Unavailable(string Message) : StreamOutcome;
}

/// <summary>
/// Streams a track to one listener: decides between the original and a transcode (the user's and
/// the player's limits, the request's format and bitrate), then sends the file, the cached
/// transcode, or follows a live one. Both the REST API and the Subsonic adapter call this.
/// </summary>
public sealed class StreamService(Database db, FileSender files, Transcoder transcoder, TimeProvider time)
{
    private static readonly TimeSpan LimitsCacheFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(long, string?), (StreamLimits Limits, DateTimeOffset Until)> _limits = new();

    public async Task<StreamOutcome> StreamAsync(HttpContext http, long trackId, long userId, StreamRequest request, CancellationToken ct)
    {
        var source = await SourceAsync(trackId, ct);
        if (source is null) return new StreamOutcome.NotFound();
        var limits = await LimitsAsync(userId, request.Client, ct);
        switch (TranscodeDecision.Decide(source, request, limits))
        {
            case StreamPlan.Invalid invalid:
                return new StreamOutcome.Invalid(invalid.Message);
            case StreamPlan.Original:
                await files.SendAsync(http, source.Path, Library.AudioFormats.ContentType(source.Suffix), ct);
                return new StreamOutcome.Sent();
            case StreamPlan.Transcode plan:
                if (!File.Exists(source.Path)) return new StreamOutcome.NotFound();
                return await TranscodeAsync(http, source, plan, request.EstimateContentLength, ct);
            default:
                throw new InvalidOperationException("unknown stream plan");
        }
    }

    private async Task<StreamOutcome> TranscodeAsync(HttpContext http, SourceTrack source, StreamPlan.Transcode plan, bool estimate, CancellationToken ct)
    {
        switch (await transcoder.OpenAsync(source, plan, ct))
        {
            case TranscodeResult.Unavailable u:
                return new StreamOutcome.Unavailable(u.Message);
            case TranscodeResult.Busy b:
                return new StreamOutcome.Busy(b.RetryAfterSeconds);
            case TranscodeResult.Cached cached:
                http.Response.Headers["X-Transcode"] = "cache";
                await files.SendAsync(http, cached.Path, plan.Format.ContentType, ct);
                return new StreamOutcome.Sent();
            case TranscodeResult.Live live:
                try
                {
                    http.Response.Headers["X-Transcode"] = "live";
                    await FollowAsync(http, live, estimate ? TranscodeDecision.EstimateBytes(plan, source.Duration) : 0, ct);
                }
                finally
                {
                    await live.Reader.DisposeAsync();
                    live.Transcode.RemoveListener(live.JoinedAt);
                }
                return new StreamOutcome.Sent();
            default:
                throw new InvalidOperationException("unknown transcode result");
        }
    }

    /// <summary>
    /// Sends a transcode as it is written. With an estimated length the body is cut or padded with
    /// zeros to exactly that length, because a Content-Length is a promise HTTP holds us to.
    /// </summary>
    private static async Task FollowAsync(HttpContext http, TranscodeResult.Live live, long estimate, CancellationToken ct)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = live.Transcode.Format.ContentType;
        response.Headers.AcceptRanges = "none";
        response.Headers.CacheControl = "no-store";
        if (estimate > 0) response.ContentLength = estimate;
        if (HttpMethods.IsHead(http.Request.Method)) return;

        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long position = 0;
            while (estimate == 0 || position < estimate)
            {
                var want = estimate > 0 ? (int)Math.Min(buffer.Length, estimate - position) : buffer.Length;
                var n = await live.Reader.ReadAsync(buffer.AsMemory(0, want), ct);
                if (n > 0)
                {
                    await response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                    position += n;
                    continue;
                }
                if (!await live.Transcode.WaitForDataAsync(position, ct)) break;
            }
            if (estimate > position)
            {
                Array.Clear(buffer);
                while (position < estimate)
                {
                    var n = (int)Math.Min(buffer.Length, estimate - position);
                    await response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                    position += n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<SourceTrack?> SourceAsync(long trackId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<SourceTrack>(new CommandDefinition("""
            SELECT id AS Id, COALESCE(media_path, path) AS Path, suffix AS Suffix, codec AS Codec, bitrate AS BitRate, duration AS Duration, mtime AS MtimeMs,
                   rg_track_gain AS TrackGain, rg_track_peak AS TrackPeak, rg_album_gain AS AlbumGain, rg_album_peak AS AlbumPeak
            FROM tracks WHERE id = @trackId
            """, new { trackId }, cancellationToken: ct));
    }

    /// <summary>The user's and this client's limits; the client is remembered as a player the admin can configure.</summary>
    private async Task<StreamLimits> LimitsAsync(long userId, string? client, CancellationToken ct)
    {
        client = string.IsNullOrWhiteSpace(client) ? null : client.Trim()[..Math.Min(client.Trim().Length, 100)];
        var now = time.GetUtcNow();
        if (_limits.TryGetValue((userId, client), out var hit) && hit.Until > now) return hit.Limits;
        await using var c = await db.OpenAsync(ct);
        var user = await c.QuerySingleOrDefaultAsync<(long? MaxBitRate, string? Format, string ReplayGain)>(new CommandDefinition(
            "SELECT max_bitrate, preferred_format, replaygain FROM users WHERE id = @userId", new { userId }, cancellationToken: ct));
        (long? MaxBitRate, string? Format) player = default;
        if (client is not null)
            player = await c.QuerySingleAsync<(long?, string?)>(new CommandDefinition("""
                INSERT INTO players (user_id, client, last_seen) VALUES (@userId, @client, @now)
                ON CONFLICT (user_id, client) DO UPDATE SET last_seen = excluded.last_seen
                RETURNING max_bitrate, preferred_format
                """, new { userId, client, now = now.ToString("O", CultureInfo.InvariantCulture) }, cancellationToken: ct));
        var limits = new StreamLimits((int?)user.MaxBitRate, user.Format, (int?)player.MaxBitRate, player.Format, user.ReplayGain ?? "off");
        _limits[(userId, client)] = (limits, now + LimitsCacheFor);
        return limits;
    }

    /// <summary>Settings changed by an administrator take effect at once.</summary>
    public void ForgetLimits() => _limits.Clear();
}
