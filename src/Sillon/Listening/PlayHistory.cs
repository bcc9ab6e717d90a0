using System.Globalization;
using Dapper;
using Sillon.Data;

namespace Sillon.Listening;

/// <summary>A play as a client reports it. MsPlayed null: the client cannot tell (a Subsonic scrobble), so the whole track counts.</summary>
/// <param name="StartedAtFromClient">
/// The client said when the play started. Only then is a second report with the same start the same
/// play sent again; a start the server filled in with its own clock identifies nothing (two quick
/// reports can fall in the same millisecond).
/// </param>
public sealed record PlayReport(long TrackId, DateTimeOffset StartedAt, long? MsPlayed, string? Client, bool StartedAtFromClient = true);

public sealed record RecordedPlay(long Id, long TrackId, DateTimeOffset StartedAt, long MsPlayed, bool Skipped);

/// <summary>
/// The write side of listening history. Every play is appended to play_events (never updated or
/// deleted here) and, in the same transaction, the listener's annotations of the track, its album
/// and its artists are kept in step: play_count and played_at for plays that count, skip_count for
/// skips. A caller acknowledges a play only after <see cref="RecordAsync"/> returns, that is after
/// the commit; with WAL and synchronous=NORMAL a committed play survives the process dying. The
/// scrobbles of a play (ListenBrainz, Last.fm) are queued in the same transaction.
/// </summary>
public sealed class PlayHistory(Database db, Scrobbling.Scrobbler scrobbler)
{
    public const string Subsonic = "subsonic";
    public const string Rest = "rest";

    /// <summary>No report may claim more than a day of listening; longer is a client bug.</summary>
    public const long MaxMsPlayed = 86_400_000;

    /// <summary>
    /// The rule scrobbling services use for a play that counts: heard for half the track or four
    /// minutes, whichever comes first. Anything shorter is a skip. Heard time, not position:
    /// seeking to the end does not make a play.
    /// </summary>
    public static bool IsSkip(long msPlayed, long durationMs) => msPlayed < Math.Min(durationMs / 2, 240_000);

    /// <summary>Records the plays in one transaction; null (and nothing written) when a track does not exist.</summary>
    public async Task<IReadOnlyList<RecordedPlay>?> RecordAsync(long userId, IReadOnlyList<PlayReport> plays, string source, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var ids = plays.Select(p => p.TrackId).Distinct().ToList();
        var durations = (await c.QueryAsync<(long Id, double Duration)>(new CommandDefinition(
            $"SELECT id, duration FROM tracks WHERE id IN ({c.Dialect().IdList("@ids")})", new { ids = c.Dialect().Ids(ids) }, tx, cancellationToken: ct)))
            .ToDictionary(r => r.Id, r => (long)Math.Round(r.Duration * 1000));
        if (durations.Count != ids.Count) return null;

        var recorded = new List<RecordedPlay>(plays.Count);
        foreach (var play in plays)
        {
            var duration = durations[play.TrackId];
            // Heard time beyond the track's length (a rewind, a loop) is not counted twice.
            var ms = Math.Clamp(play.MsPlayed ?? duration, 0, Math.Max(duration, 0));
            var skipped = play.MsPlayed is not null && IsSkip(ms, duration);
            var at = Iso(play.StartedAt);
            // A report sent again (a client retrying after a lost answer, the web player's queue of
            // plays made offline) is the same play: one listener does not start one track twice at
            // the same millisecond of their own clock. It is answered as recorded, and counts once.
            var known = !play.StartedAtFromClient ? null : await c.QueryFirstOrDefaultAsync<KnownPlay>(new CommandDefinition(
                "SELECT id AS Id, ms_played AS MsPlayed, skipped AS Skipped FROM play_events WHERE user_id = @userId AND track_id = @trackId AND played_at = @at",
                new { userId, trackId = play.TrackId, at }, tx, cancellationToken: ct));
            if (known is not null)
            {
                recorded.Add(new RecordedPlay(known.Id, play.TrackId, play.StartedAt, known.MsPlayed, known.Skipped != 0));
                continue;
            }
            var id = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO play_events (user_id, track_id, played_at, client, ms_played, skipped, source)
                VALUES (@userId, @trackId, @at, @client, @ms, @skipped, @source) RETURNING id
                """, new { userId, trackId = play.TrackId, at, client = play.Client, ms, skipped = skipped ? 1 : 0, source }, tx, cancellationToken: ct));
            var args = new { userId, trackId = play.TrackId, plays = skipped ? 0 : 1, skips = skipped ? 1 : 0, at = skipped ? null : at };
            // played_at moves forward only: a late report of an old play does not make it "last played".
            const string update = """
                ON CONFLICT (user_id, item_kind, item_id) DO UPDATE SET
                    play_count = annotations.play_count + excluded.play_count,
                    skip_count = annotations.skip_count + excluded.skip_count,
                    played_at = CASE WHEN excluded.played_at IS NOT NULL AND (annotations.played_at IS NULL OR excluded.played_at > annotations.played_at)
                                     THEN excluded.played_at ELSE annotations.played_at END
                """;
            await c.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO annotations (user_id, item_kind, item_id, play_count, skip_count, played_at) VALUES (@userId, 'track', @trackId, @plays, @skips, @at)
                {update};
                INSERT INTO annotations (user_id, item_kind, item_id, play_count, skip_count, played_at)
                    SELECT @userId, 'album', album_id, @plays, @skips, @at FROM tracks WHERE id = @trackId
                {update};
                INSERT INTO annotations (user_id, item_kind, item_id, play_count, skip_count, played_at)
                    SELECT DISTINCT @userId, 'artist', artist_id, @plays, @skips, @at FROM track_artists WHERE track_id = @trackId AND role = 'artist'
                {update};
                """, args, tx, cancellationToken: ct));
            // Queued with the play it reports, so a scrobble exists exactly when its play does; the
            // outbox applies the services' own rules (30 s tracks, half or four minutes).
            await scrobbler.EnqueueAsync(c, tx, userId, play.TrackId, play.StartedAt, play.MsPlayed is null ? null : ms, ct);
            recorded.Add(new RecordedPlay(id, play.TrackId, play.StartedAt, ms, skipped));
        }
        await tx.CommitAsync(ct);
        scrobbler.Wake();
        return recorded;
    }

    // Settable properties: Dapper then converts PostgreSQL's integer widths as SQLite's.
    private sealed record KnownPlay
    {
        public long Id { get; init; }
        public long MsPlayed { get; init; }
        public long Skipped { get; init; }
    }

    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
