using Microsoft.AspNetCore.Http.HttpResults;
using Sillon.Accounts;
using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Listening;

public sealed record PlayRequest(string? TrackId, DateTimeOffset? StartedAt, long? MsPlayed, string? Client);

public sealed record PlayRecordedResponse(long Id, string TrackId, DateTimeOffset StartedAt, long MsPlayed, bool Skipped);

public sealed record HistoryEntry(long Id, DateTimeOffset PlayedAt, long MsPlayed, bool Skipped, string? Client, TrackInfo Track);

public sealed record TopTrack(TrackInfo Track, long Plays, long MsPlayed);

public sealed record TopAlbum(AlbumSummary Album, long Plays, long MsPlayed);

public sealed record TopArtist(NamedRef Artist, long Plays, long MsPlayed);

public sealed record MonthStat(int Month, long Plays, long Minutes);

public sealed record Recap(
    int Year, long Plays, long Skips, long Minutes, long DistinctTracks, long DistinctArtists, MonthStat? BusiestMonth,
    IReadOnlyList<MonthStat> Months, IReadOnlyList<TopArtist> TopArtists, IReadOnlyList<TopAlbum> TopAlbums, IReadOnlyList<TopTrack> TopTracks);

public sealed record FlowResponse(int Seed, IReadOnlyList<FlowItem> Items);

public sealed record FlowItem(TrackInfo Track, FlowReason Reason);

/// <summary>/api/v1/me/plays (report and history), /me/top/{tracks|albums|artists}, /me/recap/{year}, /me/flow.</summary>
public static class ListeningEndpoints
{
    /// <summary>Clients' clocks drift; a play that starts further in the future than this is refused.</summary>
    private static readonly TimeSpan FutureSlack = TimeSpan.FromMinutes(5);

    public static IServiceCollection AddListening(this IServiceCollection services) =>
        services.AddSingleton<PlayHistory>().AddSingleton<PlayStats>().AddSingleton<Flow>();

    public static void MapListeningEndpoints(this RouteGroupBuilder api)
    {
        var me = api.MapGroup("/me").WithTags("Listening");
        me.MapPost("/plays", RecordPlay).WithSummary("Report a play that ended (finished or skipped) with the milliseconds heard");
        me.MapGet("/plays", Recent).WithSummary("Recently played, newest first; includeSkipped=true adds the skips");
        me.MapGet("/top/tracks", (HttpContext http, string? period, string? scope, int? limit, PlayStats stats, CatalogQueries catalog, TimeProvider time, CancellationToken ct) =>
            TopAsync(http, period, scope, limit, time, async (user, from, to, n) =>
            {
                var rows = await stats.TopAsync(TopKind.Tracks, user, from, to, n, ct);
                var tracks = (await catalog.TracksByIdAsync(rows.Select(r => r.Id).ToList(), ct)).ToDictionary(t => t.Id);
                return rows.Where(r => tracks.ContainsKey(CatalogIds.Format(CatalogIds.Track, r.Id)))
                    .Select(r => new TopTrack(tracks[CatalogIds.Format(CatalogIds.Track, r.Id)], r.Plays, r.MsPlayed)).ToList();
            })).WithSummary("Most played tracks: period = week | month | year | all (rolling), scope = user | server");
        me.MapGet("/top/albums", (HttpContext http, string? period, string? scope, int? limit, PlayStats stats, CatalogQueries catalog, TimeProvider time, CancellationToken ct) =>
            TopAsync(http, period, scope, limit, time, (user, from, to, n) => TopAlbumsAsync(stats, catalog, user, from, to, n, ct)))
            .WithSummary("Most played albums: period = week | month | year | all (rolling), scope = user | server");
        me.MapGet("/top/artists", (HttpContext http, string? period, string? scope, int? limit, PlayStats stats, TimeProvider time, CancellationToken ct) =>
            TopAsync(http, period, scope, limit, time, (user, from, to, n) => TopArtistsAsync(stats, user, from, to, n, ct)))
            .WithSummary("Most played artists: period = week | month | year | all (rolling), scope = user | server");
        me.MapGet("/recap/{year:int}", RecapAsync).WithSummary("A listener's year: plays, minutes, top artists, albums and tracks, month by month");
        me.MapGet("/flow", FlowAsync).WithSummary("The listener's endless radio: the next tracks, each with the reason it was chosen");
    }

