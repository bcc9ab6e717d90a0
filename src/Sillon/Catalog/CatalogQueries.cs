using System.Data.Common;
using System.Globalization;
using Dapper;
using Sillon.Data;

namespace Sillon.Catalog;

/// <summary>Read queries over artists, albums and tracks. Rows map to private records, then to the public shapes.</summary>
public sealed class CatalogQueries(Database db, KeysetPages pages)
{
    // The catalog's counts as of a value of its change counter: a COUNT(*) of 13 M tracks takes a
    // second or more on PostgreSQL, and every page of a list reports the total.
    private sealed record Counts(long Counter, long Tracks, long Albums, long Artists);
    private Counts? _counts;
    private readonly SemaphoreSlim _counting = new(1, 1);

    // In AlbumRow.Read's order.
    private const string AlbumColumns = """
        a.id AS Id, a.name AS Name, a.display_artist AS Artist, a.year AS Year, a.genre AS Genre, a.track_count AS TrackCount,
        a.disc_count AS DiscCount, a.duration AS Duration, a.size AS Size, a.compilation AS Compilation, a.mbz_album_id AS Mbz,
        (a.cover_path IS NOT NULL OR a.cover_track_id IS NOT NULL) AS HasCover, a.created_at AS Created, a.date AS Date, a.original_date AS OriginalDate,
        a.artist_refs AS StoredArtists
        """;

    private const string TrackColumns = """
        t.id AS Id, t.title AS Title, t.display_artist AS Artist, t.display_album_artist AS AlbumArtist, a.name AS Album, t.album_id AS AlbumId,
        t.track_number AS TrackNumber, t.track_total AS TrackTotal, t.disc_number AS DiscNumber, t.disc_total AS DiscTotal,
        t.disc_subtitle AS DiscSubtitle, t.year AS Year, t.date AS Date, t.original_date AS OriginalDate, t.composer AS Composer,
        t.isrc AS Isrc, t.bpm AS Bpm, t.compilation AS Compilation, t.mbz_track_id AS MbTrack, t.mbz_album_id AS MbAlbum,
        t.mbz_artist_id AS MbArtist, t.mbz_album_artist_id AS MbAlbumArtist, t.mbz_release_group_id AS MbReleaseGroup,
        t.rg_track_gain AS RgTrackGain, t.rg_track_peak AS RgTrackPeak, t.rg_album_gain AS RgAlbumGain, t.rg_album_peak AS RgAlbumPeak,
        t.lyrics AS Lyrics, t.duration AS Duration, t.bitrate AS BitRate, t.sample_rate AS SampleRate, t.bit_depth AS BitDepth,
        t.channels AS Channels, t.codec AS Codec, t.suffix AS Suffix, t.content_type AS ContentType, t.size AS Size, t.path AS Path,
        r.path AS RootPath, (a.cover_path IS NOT NULL OR a.cover_track_id IS NOT NULL) AS HasCover, t.created_at AS Created, t.updated_at AS Updated
        """;

    /// <summary>
    /// The orders of the whole album list that the web player and Subsonic clients share, each under
    /// one list name: both page on the same cursors and anchors, and <see cref="Warmup"/> builds
    /// those anchors once at start rather than the first deep page after it (a second or two at 13 M).
    /// </summary>
    public static readonly (string List, KeysetPages.Column[] Order)
        AlbumsByName = ("albums|name", [new("x.sort_name"), new("x.id")]),
        NewestAlbums = ("albums|newest", [new("x.created_at", Descending: true), new("x.id", Descending: true)]),
        AlbumsByArtist = ("albums|artist", [new("lower(x.display_artist)"), new("COALESCE(x.year, 0)"), new("x.sort_name"), new("x.id")]);

