using Dapper;
using Sillon.Data;

namespace Sillon.Listening;

public enum TopKind { Tracks, Albums, Artists }

// Rows are init-only classes: Dapper converts column types into properties (SQLite gives Int64 for every integer).
public sealed class PlayRow
{
    public long Id { get; init; }
    public long TrackId { get; init; }
    public string PlayedAt { get; init; } = "";
    public long MsPlayed { get; init; }
    public bool Skipped { get; init; }
    public string? Client { get; init; }
}

/// <summary>An item's plays (skips not counted) and the time heard (skips included) over a period.</summary>
public sealed class TopRow
{
    public long Id { get; init; }
    public string? Name { get; init; }
    public long Plays { get; init; }
    public long MsPlayed { get; init; }
}

public sealed record MonthRow(int Month, long Plays, long MsPlayed);

public sealed class RecapTotals
{
    public long Plays { get; init; }
    public long Skips { get; init; }
    public long MsPlayed { get; init; }
    public long DistinctTracks { get; init; }
    public long DistinctArtists { get; init; }
}

/// <summary>
/// The read side of listening history, straight from play_events. Periods are [from, to) in
/// ISO-8601 UTC text, computed by the caller. Every query is bounded by the user's index
/// (user_id, played_at) or, server-wide, by the time index.
/// </summary>
public sealed class PlayStats(Database db)
{
    public async Task<IReadOnlyList<PlayRow>> RecentAsync(long userId, int limit, bool includeSkipped, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PlayRow>(new CommandDefinition("""
            SELECT id AS Id, track_id AS TrackId, played_at AS PlayedAt, ms_played AS MsPlayed, skipped AS Skipped, client AS Client
            FROM play_events WHERE user_id = @userId AND (skipped = 0 OR @includeSkipped = 1)
            ORDER BY played_at DESC, id DESC LIMIT @limit
            """, new { userId, limit, includeSkipped = includeSkipped ? 1 : 0 }, cancellationToken: ct))).ToList();
    }

    /// <summary>Most played items; userId null means everyone on this server.</summary>
    public async Task<IReadOnlyList<TopRow>> TopAsync(TopKind kind, long? userId, string from, string to, int limit, CancellationToken ct)
    {
        var (join, key, name) = kind switch
        {
            TopKind.Tracks => ("", "pe.track_id", "NULL"),
            TopKind.Albums => ("JOIN tracks t ON t.id = pe.track_id", "t.album_id", "NULL"),
            _ => ("JOIN track_artists ta ON ta.track_id = pe.track_id AND ta.role = 'artist' JOIN artists ar ON ar.id = ta.artist_id", "ta.artist_id", "MAX(ar.name)"),
        };
        var who = userId is null ? "" : "AND pe.user_id = @userId";
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<TopRow>(new CommandDefinition($"""
            SELECT {key} AS Id, {name} AS Name, SUM(1 - pe.skipped) AS Plays, SUM(pe.ms_played) AS MsPlayed
            FROM play_events pe {join}
            WHERE pe.played_at >= @from AND pe.played_at < @to {who}
            GROUP BY {key} HAVING SUM(1 - pe.skipped) > 0
            ORDER BY Plays DESC, MsPlayed DESC, {key} LIMIT @limit
            """, new { userId, from, to, limit }, cancellationToken: ct))).ToList();
    }

    public async Task<(RecapTotals Totals, IReadOnlyList<MonthRow> Months)> TotalsAsync(long userId, string from, string to, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var args = new { userId, from, to };
        var totals = await c.QuerySingleAsync<RecapTotals>(new CommandDefinition("""
            SELECT COALESCE(SUM(1 - skipped), 0) AS Plays, COALESCE(SUM(skipped), 0) AS Skips, COALESCE(SUM(ms_played), 0) AS MsPlayed,
                COUNT(DISTINCT CASE WHEN skipped = 0 THEN track_id END) AS DistinctTracks,
                (SELECT COUNT(DISTINCT ta.artist_id) FROM play_events p2 JOIN track_artists ta ON ta.track_id = p2.track_id AND ta.role = 'artist'
                 WHERE p2.user_id = @userId AND p2.skipped = 0 AND p2.played_at >= @from AND p2.played_at < @to) AS DistinctArtists
            FROM play_events WHERE user_id = @userId AND played_at >= @from AND played_at < @to
            """, args, cancellationToken: ct));
        // The month is characters 6-7 of the stored ISO-8601 UTC text.
        var months = (await c.QueryAsync<(string Month, long Plays, long Ms)>(new CommandDefinition("""
            SELECT SUBSTR(played_at, 6, 2), SUM(1 - skipped), SUM(ms_played)
            FROM play_events WHERE user_id = @userId AND played_at >= @from AND played_at < @to
            GROUP BY SUBSTR(played_at, 6, 2)
            """, args, cancellationToken: ct))).ToDictionary(m => int.Parse(m.Month, System.Globalization.CultureInfo.InvariantCulture));
        var all = Enumerable.Range(1, 12).Select(m => months.TryGetValue(m, out var r) ? new MonthRow(m, r.Plays, r.Ms) : new MonthRow(m, 0, 0)).ToList();
        return (totals, all);
    }
}