    private static async Task<Results<Created<PlayRecordedResponse>, NotFound, ValidationProblem>> RecordPlay(
        PlayRequest body, HttpContext http, PlayHistory history, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.TrackId)) return Invalid("trackId", "required");
        // A malformed id is a 404, never a lookup (as everywhere in /api/v1).
        if (!CatalogIds.TryParse(body.TrackId, CatalogIds.Track, out var trackId)) return TypedResults.NotFound();
        if (body.MsPlayed is not { } ms) return Invalid("msPlayed", "required: the milliseconds actually heard");
        if (ms is < 0 or > PlayHistory.MaxMsPlayed) return Invalid("msPlayed", $"between 0 and {PlayHistory.MaxMsPlayed}");
        var now = time.GetUtcNow();
        var started = body.StartedAt ?? now - TimeSpan.FromMilliseconds(ms);
        if (started > now + FutureSlack) return Invalid("startedAt", "in the future");
        if (started.Year < 1970) return Invalid("startedAt", "before 1970");
        var client = body.Client is { Length: > 0 } c ? c[..Math.Min(c.Length, 100)] : "rest";
        var recorded = await history.RecordAsync(http.UserId(), [new PlayReport(trackId, started, ms, client, StartedAtFromClient: body.StartedAt is not null)], PlayHistory.Rest, ct);
        if (recorded is null) return TypedResults.NotFound();
        var play = recorded[0];
        return TypedResults.Created($"/api/v1/me/plays/{play.Id}",
            new PlayRecordedResponse(play.Id, body.TrackId, play.StartedAt, play.MsPlayed, play.Skipped));
    }

    private static async Task<Ok<List<HistoryEntry>>> Recent(HttpContext http, int? limit, bool? includeSkipped, PlayStats stats, CatalogQueries catalog, CancellationToken ct)
    {
        var rows = await stats.RecentAsync(http.UserId(), Math.Clamp(limit ?? 50, 1, 500), includeSkipped ?? false, ct);
        var tracks = (await catalog.TracksByIdAsync(rows.Select(r => r.TrackId).Distinct().ToList(), ct)).ToDictionary(t => t.Id);
        return TypedResults.Ok(rows.Where(r => tracks.ContainsKey(CatalogIds.Format(CatalogIds.Track, r.TrackId)))
            .Select(r => new HistoryEntry(r.Id, StoredTime.Parse(r.PlayedAt), r.MsPlayed, r.Skipped, r.Client, tracks[CatalogIds.Format(CatalogIds.Track, r.TrackId)]))
            .ToList());
    }

    private static async Task<Results<Ok<List<T>>, ValidationProblem>> TopAsync<T>(
        HttpContext http, string? period, string? scope, int? limit, TimeProvider time, Func<long?, string, string, int, Task<List<T>>> query)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? from = (period ?? "month") switch
        {
            "week" => now.AddDays(-7),
            "month" => now.AddDays(-30),
            "year" => now.AddDays(-365),
            "all" => DateTimeOffset.UnixEpoch,
            _ => null,
        };
        if (from is null) return Invalid("period", "week, month, year or all");
        long? user = (scope ?? "user") switch { "user" => http.UserId(), "server" => null, _ => -1 };
        if (user == -1) return Invalid("scope", "user or server");
        // The upper bound is past now so that a play reported with a slightly fast clock still shows.
        return TypedResults.Ok(await query(user, PlayHistory.Iso(from.Value), PlayHistory.Iso(now + FutureSlack), Math.Clamp(limit ?? 20, 1, 100)));
    }

    private static async Task<List<TopAlbum>> TopAlbumsAsync(PlayStats stats, CatalogQueries catalog, long? user, string from, string to, int limit, CancellationToken ct)
    {
        var rows = await stats.TopAsync(TopKind.Albums, user, from, to, limit, ct);
        var albums = (await catalog.AlbumsByIdAsync(rows.Select(r => r.Id).ToList(), ct)).ToDictionary(a => a.Id);
        return rows.Where(r => albums.ContainsKey(CatalogIds.Format(CatalogIds.Album, r.Id)))
            .Select(r => new TopAlbum(albums[CatalogIds.Format(CatalogIds.Album, r.Id)], r.Plays, r.MsPlayed)).ToList();
    }

    private static async Task<List<TopArtist>> TopArtistsAsync(PlayStats stats, long? user, string from, string to, int limit, CancellationToken ct) =>
        (await stats.TopAsync(TopKind.Artists, user, from, to, limit, ct))
            .Select(r => new TopArtist(new NamedRef(CatalogIds.Format(CatalogIds.Artist, r.Id), r.Name ?? ""), r.Plays, r.MsPlayed)).ToList();

    private static async Task<Results<Ok<Recap>, ValidationProblem>> RecapAsync(
        int year, HttpContext http, PlayStats stats, CatalogQueries catalog, CancellationToken ct)
    {
        if (year is < 1970 or > 9998) return Invalid("year", "between 1970 and 9998");
        var user = http.UserId();
        var from = PlayHistory.Iso(new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var to = PlayHistory.Iso(new DateTimeOffset(year + 1, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var (totals, months) = await stats.TotalsAsync(user, from, to, ct);
        var monthStats = months.Select(m => new MonthStat(m.Month, m.Plays, m.MsPlayed / 60_000)).ToList();
        var busiest = monthStats.Where(m => m.Plays > 0).OrderByDescending(m => m.Plays).ThenByDescending(m => m.Minutes).ThenBy(m => m.Month).FirstOrDefault();
        var topTrackRows = await stats.TopAsync(TopKind.Tracks, user, from, to, 10, ct);
        var tracks = (await catalog.TracksByIdAsync(topTrackRows.Select(r => r.Id).ToList(), ct)).ToDictionary(t => t.Id);
        var topTracks = topTrackRows.Where(r => tracks.ContainsKey(CatalogIds.Format(CatalogIds.Track, r.Id)))
            .Select(r => new TopTrack(tracks[CatalogIds.Format(CatalogIds.Track, r.Id)], r.Plays, r.MsPlayed)).ToList();
        return TypedResults.Ok(new Recap(year, totals.Plays, totals.Skips, totals.MsPlayed / 60_000, totals.DistinctTracks, totals.DistinctArtists, busiest,
            monthStats, await TopArtistsAsync(stats, user, from, to, 10, ct), await TopAlbumsAsync(stats, catalog, user, from, to, 10, ct), topTracks));
    }

    private static async Task<Results<Ok<FlowResponse>, NotFound, ValidationProblem>> FlowAsync(
        HttpContext http, int? count, string? seed, string? from, Flow flow, CatalogQueries catalog, CancellationToken ct)
    {
        var n = Math.Clamp(count ?? 20, 1, Flow.MaxCount);
        // Any text is a seed (a hostile one just hashes); none means a fresh random stream.
        var s = seed is null ? Random.Shared.Next() : Flow.SeedFrom(seed);
        FlowSeed? mix = null;
        if (from is not null)
        {
            mix = FlowSeed.Parse(from);
            if (mix is null) return TypedResults.NotFound();
        }
        var picks = await flow.NextAsync(http.UserId(), n, s, mix, remember: mix is null, ct);
        if (picks is null) return TypedResults.NotFound();
        var tracks = (await catalog.TracksByIdAsync(picks.Select(p => p.TrackId).ToList(), ct)).ToDictionary(t => t.Id);
        return TypedResults.Ok(new FlowResponse(s, picks.Where(p => tracks.ContainsKey(CatalogIds.Format(CatalogIds.Track, p.TrackId)))
            .Select(p => new FlowItem(tracks[CatalogIds.Format(CatalogIds.Track, p.TrackId)], p.Reason)).ToList()));
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
