using Dapper;
using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Subsonic;

/// <summary>
/// The artist list of getArtists, for libraries of any size. Clients fetch it whole at start-up;
/// a personal library gets every artist, but a catalog of a million artists cannot be one
/// response, so past <c>Subsonic:ArtistIndexLimit</c> (default 50,000) it holds the most popular
/// ones (search reaches the rest). The list is computed once per catalog change and kept; each call
/// only adds the caller's own stars and ratings.
/// </summary>
public sealed class ArtistShelf(Database db, TimeProvider time, IConfiguration configuration)
{
    // Settable properties, not a positional record: SQLite reports no type for a computed column of an
    // empty result, which Dapper's constructor matching needs.
    private sealed record Row
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string SortName { get; init; } = "";
        public string? Mbz { get; init; }
        public long AlbumCount { get; init; }
    }
    private sealed record Shelf(long Version, DateTimeOffset Until, List<Row> Rows);

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private readonly Dictionary<long, Shelf> _shelves = [];
    private readonly SemaphoreSlim _building = new(1, 1);

    public int Limit { get; } = Math.Max(1, configuration.GetValue("Subsonic:ArtistIndexLimit", 50_000));

    public async Task<List<ArtistID3>> ArtistsAsync(long userId, long? folder, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await RowsAsync(c, folder, ct);
        var notes = (await c.QueryAsync<(long Id, string? StarredAt, long Rating)>(new CommandDefinition(
            "SELECT item_id, starred_at, rating FROM annotations WHERE user_id = @userId AND item_kind = 'artist'", new { userId }, cancellationToken: ct)))
            .ToDictionary(n => n.Id);
        return rows.Select(r =>
        {
            var id = CatalogIds.Format(CatalogIds.Artist, r.Id);
            notes.TryGetValue(r.Id, out var note);
            return new ArtistID3
            {
                Id = id, Name = r.Name, CoverArt = id, AlbumCount = (int)r.AlbumCount, MusicBrainzId = r.Mbz ?? "", SortName = r.SortName,
                Starred = SubsonicQueries.Time(note.StarredAt), UserRating = note.Rating > 0 ? (int)note.Rating : null,
            };
        }).ToList();
    }

    private async Task<List<Row>> RowsAsync(System.Data.Common.DbConnection c, long? folder, CancellationToken ct)
    {
        var version = await Catalog.CatalogChanges.CatalogAsync(c, ct);
        var key = folder ?? 0;
        var now = time.GetUtcNow();
        lock (_shelves)
            if (_shelves.TryGetValue(key, out var shelf) && shelf.Version == version && shelf.Until > now) return shelf.Rows;

        await _building.WaitAsync(ct);
        try
        {
            lock (_shelves)
                if (_shelves.TryGetValue(key, out var shelf) && shelf.Version == version && shelf.Until > now) return shelf.Rows;
            var inFolder = folder is null ? "" : "AND EXISTS (SELECT 1 FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = x.id AND t.root_id = @folder)";
            var rows = (await c.QueryAsync<Row>(new CommandDefinition($"""
                SELECT ar.id AS Id, ar.name AS Name, ar.sort_name AS SortName, ar.mbz_id AS Mbz,
                       ar.album_count AS AlbumCount
                FROM (SELECT x.id FROM artists x WHERE {ArtistAlbums.Has("x")} {inFolder}
                      ORDER BY x.popularity DESC, x.id LIMIT @limit) top
                JOIN artists ar ON ar.id = top.id
                """, new { limit = Limit, folder }, commandTimeout: 0, cancellationToken: ct))).ToList();
            rows.Sort((a, b) => string.CompareOrdinal(a.SortName, b.SortName) is var byName && byName != 0 ? byName : a.Id.CompareTo(b.Id));
            lock (_shelves) _shelves[key] = new Shelf(version, now + Lifetime, rows);
            return rows;
        }
        finally
        {
            _building.Release();
        }
    }
}