    /// <summary>The anchors of the shared album lists, built ahead of the first deep page.</summary>
    public async Task PrepareAlbumListsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        foreach (var (list, order) in new[] { AlbumsByName, NewestAlbums, AlbumsByArtist })
            await pages.PrepareAsync(c, list, "albums x", "1 = 1", order, null, ct);
    }

    public async Task<Page<ArtistSummary>> ArtistsAsync(Paging paging, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var (_, _, total) = await CountsAsync(c, ct);
        var (ids, _) = await pages.PageAsync(c, "rest-artists", "artists x", "1 = 1", [new("x.sort_name"), new("x.id")], null, paging.Limit, paging.Offset, ct);
        return new Page<ArtistSummary>((await ByIdsAsync(c, ids, [], [], ct)).Artists, total, paging.Offset, paging.Limit);
    }

    public async Task<ArtistDetail?> ArtistAsync(long id, CancellationToken ct)
    {
        // The artist's own albums, and the albums where they appear on a track: one batch, one round trip.
        var albumIds = ArtistAlbums.Ids("@id");
        await using var c = await db.OpenAsync(ct);
        using var grid = await c.QueryMultipleAsync(new CommandDefinition($"""
            SELECT ar.id AS Id, ar.name AS Name, ar.mbz_id AS Mbz, 0 AS AlbumCount,
                (SELECT COUNT(*) FROM track_artists ta WHERE ta.artist_id = ar.id AND ta.role = 'artist') AS TrackCount
            FROM artists ar WHERE ar.id = @id;
            SELECT {AlbumColumns} FROM albums a WHERE a.id IN ({albumIds}) ORDER BY a.year, a.sort_name, a.id
            """, new { id }, cancellationToken: ct));
        var artist = (await grid.ReadAsync<ArtistRow>()).SingleOrDefault();
        var albums = Albums((await grid.ReadAsync<AlbumRow>()).ToList());
        return artist is null ? null : new ArtistDetail(CatalogIds.Format(CatalogIds.Artist, artist.Id), artist.Name, artist.Mbz, albums, (int)artist.TrackCount);
    }

    /// <summary>
    /// A page of albums in one of the web player's orders. Every order has an index and deep pages
    /// continue from a remembered key (<see cref="KeysetPages"/>); random draws points in the id
    /// range. At 13 M tracks an OFFSET and an ORDER BY RANDOM() each took a second or more.
    /// </summary>
    public async Task<Page<AlbumSummary>> AlbumsAsync(Paging paging, string? sort, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var (_, total, _) = await CountsAsync(c, ct);
        var (list, order) = sort switch
        {
            "newest" => NewestAlbums,
            "year" => ("albums|year", [new("COALESCE(x.year, 0)"), new("x.sort_name"), new("x.id")]),
            "artist" => AlbumsByArtist,
            _ => AlbumsByName,
        };
        if (sort == "random")
        {
            var drawn = paging.Offset < total
                ? await RandomAlbumsAsync(c, paging.Limit, async ids => (await ByIdsAsync(c, [], [.. ids], [], ct)).Albums.ToList(), "", null, ct)
                : [];
            return new Page<AlbumSummary>(drawn, total, paging.Offset, paging.Limit);
        }
        var page = await pages.PlanAsync(c, list, "albums x", "1 = 1", order, null, paging.Limit, paging.Offset, ct);
        var albums = Albums(await AlbumPageAsync(c, page, AlbumColumns, "", AlbumRow.Read, r => r.Id, ct));
        return new Page<AlbumSummary>(albums, total, paging.Offset, paging.Limit);
    }

    /// <summary>
    /// Random albums without sorting the whole table by random(): ids drawn uniformly between the
    /// smallest and the largest, read with their rows by <paramref name="byIds"/>, which leaves out
    /// the ids no album has (deleted ones) and the albums outside a filter; so every album is as
    /// likely as any other, and a page is one statement after the bounds. A page short of albums
    /// draws again, as many more as the last draw's share of hits says. What three draws leave short
    /// (ids very sparse, a filter that keeps few albums) is filled by taking the first album at or
    /// after each of some random points (an index seek each; <paramref name="filter"/> is AND …
    /// on alias x), as every page did until session 23: at 13 M tracks those seeks cost PostgreSQL
    /// twice the reading of the page's rows. What they leave short is taken in id order.
    /// </summary>
    public static async Task<List<T>> RandomAlbumsAsync<T>(DbConnection c, int size, Func<long[], Task<List<T>>> byIds,
        string filter, object? args, CancellationToken ct)
    {
        if (size <= 0) return [];
        // MIN and MAX in one SELECT would scan the table; each alone is one step at an end of the index.
        var (min, max) = await c.QuerySingleAsync<(long, long)>(new CommandDefinition("SELECT COALESCE((SELECT MIN(id) FROM albums), 0), COALESCE((SELECT MAX(id) FROM albums), 0)", cancellationToken: ct));
        if (max == 0) return [];
        var chosen = new List<T>(size);
        var drawn = new HashSet<long>();
        var hits = 1.0;
        for (var round = 0; round < 3 && chosen.Count < size && drawn.Count <= max - min; round++)
        {
            var need = size - chosen.Count;
            // An eighth more than the hits expected, so that a few deleted ids rarely cost a second draw.
            var count = (int)Math.Min(Math.Min(16L * need, max - min + 1 - drawn.Count), (long)Math.Ceiling(need * 1.125 / Math.Max(hits, 1 / 16.0)) + 2);
            var points = new long[count];
            for (var i = 0; i < count;)
                if (drawn.Add(points[i] = Random.Shared.NextInt64(min, max + 1))) i++;
            var rows = (await byIds(points)).ToArray();
            hits = (double)rows.Length / count;
            // The rows come in the database's order (by id, often): shuffled before any are left out.
            Random.Shared.Shuffle(rows);
            chosen.AddRange(rows.Take(need));
        }
        // Every id drawn: every album there is has been read.
        if (chosen.Count == size || drawn.Count > max - min) return chosen;
        // A page still short kept every album its draws found, so an album drawn is one chosen:
        // the seeks skip the ids drawn (and so each other's finds).
        var ids = new List<long>();
        var d = c.Dialect();
        for (var round = 0; round < 3 && chosen.Count + ids.Count < size; round++)
        {
            var points = Enumerable.Range(0, (size - chosen.Count - ids.Count) * 2).Select(_ => Random.Shared.NextInt64(min, max + 1)).ToArray();
            var parameters = new DynamicParameters(args);
            parameters.Add("points", d.Ids(points));
            var found = await c.QueryAsync<long?>(new CommandDefinition($"""
                SELECT (SELECT x.id FROM albums x WHERE x.id >= p.value {filter} ORDER BY x.id LIMIT 1)
                FROM ({d.IdList("@points")}) p
                """, parameters, cancellationToken: ct));
            foreach (var f in found)
                if (f is { } v && chosen.Count + ids.Count < size && drawn.Add(v)) ids.Add(v);
        }
        // Seeks land on albums drawn already when most of those there are have been (a page of 40
        // of 55 albums came back with 39): what is still short is taken in id order after one more
        // random point, then from the start. A window of the ids drawn plus those needed steps over
        // every drawn one, so the page is full whenever the albums exist.
        if (chosen.Count + ids.Count < size)
        {
            var window = size - chosen.Count - ids.Count + drawn.Count;
            var parameters = new DynamicParameters(args);
            parameters.Add("point", Random.Shared.NextInt64(min, max + 1));
            var found = await c.QueryAsync<long>(new CommandDefinition($"""
                SELECT id FROM (SELECT x.id FROM albums x WHERE x.id >= @point {filter} ORDER BY x.id LIMIT {window}) after_point
                UNION ALL
                SELECT id FROM (SELECT x.id FROM albums x WHERE x.id < @point {filter} ORDER BY x.id LIMIT {window}) before_point
                """, parameters, cancellationToken: ct));
            foreach (var v in found)
                if (chosen.Count + ids.Count < size && drawn.Add(v)) ids.Add(v);
        }
        if (ids.Count > 0) chosen.AddRange(await byIds([.. ids]));
        return chosen;
    }

    public async Task<AlbumDetail?> AlbumAsync(long id, CancellationToken ct)
    {
        // The album, its tracks and their links: one batch, one round trip.
        const string trackIds = "SELECT id FROM tracks WHERE album_id = @id";
        await using var c = await db.OpenAsync(ct);
        using var grid = await c.QueryMultipleAsync(new CommandDefinition($"""
            SELECT {AlbumColumns} FROM albums a WHERE a.id = @id;
            SELECT {TrackColumns} FROM tracks t JOIN albums a ON a.id = t.album_id JOIN library_roots r ON r.id = t.root_id
            WHERE t.album_id = @id {AlbumTrackOrder};
            {TrackArtistsSql(trackIds)};
            {TrackGenresSql(trackIds)}
            """, new { id }, cancellationToken: ct));
        var rows = (await grid.ReadAsync<AlbumRow>()).ToList();
        var albums = Albums(rows);
        var tracks = Tracks((await grid.ReadAsync<TrackRow>()).ToList(), TrackArtists(await grid.ReadAsync<(long TrackId, string Role, long Id, string Name)>()),
            (await grid.ReadAsync<(long TrackId, string Name)>()).ToLookup(g => g.TrackId, g => g.Name));
        if (rows.Count == 0) return null;
        var discs = tracks.GroupBy(t => t.DiscNumber ?? 1).OrderBy(g => g.Key)
            .Select(g => new DiscInfo(g.Key, g.Select(t => t.DiscSubtitle).FirstOrDefault(s => s is not null))).ToList();
        return new AlbumDetail(albums[0], rows[0].Date, rows[0].OriginalDate, discs, tracks);
    }

    public async Task<Page<TrackInfo>> TracksAsync(Paging paging, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var (total, _, _) = await CountsAsync(c, ct);
        var (ids, _) = await pages.PageAsync(c, "rest-tracks", "tracks x", "1 = 1", [new("x.id")], null, paging.Limit, paging.Offset, ct);
        return new Page<TrackInfo>((await ByIdsAsync(c, [], [], ids, ct)).Tracks, total, paging.Offset, paging.Limit);
    }

    public async Task<TrackInfo?> TrackAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await ByIdsAsync(c, [], [], [id], ct)).Tracks.SingleOrDefault();
    }

    /// <summary>Tracks by id, in the order given; ids that no longer exist are left out.</summary>
    public async Task<IReadOnlyList<TrackInfo>> TracksByIdAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        await using var c = await db.OpenAsync(ct);
        var byId = (await ByIdsAsync(c, [], [], [.. ids.Distinct()], ct)).Tracks.ToDictionary(t => t.Id);
        return ids.Select(id => byId.GetValueOrDefault(CatalogIds.Format(CatalogIds.Track, id))).OfType<TrackInfo>().ToList();
    }

    /// <summary>Albums by id, in the order given; ids that no longer exist are left out.</summary>
    public async Task<IReadOnlyList<AlbumSummary>> AlbumsByIdAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        await using var c = await db.OpenAsync(ct);
        var byId = (await ByIdsAsync(c, [], [.. ids.Distinct()], [], ct)).Albums.ToDictionary(a => a.Id);
        return ids.Select(id => byId.GetValueOrDefault(CatalogIds.Format(CatalogIds.Album, id))).OfType<AlbumSummary>().ToList();
    }

    public async Task<TrackFile?> TrackFileAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await TrackFileAsync(c, id, ct);
    }

    public static async Task<TrackFile?> TrackFileAsync(DbConnection c, long id, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<TrackFile>(new CommandDefinition(
            "SELECT id AS Id, path AS Path, content_type AS ContentType, suffix AS Suffix, size AS Size FROM tracks WHERE id = @id", new { id }, cancellationToken: ct));

    /// <summary>
    /// The rows of ids already chosen (a search's ranked hits, a page of a list), kept in that
    /// order. The statements (artists, albums and their artists, tracks and their links) go as one
    /// batch, one round trip, as Subsonic's <c>SubsonicQueries.ByIdsAsync</c>.
    /// </summary>
    public static async Task<SearchResults> ByIdsAsync(DbConnection c, List<long> artistIds, List<long> albumIds, List<long> trackIds, CancellationToken ct)
    {
        var d = c.Dialect();
        var sql = new System.Text.StringBuilder();
        var parameters = new DynamicParameters();
        if (artistIds.Count > 0)
        {
            sql.Append($"""
                SELECT ar.id AS Id, ar.name AS Name, ar.mbz_id AS Mbz, ar.album_count AS AlbumCount,
                    (SELECT COUNT(*) FROM track_artists ta WHERE ta.artist_id = ar.id AND ta.role = 'artist') AS TrackCount
                FROM artists ar WHERE ar.id IN ({d.IdList("@artistIds")});

                """);
            parameters.Add("artistIds", d.Ids(artistIds));
        }
        if (albumIds.Count > 0)
        {
            sql.Append($"SELECT {AlbumColumns} FROM albums a WHERE a.id IN ({d.IdList("@albumIds")});\n");
            parameters.Add("albumIds", d.Ids(albumIds));
        }
        if (trackIds.Count > 0)
        {
            sql.Append($"""
                SELECT {TrackColumns} FROM tracks t JOIN albums a ON a.id = t.album_id JOIN library_roots r ON r.id = t.root_id
                WHERE t.id IN ({d.IdList("@trackIds")});
                {TrackArtistsSql(d.IdList("@trackIds"))};
                {TrackGenresSql(d.IdList("@trackIds"))}
                """);
            parameters.Add("trackIds", d.Ids(trackIds));
        }
        if (sql.Length == 0) return new SearchResults([], [], []);
        using var grid = await c.QueryMultipleAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: ct));
        var artists = artistIds.Count == 0 ? [] : (await grid.ReadAsync<ArtistRow>()).Select(r => r.ToSummary()).ToList();
        var albums = albumIds.Count == 0 ? [] : Albums((await grid.ReadAsync<AlbumRow>()).ToList());
        List<TrackInfo> tracks = [];
        if (trackIds.Count > 0)
        {
            var rows = (await grid.ReadAsync<TrackRow>()).ToList();
            tracks = Tracks(rows, TrackArtists(await grid.ReadAsync<(long TrackId, string Role, long Id, string Name)>()),
                (await grid.ReadAsync<(long TrackId, string Name)>()).ToLookup(g => g.TrackId, g => g.Name));
        }
        return new SearchResults(
            InOrder(artistIds, CatalogIds.Artist, artists, a => a.Id),
            InOrder(albumIds, CatalogIds.Album, albums, a => a.Id),
            InOrder(trackIds, CatalogIds.Track, tracks, t => t.Id));
    }

    /// <summary>Rows in the order of their ids (a ranked search, a chosen page); rows of other ids last.</summary>
    internal static List<T> InOrder<T>(List<long> ids, string kind, List<T> rows, Func<T, string> id)
    {
        var position = ids.Select((value, i) => (CatalogIds.Format(kind, value), i)).ToDictionary(p => p.Item1, p => p.i);
        return rows.OrderBy(r => position.GetValueOrDefault(id(r), int.MaxValue)).ToList();
    }

    public async Task<(long Tracks, long Albums, long Artists)> CountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await CountsAsync(c, ct);
    }

    /// <summary>
    /// Tracks, albums and artists in the catalog: counted again only after the catalog changed, by
    /// one request at a time (2 s at 13 M tracks on PostgreSQL). Requests that come meanwhile take
    /// the counts before the change rather than wait: each would hold its connection while waiting,
    /// and a pool of four would be full.
    /// </summary>
    private async Task<(long Tracks, long Albums, long Artists)> CountsAsync(DbConnection c, CancellationToken ct)
    {
        var counter = await CatalogChanges.CatalogAsync(c, ct);
        if (_counts is { } kept && (kept.Counter == counter || _counting.CurrentCount == 0)) return (kept.Tracks, kept.Albums, kept.Artists);
        await _counting.WaitAsync(ct);
        try
        {
            if (_counts is { } counted && counted.Counter == counter) return (counted.Tracks, counted.Albums, counted.Artists);
            // A change during the count moves the counter past this one: the next caller counts again.
            var (tracks, albums, artists) = await c.QuerySingleAsync<(long, long, long)>(new CommandDefinition(
                "SELECT (SELECT COUNT(*) FROM tracks), (SELECT COUNT(*) FROM albums), (SELECT COUNT(*) FROM artists)", commandTimeout: 0, cancellationToken: ct));
            _counts = new Counts(counter, tracks, albums, artists);
            return (tracks, albums, artists);
        }
        finally
        {
            _counting.Release();
        }
    }

    /// <summary>Counts the catalog as the server starts, so that the first page of a list does not wait for it.</summary>
    public sealed class Warmup(CatalogQueries queries, ILogger<Warmup> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            try
            {
                await queries.CountsAsync(stoppingToken);
                await queries.PrepareAlbumListsAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Could not count the catalog or anchor its album lists at start; the first list pages will");
            }
            catch (OperationCanceledException)
            {
                // Stopping before the count ended: nothing to keep.
            }
        }
    }

    private static List<AlbumSummary> Albums(List<AlbumRow> rows) => rows.Select(r => r.ToSummary()).ToList();

    private static List<TrackInfo> Tracks(List<TrackRow> rows, ILookup<(long TrackId, string Role), NamedRef> artists, ILookup<long, string> genres) =>
        rows.Select(r => r.ToInfo(artists[(r.Id, "artist")].ToList(), artists[(r.Id, "albumartist")].ToList(), genres[r.Id].ToList())).ToList();

    /// <summary>An album's tracks in the order of its discs (alias t): the REST and Subsonic album pages.</summary>
    internal const string AlbumTrackOrder = "ORDER BY COALESCE(t.disc_number, 1), t.track_number, t.sort_title, t.id";

    /// <summary>
    /// A planned page of albums, in the list's order, as <paramref name="columns"/> and
    /// <paramref name="joins"/> (on alias a) read them, their artists included (<see cref="ArtistRefs"/>),
    /// after the dialect's plan setting in the same batch: the rows behind their keys in one
    /// statement (<see cref="KeysetQuery.Rows"/>), or the keys and then the rows by id
    /// (<see cref="ISqlDialect.JoinsPageRows"/>), put in order by <paramref name="id"/>. Each row is
    /// made by <paramref name="read"/> from the columns that start at the index it is given.
    /// </summary>
    internal static async Task<List<T>> AlbumPageAsync<T>(DbConnection c, KeysetQuery page, string columns, string joins,
        Func<DbDataReader, int, T> read, Func<T, long> id, CancellationToken ct)
    {
        var d = c.Dialect();
        if (!d.JoinsPageRows)
        {
            // `using`, not `await using`: Dapper's reader disposes its command only in Dispose (SqliteStatementCache.cs, ReleaseAbandoned).
            using var batch = await c.ExecuteReaderAsync(new CommandDefinition($"""
                {d.OnePlanForTheBatch}{page.Keys};
                SELECT {columns} FROM albums a {joins} WHERE a.id IN ({page.Ids})
                """, page.Parameters, cancellationToken: ct));
            if (d.OnePlanForTheBatch.Length > 0) await batch.NextResultAsync(ct);
            var ids = await page.SeenAsync(batch, ct);
            await batch.NextResultAsync(ct);
            var byId = new Dictionary<long, T>(ids.Count);
            while (await batch.ReadAsync(ct))
            {
                var row = read(batch, 0);
                byId[id(row)] = row;
            }
            return [.. ids.Where(byId.ContainsKey).Select(i => byId[i])];
        }
        using var reader = await c.ExecuteReaderAsync(new CommandDefinition(d.OnePlanForTheBatch + page.Rows(columns, "albums", "a", joins),
            page.Parameters, cancellationToken: ct));
        if (d.OnePlanForTheBatch.Length > 0) await reader.NextResultAsync(ct);
        return await page.ReadAsync(reader, read, ct);
    }

    // The link queries as text too, for callers that send them in one batch with the rows they
    // belong to. The ids are SQL: a list parameter (ISqlDialect.IdList) or a sub-select such as
    // the tracks of one album, so that a batch need not wait for the rows to know their links.
    internal static string TrackArtistsSql(string trackIds) => $"""
        SELECT ta.track_id, ta.role, ar.id, ar.name FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id
        WHERE ta.track_id IN ({trackIds}) ORDER BY ta.track_id, ta.role, ta.position
        """;

    internal static string TrackGenresSql(string trackIds) => $"""
        SELECT tg.track_id, g.name FROM track_genres tg JOIN genres g ON g.id = tg.genre_id
        WHERE tg.track_id IN ({trackIds}) ORDER BY tg.track_id, tg.position
        """;

    internal static ILookup<(long TrackId, string Role), NamedRef> TrackArtists(IEnumerable<(long TrackId, string Role, long Id, string Name)> rows) =>
        rows.ToLookup(a => (a.TrackId, a.Role), a => new NamedRef(CatalogIds.Format(CatalogIds.Artist, a.Id), a.Name));

    /// <summary>
    /// The artists (by track and role: artist, albumartist, composer, in tag order) and genres of a
    /// set of tracks, in one round trip (two statements in one batch) whatever the number of tracks.
    /// The REST and Subsonic shapes are both built from these.
    /// </summary>
    public static async Task<(ILookup<(long TrackId, string Role), NamedRef> Artists, ILookup<long, string> Genres)> TrackLinksAsync(
        DbConnection c, IEnumerable<long> trackIds, CancellationToken ct)
    {
        var d = c.Dialect();
        using var grid = await c.QueryMultipleAsync(new CommandDefinition($"{TrackArtistsSql(d.IdList("@ids"))};\n{TrackGenresSql(d.IdList("@ids"))}",
            new { ids = d.Ids(trackIds.Distinct()) }, cancellationToken: ct));
        var artists = TrackArtists(await grid.ReadAsync<(long TrackId, string Role, long Id, string Name)>());
        var genres = (await grid.ReadAsync<(long TrackId, string Name)>()).ToLookup(g => g.TrackId, g => g.Name);
        return (artists, genres);
    }

    private sealed record ArtistRow(long Id, string Name, string? Mbz, long AlbumCount, long TrackCount)
    {
        public ArtistSummary ToSummary() => new(CatalogIds.Format(CatalogIds.Artist, Id), Name, (int)AlbumCount, (int)TrackCount, Mbz);
    }

    private sealed record AlbumRow(long Id, string Name, string Artist, long? Year, string? Genre, long TrackCount, long DiscCount, double Duration,
        long Size, long Compilation, string? Mbz, long HasCover, string Created, string? Date, string? OriginalDate, string? StoredArtists)
    {
        /// <summary>The row of <see cref="AlbumColumns"/> that starts at column <paramref name="at"/> (ColumnReads: why not Dapper here).</summary>
        public static AlbumRow Read(DbDataReader r, int at) => new(r.GetInt64(at), r.GetString(at + 1), r.GetString(at + 2), r.Int64OrNull(at + 3),
            r.StringOrNull(at + 4), r.GetInt64(at + 5), r.GetInt64(at + 6), r.GetDouble(at + 7), r.GetInt64(at + 8), r.GetInt64(at + 9),
            r.StringOrNull(at + 10), r.GetBoolean(at + 11) ? 1 : 0, r.GetString(at + 12), r.StringOrNull(at + 13), r.StringOrNull(at + 14),
            r.StringOrNull(at + 15));

        public AlbumSummary ToSummary()
        {
            var id = CatalogIds.Format(CatalogIds.Album, Id);
            return new AlbumSummary(id, Name, Artist, ArtistRefs.Read(StoredArtists), (int?)Year, Genre, (int)TrackCount, (int)DiscCount, Duration, Size, Compilation != 0, Mbz,
                HasCover != 0 ? id : null, StoredTime.Parse(Created));
        }
    }

    private sealed record TrackRow
    {
        public long Id { get; init; }
        public string Title { get; init; } = "";
        public string Artist { get; init; } = "";
        public string AlbumArtist { get; init; } = "";
        public string Album { get; init; } = "";
        public long AlbumId { get; init; }
        public int? TrackNumber { get; init; }
        public int? TrackTotal { get; init; }
        public int? DiscNumber { get; init; }
        public int? DiscTotal { get; init; }
        public string? DiscSubtitle { get; init; }
        public int? Year { get; init; }
        public string? Date { get; init; }
        public string? OriginalDate { get; init; }
        public string? Composer { get; init; }
        public string? Isrc { get; init; }
        public int? Bpm { get; init; }
        public bool Compilation { get; init; }
        public string? MbTrack { get; init; }
        public string? MbAlbum { get; init; }
        public string? MbArtist { get; init; }
        public string? MbAlbumArtist { get; init; }
        public string? MbReleaseGroup { get; init; }
        public double? RgTrackGain { get; init; }
        public double? RgTrackPeak { get; init; }
        public double? RgAlbumGain { get; init; }
        public double? RgAlbumPeak { get; init; }
        public string? Lyrics { get; init; }
        public double Duration { get; init; }
        public int BitRate { get; init; }
        public int SampleRate { get; init; }
        public int BitDepth { get; init; }
        public int Channels { get; init; }
        public string Codec { get; init; } = "";
        public string Suffix { get; init; } = "";
        public string ContentType { get; init; } = "";
        public long Size { get; init; }
        public string Path { get; init; } = "";
        public string RootPath { get; init; } = "";
        public bool HasCover { get; init; }
        public string Created { get; init; } = "";
        public string Updated { get; init; } = "";

        public TrackInfo ToInfo(IReadOnlyList<NamedRef> artists, IReadOnlyList<NamedRef> albumArtists, IReadOnlyList<string> genres) => new()
        {
            Id = CatalogIds.Format(CatalogIds.Track, Id),
            Title = Title,
            Artist = Artist,
            Artists = artists,
            AlbumArtist = AlbumArtist,
            AlbumArtists = albumArtists,
            Album = Album,
            AlbumId = CatalogIds.Format(CatalogIds.Album, AlbumId),
            TrackNumber = TrackNumber,
            TrackTotal = TrackTotal,
            DiscNumber = DiscNumber,
            DiscTotal = DiscTotal,
            DiscSubtitle = DiscSubtitle,
            Year = Year,
            Date = Date,
            OriginalDate = OriginalDate,
            Genres = genres,
            Composer = Composer,
            Isrc = Isrc,
            Bpm = Bpm,
            Compilation = Compilation,
            MusicBrainz = new MusicBrainzIds(MbTrack, MbAlbum, MbArtist, MbAlbumArtist, MbReleaseGroup),
            ReplayGain = new ReplayGain(RgTrackGain, RgTrackPeak, RgAlbumGain, RgAlbumPeak),
            Lyrics = Lyrics,
            Duration = Duration,
            BitRate = BitRate,
            SampleRate = SampleRate,
            BitDepth = BitDepth,
            Channels = Channels,
            Codec = Codec,
            Suffix = Suffix,
            ContentType = ContentType,
            Size = Size,
            Path = System.IO.Path.GetRelativePath(RootPath, Path),
            CoverArt = HasCover ? CatalogIds.Format(CatalogIds.Album, AlbumId) : null,
            Created = StoredTime.Parse(Created),
            Updated = StoredTime.Parse(Updated),
        };
    }
}
