using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Sillon.Data;

namespace Sillon.Playlists;

public sealed record PreviewTrack(string Id, string Title, string Artist, string Album, double Duration);
public sealed record SmartPreview(int Count, double Duration, IReadOnlyList<PreviewTrack> Tracks, double Milliseconds);

/// <summary>
/// Evaluates smart playlists. Their tracks are materialized into playlist_tracks, so every reader of
/// playlists (Subsonic, covers, shares, M3U export) sees an ordinary playlist. Evaluation is lazy:
/// a read calls <see cref="RefreshAsync"/>, which re-runs the rules only when the tracks are stale —
/// when the catalog changed (its catalog_changes counter, moved by every batch a scan commits), the
/// owner's listening changed (their listening_changes counter, kept by triggers on annotations), the rules changed, or the last
/// evaluation is older than <see cref="MaxAge"/> (relative dates like "in the last 30 days" move
/// with the clock, and a random order is reshuffled).
/// </summary>
public sealed partial class SmartPlaylists(Database db, TimeProvider time, ILogger<SmartPlaylists> log)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    public const int PreviewTracks = 50;

    // One evaluation per playlist at a time: concurrent readers of a stale playlist wait for the first.
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _locks = new();

    private sealed record SmartRow(long Id, long UserId, string Rules, string? EvaluatedKey, string? EvaluatedAt);

    /// <summary>The track ids a rule set selects for <paramref name="ownerId"/>, in order.</summary>
    public async Task<List<long>> EvaluateAsync(DbConnection c, SmartRuleSet rules, long ownerId, CancellationToken ct)
    {
        var query = SmartRules.Compile(rules, ownerId, time.GetUtcNow());
        return (await c.QueryAsync<long>(new CommandDefinition(query.Sql, query.Parameters, cancellationToken: ct))).ToList();
    }

    /// <summary>What a rule set would hold, without saving it: the count, total duration and the first tracks.</summary>
    public async Task<SmartPreview> PreviewAsync(SmartRuleSet rules, long ownerId, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var c = await db.OpenAsync(ct);
        var ids = await EvaluateAsync(c, rules, ownerId, ct);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var duration = 0.0;
        var tracks = new List<PreviewTrack>();
        if (ids.Count > 0)
        {
            var rows = (await c.QueryAsync<(long Id, string Title, string Artist, string Album, double Duration)>(new CommandDefinition($"""
                SELECT t.id, t.title, t.display_artist, a.name, t.duration FROM tracks t JOIN albums a ON a.id = t.album_id
                WHERE t.id IN ({c.Dialect().IdList("@ids")})
                """, new { ids = c.Dialect().Ids(ids) }, cancellationToken: ct))).ToDictionary(r => r.Id);
            duration = rows.Values.Sum(r => r.Duration);
            tracks = ids.Take(PreviewTracks).Where(rows.ContainsKey).Select(id => rows[id])
                .Select(r => new PreviewTrack(Catalog.CatalogIds.Format(Catalog.CatalogIds.Track, r.Id), r.Title, r.Artist, r.Album, Math.Round(r.Duration, 1)))
                .ToList();
        }
        return new SmartPreview(ids.Count, Math.Round(duration), tracks, Math.Round(ms, 1));
    }

    /// <summary>
    /// Brings the smart playlists a reader is about to see up to date: <paramref name="playlistId"/>
    /// alone, or every smart playlist visible to <paramref name="viewerId"/> (their own and public ones).
    /// </summary>
    public async Task RefreshAsync(long viewerId, long? playlistId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await RefreshAsync(c, viewerId, playlistId, ct);
    }

    public async Task RefreshAsync(DbConnection c, long viewerId, long? playlistId, CancellationToken ct)
    {
        var rows = (await c.QueryAsync<SmartRow>(new CommandDefinition("""
            SELECT id AS Id, user_id AS UserId, rules AS Rules, evaluated_key AS EvaluatedKey, evaluated_at AS EvaluatedAt
            FROM playlists WHERE rules IS NOT NULL AND (@playlistId IS NULL AND (user_id = @viewerId OR public = 1) OR id = @playlistId)
            """, new { viewerId, playlistId }, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return;
        foreach (var row in rows)
        {
            var gate = _locks.GetOrAdd(row.Id, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(ct);
            try { await RefreshOneAsync(c, row, ct); }
            finally { gate.Release(); }
        }
    }

    private async Task RefreshOneAsync(DbConnection c, SmartRow stale, CancellationToken ct)
    {
        // Re-read under the lock: another reader may have just evaluated it.
        var row = await c.QuerySingleOrDefaultAsync<SmartRow>(new CommandDefinition("""
            SELECT id AS Id, user_id AS UserId, rules AS Rules, evaluated_key AS EvaluatedKey, evaluated_at AS EvaluatedAt FROM playlists WHERE id = @Id
            """, new { stale.Id }, cancellationToken: ct));
        if (row?.Rules is null) return;
        var (catalog, listening) = await Catalog.CatalogChanges.ReadAsync(c, row.UserId, ct);
        // The rules are part of the key, so an edit re-evaluates at once.
        var key = $"{catalog}|{listening}|{StableHash(row.Rules)}";
        var now = time.GetUtcNow();
        if (key == row.EvaluatedKey && row.EvaluatedAt is not null
            && DateTimeOffset.TryParse(row.EvaluatedAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) && now - at < MaxAge)
            return;

        List<long> ids;
        try { ids = await EvaluateAsync(c, SmartRules.Parse(row.Rules), row.UserId, ct); }
        catch (SmartRuleException e)
        {
            // Rules are validated when saved; a rule set that no longer compiles (a field renamed in a
            // later version) leaves the playlist as it was, and says so.
            LogBadRules(row.Id, e.At, e.Message);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var old = (await c.QueryAsync<long>(new CommandDefinition(
            "SELECT track_id FROM playlist_tracks WHERE playlist_id = @Id ORDER BY position", new { row.Id }, cancellationToken: ct))).ToList();
        var nowText = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        await using var tx = await c.BeginTransactionAsync(ct);
        if (!old.SequenceEqual(ids))
        {
            await c.ExecuteAsync(new CommandDefinition("DELETE FROM playlist_tracks WHERE playlist_id = @Id", new { row.Id }, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO playlist_tracks (playlist_id, position, track_id) SELECT @Id, l.position, l.id FROM ({c.Dialect().IdListWithPosition("@ids")}) l
                """, new { row.Id, ids = c.Dialect().Ids(ids) }, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition("UPDATE playlists SET updated_at = @nowText WHERE id = @Id", new { nowText, row.Id }, tx, cancellationToken: ct));
        }
        await c.ExecuteAsync(new CommandDefinition("UPDATE playlists SET evaluated_key = @key, evaluated_at = @nowText WHERE id = @Id",
            new { key, nowText, row.Id }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        LogEvaluated(row.Id, ids.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    // string.GetHashCode is randomized per process; the key is stored, so it needs a stable hash.
    private static string StableHash(string s) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)))[..16];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Smart playlist {Id} has rules that no longer compile ({At}: {Reason}); its tracks are left as they were")]
    private partial void LogBadRules(long id, string at, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Smart playlist {Id} re-evaluated: {Count} tracks, written in {Ms} ms")]
    private partial void LogEvaluated(long id, int count, double ms);
}
