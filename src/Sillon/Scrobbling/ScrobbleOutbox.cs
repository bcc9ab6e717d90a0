using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Sillon.Data;

namespace Sillon.Scrobbling;

public sealed record FailedListen(long Id, string Service, string Artist, string Title, long ListenedAt, string? Error, string? FinishedAt);

/// <summary>
/// The durable outbox of listens. A listen is inserted in the transaction that records the play, so
/// a play acknowledged to the client is never lost. Senders claim rows (a claim id and a lease) with
/// one UPDATE, so two senders never hold the same row; only the claim that sent a row marks it sent.
/// </summary>
public sealed class ScrobbleOutbox(Database db, TimeProvider time, IOptions<ScrobbleOptions> options)
{
    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Queues one listen per service the user has linked, inside the caller's transaction. Returns how
    /// many were queued (0 when nothing is linked, or the track is too short or was not heard long enough).
    /// </summary>
    public Task<int> EnqueueAsync(DbConnection c, DbTransaction tx, long userId, long trackId, DateTimeOffset startedAt, long? heardMs, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO scrobble_outbox (user_id, service, track_id, artist, title, album, album_artist, track_number, duration_ms,
                mbz_track_id, mbz_album_id, listened_at, state, attempts, next_attempt_at, created_at)
            SELECT @userId, a.service, t.id, t.display_artist, t.title, al.name, t.display_album_artist, t.track_number,
                CAST(ROUND(t.duration * 1000) AS BIGINT), t.mbz_track_id, COALESCE(t.mbz_album_id, al.mbz_album_id), @listenedAt,
                'pending', 0, @now, @now
            FROM tracks t
            JOIN albums al ON al.id = t.album_id
            JOIN scrobble_accounts a ON a.user_id = @userId AND a.credential_enc IS NOT NULL
            WHERE t.id = @trackId AND t.duration >= @minSeconds
              AND (@heardMs IS NULL OR @heardMs >= CASE WHEN t.duration * 500 < @enoughMs THEN t.duration * 500 ELSE @enoughMs END)
              AND (a.service <> 'lastfm' OR @lastFm = 1)
            """, new
        {
            userId, trackId, listenedAt = startedAt.ToUnixTimeSeconds(), now = Iso(time.GetUtcNow()), heardMs,
            minSeconds = ScrobbleRules.MinTrackSeconds, enoughMs = ScrobbleRules.EnoughMs, lastFm = options.Value.LastFmConfigured ? 1 : 0,
        }, tx, cancellationToken: ct));

    /// <summary>
    /// Takes up to <paramref name="limit"/> due rows: pending ones whose time has come, and rows whose
    /// sender's lease ran out (it crashed, or the server stopped mid-send). In PostgreSQL the sub-select
    /// locks the rows it picks and skips those a concurrent claimer holds (eight claimers at once had
    /// deadlocked on rows they each waited for, seen in CI); the conditions are repeated outside it
    /// for a row another claimer took meanwhile. In SQLite the UPDATE holds the write lock.
    /// </summary>
    public async Task<(string Claim, IReadOnlyList<Listen> Listens)> ClaimAsync(int limit, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var claim = Guid.NewGuid().ToString("N");
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition($"""
            UPDATE scrobble_outbox SET state = 'sending', claim = @claim, claimed_until = @until, attempts = attempts + 1
            WHERE id IN (SELECT id FROM scrobble_outbox
                         WHERE (state = 'pending' AND next_attempt_at <= @now) OR (state = 'sending' AND claimed_until <= @now)
                         ORDER BY id LIMIT @limit {c.Dialect().SkipLocked})
              AND ((state = 'pending' AND next_attempt_at <= @now) OR (state = 'sending' AND claimed_until <= @now))
            """, new { claim, until = Iso(now + options.Value.Lease), now = Iso(now), limit }, cancellationToken: ct));
        var rows = await c.QueryAsync<Listen>(new CommandDefinition("""
            SELECT id AS Id, user_id AS UserId, service AS Service, artist AS Artist, title AS Title, album AS Album, album_artist AS AlbumArtist,
                track_number AS TrackNumber, duration_ms AS DurationMs, mbz_track_id AS MbzTrackId, mbz_album_id AS MbzAlbumId,
                listened_at AS ListenedAt, attempts AS Attempts, created_at AS CreatedAt
            FROM scrobble_outbox WHERE claim = @claim AND state = 'sending' ORDER BY id
            """, new { claim }, cancellationToken: ct));
        return (claim, rows.ToList());
    }

    /// <summary>Records a send's outcome; false when the claim was lost meanwhile (its lease ran out and another sender took the row).</summary>
    public async Task<bool> FinishAsync(Listen listen, string claim, SendOutcome outcome, CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var state = outcome.Status switch { SendStatus.Sent => "sent", SendStatus.GiveUp => "failed", _ => "pending" };
        var error = outcome.Error;
        var next = now;
        if (outcome.Status == SendStatus.Retry)
        {
            var backoff = TimeSpan.FromTicks(Math.Min(o.RetryMax.Ticks, o.RetryBase.Ticks * (1L << (int)Math.Clamp(listen.Attempts - 1, 0, 30))));
            next = now + (outcome.RetryAfter is { } after && after > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(after.Ticks, TimeSpan.FromDays(1).Ticks)) : backoff);
            var created = DateTimeOffset.Parse(listen.CreatedAt, CultureInfo.InvariantCulture);
            if (next - created > o.GiveUpAfter)
            {
                state = "failed";
                error = $"gave up after {listen.Attempts} attempts: {error}";
            }
        }
        await using var c = await db.OpenAsync(CancellationToken.None);
        // Not cancellable: a listen the service accepted must be marked sent even while the server stops.
        return await c.ExecuteAsync(new CommandDefinition("""
            UPDATE scrobble_outbox SET state = @state, last_error = @error, next_attempt_at = @next, claim = NULL, claimed_until = NULL,
                finished_at = CASE WHEN @state IN ('sent', 'failed') THEN @now ELSE NULL END
            WHERE id = @id AND claim = @claim
            """, new { state, error, next = Iso(next), now = Iso(now), id = listen.Id, claim }, cancellationToken: CancellationToken.None)) == 1;
    }

    /// <summary>Hands an unsent claimed row back at once (the server is stopping; nothing was learnt about it).</summary>
    public async Task ReleaseAsync(Listen listen, string claim)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE scrobble_outbox SET state = 'pending', claim = NULL, claimed_until = NULL WHERE id = @id AND claim = @claim",
            new { id = listen.Id, claim }));
    }

    /// <summary>A track as a listen without a time, for now playing.</summary>
    public async Task<Listen?> TrackListenAsync(long trackId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<Listen>(new CommandDefinition("""
            SELECT t.display_artist AS Artist, t.title AS Title, al.name AS Album, t.display_album_artist AS AlbumArtist, t.track_number AS TrackNumber,
                CAST(ROUND(t.duration * 1000) AS BIGINT) AS DurationMs, t.mbz_track_id AS MbzTrackId, COALESCE(t.mbz_album_id, al.mbz_album_id) AS MbzAlbumId
            FROM tracks t JOIN albums al ON al.id = t.album_id WHERE t.id = @trackId
            """, new { trackId }, cancellationToken: ct));
    }

    /// <summary>Forgets finished listens (sent or given up) older than the cutoff: the outbox is a queue, not a history.</summary>
    public async Task<int> PruneAsync(TimeSpan olderThan, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM scrobble_outbox WHERE state IN ('sent', 'failed') AND finished_at < @cutoff",
            new { cutoff = Iso(time.GetUtcNow() - olderThan) }, cancellationToken: ct));
    }

    /// <summary>When the next pending row falls due, if any.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var next = await c.ExecuteScalarAsync<string?>(new CommandDefinition("""
            SELECT MIN(t) FROM (SELECT MIN(next_attempt_at) AS t FROM scrobble_outbox WHERE state = 'pending'
                                UNION ALL SELECT MIN(claimed_until) FROM scrobble_outbox WHERE state = 'sending') due
            """, cancellationToken: ct));
        return next is null ? null : DateTimeOffset.Parse(next, CultureInfo.InvariantCulture);
    }

    public async Task<(long Pending, long Sent, IReadOnlyList<FailedListen> Failed)> StatusAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var pending = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM scrobble_outbox WHERE user_id = @userId AND state IN ('pending', 'sending')", new { userId }, cancellationToken: ct));
        var sent = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM scrobble_outbox WHERE user_id = @userId AND state = 'sent'", new { userId }, cancellationToken: ct));
        var failed = await c.QueryAsync<FailedListen>(new CommandDefinition("""
            SELECT id AS Id, service AS Service, artist AS Artist, title AS Title, listened_at AS ListenedAt, last_error AS Error, finished_at AS FinishedAt
            FROM scrobble_outbox WHERE user_id = @userId AND state = 'failed' ORDER BY id DESC LIMIT 20
            """, new { userId }, cancellationToken: ct));
        return (pending, sent, failed.ToList());
    }

    /// <summary>
    /// When a user unlinks a service, what was still waiting for it will never go: say so rather than drop
    /// it silently. A row being sent right now is left to its sender, which owns it.
    /// </summary>
    internal static Task AbandonAsync(DbConnection c, DbTransaction tx, long userId, string service, string now, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition("""
            UPDATE scrobble_outbox SET state = 'failed', last_error = 'account unlinked before it was sent', finished_at = @now
            WHERE user_id = @userId AND service = @service AND state = 'pending'
            """, new { userId, service, now }, tx, cancellationToken: ct));
}
