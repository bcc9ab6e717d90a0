using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace Sillon.Library;

public sealed record ScanTicket(string Ticket, int ExpiresInSeconds);
public sealed record ScanProgressEvent(string Phase, bool FullScan, int FilesFound, int FilesProcessed, double FilesPerSecond, double? EtaSeconds);

/// <summary>
/// Live scan progress as Server-Sent Events (GET /api/v1/scan/events). A browser's EventSource cannot
/// send the Authorization header, and a bearer token in a URL would sit in history and proxy logs
/// for 30 days; so the page first asks for a ticket (POST …/events/ticket, with its bearer token):
/// 128 random bits, good for one connection within 30 seconds. Every stream reads the same lock-free
/// <see cref="ScanState"/>, so a hundred watchers cost the scanner nothing.
/// </summary>
public sealed class ScanEvents(ScanState state, TimeProvider time)
{
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromSeconds(30);
    /// <summary>How often progress is sent while a scan runs (and how soon its end is noticed).</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    // A comment line this often keeps proxies from closing an idle stream.
    private const int KeepAliveTicks = 60;
    /// <summary>How often an open stream checks that its account is still an enabled administrator.</summary>
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(10);
    /// <summary>Open streams at most; more are refused with 503 rather than tying up connections.</summary>
    public const int MaxStreams = 32;

    private readonly ConcurrentDictionary<string, (string User, DateTimeOffset Until)> _tickets = new(StringComparer.Ordinal);
    private int _streams;

    /// <summary>Streams open right now (a test checks that disconnected clients are let go).</summary>
    public int ActiveStreams => Volatile.Read(ref _streams);

    public ScanTicket Issue(string user)
    {
        var now = time.GetUtcNow();
        foreach (var (key, value) in _tickets)
            if (value.Until <= now) _tickets.TryRemove(key, out _);
        var ticket = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        _tickets[ticket] = (user, now + TicketLifetime);
        return new ScanTicket(ticket, (int)TicketLifetime.TotalSeconds);
    }

    /// <summary>The user a ticket was issued to, once: a second use, or a use after 30 s, gets null.</summary>
    public string? Redeem(string ticket) =>
        _tickets.TryRemove(ticket, out var held) && held.Until > time.GetUtcNow() ? held.User : null;

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _streams) <= MaxStreams) return true;
        Interlocked.Decrement(ref _streams);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _streams);

    /// <summary>
    /// Writes "status" (the snapshot), then "progress" every tick while a scan runs and "summary"
    /// when one finishes, until the client goes away (RequestAborted ends the loop and the timer)
    /// or <paramref name="allowed"/> says the account may no longer watch (disabled or demoted
    /// while the stream was open): then an "end" event and the stream closes.
    /// </summary>
    public async Task StreamAsync(HttpContext http, ScanStatusResponse snapshot, Func<CancellationToken, Task<bool>> allowed, CancellationToken ct)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx would otherwise hold events back
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await WriteAsync(response, "status", snapshot, ct);
            var last = state.Last;
            var quiet = 0;
            var checkedAt = time.GetUtcNow();
            using var timer = new PeriodicTimer(Tick, time);
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (time.GetUtcNow() - checkedAt >= Recheck)
                {
                    checkedAt = time.GetUtcNow();
                    if (!await allowed(ct))
                    {
                        await WriteAsync(response, "end", new { reason = "this account may no longer watch scans" }, ct);
                        return;
                    }
                }
                var current = state.Current;
                if (current is not null)
                {
                    var now = time.GetUtcNow();
                    await WriteAsync(response, "progress", new ScanProgressEvent(current.Phase, current.FullScan, current.FilesFound, current.FilesProcessed,
                        Math.Round(current.FilesPerSecond(now), 1), current.EtaSeconds(now) is { } eta ? Math.Round(eta, 1) : null), ct);
                    quiet = 0;
                }
                // Compared by reference: each finished scan is a new summary, even one shorter than a tick.
                if (state.Last is { } summary && !ReferenceEquals(summary, last))
                {
                    last = summary;
                    await WriteAsync(response, "summary", summary, ct);
                    quiet = 0;
                }
                else if (current is null && ++quiet >= KeepAliveTicks)
                {
                    await response.WriteAsync(": keep-alive\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    quiet = 0;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested || http.RequestAborted.IsCancellationRequested) { }
    }

    private static async Task WriteAsync<T>(HttpResponse response, string name, T data, CancellationToken ct)
    {
        // JSON never holds a raw newline, so each event is one "data:" line.
        var text = new StringBuilder().Append("event: ").Append(name).Append("\ndata: ")
            .Append(JsonSerializer.Serialize(data, JsonSerializerOptions.Web)).Append("\n\n").ToString();
        await response.WriteAsync(text, ct);
        await response.Body.FlushAsync(ct);
    }
}
