using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Search;

namespace Sillon.Subsonic;

/// <summary>Lists and searches: getAlbumList/2, getRandomSongs, getSongsByGenre, getNowPlaying, getStarred/2, search2/3.</summary>
public static class ListHandlers
{
    // Search pages are how clients sync their offline copy: a silently shortened page would end the
    // sync early, so the cap is high; it only bounds the memory of one response.
    public const int MaxSearchCount = 10_000;

    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["getAlbumList"] = call => AlbumListAsync(call, id3: false);
        h["getAlbumList2"] = call => AlbumListAsync(call, id3: true);
        h["getRandomSongs"] = GetRandomSongs;
        h["getSongsByGenre"] = GetSongsByGenre;
        h["getNowPlaying"] = GetNowPlaying;
        h["getStarred"] = call => StarredAsync(call, id3: false);
        h["getStarred2"] = call => StarredAsync(call, id3: true);
        h["search2"] = call => SearchAsync(call, id3: false);
        h["search3"] = call => SearchAsync(call, id3: true);
    }

    private static async Task<SubsonicResult> AlbumListAsync(SubsonicCall call, bool id3)
    {
        var p = call.Params;
        var type = p.Required("type");
        var size = p.Count("size", 10, 500);
        var offset = p.Offset("offset");
        var folder = await call.MusicFolderAsync();
        var q = call.Service<SubsonicQueries>();
        await using var c = await q.OpenAsync(call.Ct);
        var albums = type switch
        {
            "random" => await RandomAlbumsAsync(c, call.User.Id, size, folder, call.Ct),
            "highest" or "frequent" or "recent" or "starred" => await AnnotatedAlbumsAsync(c, call.User.Id, type, size, offset, folder, call.Ct),
            _ => await CatalogAlbumsAsync(call, c, type, size, offset, folder),
        };
        return id3 ? SubsonicResult.Of("albumList2", new AlbumList2(albums)) : SubsonicResult.Of("albumList", new AlbumList(albums.Select(SubsonicQueries.AlbumChild).ToList()));
    }

    private static string InFolder(long? folder, string alias) =>
        folder is null ? "" : $"AND EXISTS (SELECT 1 FROM tracks ft WHERE ft.album_id = {alias}.id AND ft.root_id = @folder)";

    /// <summary>
    /// The lists ordered over the whole catalog: each order has an index, and deep pages continue
    /// from the previous page's last key (<see cref="KeysetPages"/>), so page 10,000 costs what page 1 does.
    /// </summary>
    private static async Task<List<AlbumID3>> CatalogAlbumsAsync(SubsonicCall call, DbConnection c, string type, int size, int offset, long? folder)
    {
        var p = call.Params;
        string? genre = null;
        int from = 0, to = 0;
        KeysetPages.Column Asc(string sql) => new(sql);
        KeysetPages.Column Desc(string sql) => new(sql, Descending: true);
        var (where, order, shared) = type switch
        {
            "newest" => ("1 = 1", CatalogQueries.NewestAlbums.Order, CatalogQueries.NewestAlbums.List),
            "alphabeticalByName" => ("1 = 1", CatalogQueries.AlbumsByName.Order, CatalogQueries.AlbumsByName.List),
            "alphabeticalByArtist" => ("1 = 1", CatalogQueries.AlbumsByArtist.Order, CatalogQueries.AlbumsByArtist.List),
            "byYear" => ByYear(),
            "byGenre" => ("lower(x.genre) = lower(@genre)", [Asc("x.sort_name"), Asc("x.id")], null),
            _ => throw SubsonicErrors.Invalid("type", "one of random, newest, highest, frequent, recent, alphabeticalByName, alphabeticalByArtist, starred, byYear, byGenre"),
        };
        if (type == "byGenre") genre = p.Required("genre");

        (string, KeysetPages.Column[], string?) ByYear()
        {
            from = p.Int("fromYear") ?? throw SubsonicErrors.Missing("fromYear");
            to = p.Int("toYear") ?? throw SubsonicErrors.Missing("toYear");
            // Not BETWEEN: SQLite seeks on a BETWEEN's bound even when a deep page's key comes first.
            return ("x.year >= @lo AND x.year <= @hi", from <= to
                ? [Asc("x.year"), Asc("x.sort_name"), Asc("x.id")]
                : [Desc("x.year"), Asc("x.sort_name"), Asc("x.id")], null);
        }

        var args = new { folder, genre, lo = Math.Min(from, to), hi = Math.Max(from, to) };
        // The lists of the whole catalog go by the names the web player uses too (one set of anchors).
        var list = shared is null ? $"albums|{type}|{folder}|{genre?.ToLowerInvariant()}|{from}|{to}" : folder is null ? shared : $"{shared}|{folder}";
        var page = await call.Service<KeysetPages>().PlanAsync(c, list, "albums x", $"{where} {InFolder(folder, "x")}", order, args, size, offset, call.Ct);
        call.DoNotCache |= page.Provisional;
        return await SubsonicQueries.AlbumPageAsync(c, call.User.Id, page, call.Ct);
    }

    /// <summary>The calling user's rated, played or starred albums: their own, so never more than they touched.</summary>
    private static Task<List<AlbumID3>> AnnotatedAlbumsAsync(DbConnection c, long userId, string type, int size, int offset, long? folder, CancellationToken ct)
    {
        var (condition, order) = type switch
        {
            "highest" => ("an.rating > 0", "an.rating DESC, a.sort_name, a.id"),
            "frequent" => ("an.play_count > 0", "an.play_count DESC, a.sort_name, a.id"),
            "recent" => ("an.played_at IS NOT NULL", "an.played_at DESC, a.id"),
            _ => ("an.starred_at IS NOT NULL", "an.starred_at DESC, a.id"),
        };
        return SubsonicQueries.AlbumsAsync(c, userId, $"WHERE {condition} {InFolder(folder, "a")} ORDER BY {order} LIMIT @size OFFSET @offset",
            new { size, offset, folder }, ct);
    }

    private static Task<List<AlbumID3>> RandomAlbumsAsync(DbConnection c, long userId, int size, long? folder, CancellationToken ct) =>
        CatalogQueries.RandomAlbumsAsync(c, size, async ids => (await SubsonicQueries.ByIdsAsync(c, userId, [], ids, [], folder, ct)).Albums,
            InFolder(folder, "x"), new { folder }, ct);

    private static async Task<SubsonicResult> GetRandomSongs(SubsonicCall call)
    {
        var p = call.Params;
        var size = p.Count("size", 10, 500);
        var genre = p.Get("genre");
        var from = p.Int("fromYear");
        var to = p.Int("toYear");
        var folder = await call.MusicFolderAsync();
        var songs = await call.Service<SubsonicQueries>().SongsAsync(call.User.Id, """
            WHERE (@genre IS NULL OR t.id IN (SELECT tg.track_id FROM track_genres tg JOIN genres g ON g.id = tg.genre_id WHERE g.name = @genre COLLATE NOCASE))
              AND (@from IS NULL OR t.year >= @from) AND (@to IS NULL OR t.year <= @to) AND (@folder IS NULL OR t.root_id = @folder)
            ORDER BY random() LIMIT @size
            """, new { size, genre, from, to, folder }, call.Ct);
        return SubsonicResult.Of("randomSongs", new Songs(songs));
    }

    private static async Task<SubsonicResult> GetSongsByGenre(SubsonicCall call)
    {
        var p = call.Params;
        var genre = p.Required("genre");
        var count = p.Count("count", 10, 500);
        var offset = p.Offset("offset");
        var folder = await call.MusicFolderAsync();
        var songs = await call.Service<SubsonicQueries>().SongsAsync(call.User.Id, """
            WHERE t.id IN (SELECT tg.track_id FROM track_genres tg JOIN genres g ON g.id = tg.genre_id WHERE g.name = @genre COLLATE NOCASE)
              AND (@folder IS NULL OR t.root_id = @folder)
            ORDER BY a.sort_name, t.album_id, COALESCE(t.disc_number, 1), t.track_number, t.id LIMIT @count OFFSET @offset
            """, new { genre, count, offset, folder }, call.Ct);
        return SubsonicResult.Of("songsByGenre", new Songs(songs));
    }

    private static async Task<SubsonicResult> GetNowPlaying(SubsonicCall call)
    {
        var board = call.Service<NowPlayingBoard>();
        var now = call.Service<TimeProvider>().GetUtcNow();
        var q = call.Service<SubsonicQueries>();
        var entries = new List<NowPlayingEntry>();
        foreach (var e in board.Current(now))
        {
            if (await q.SongAsync(call.User.Id, e.TrackId, call.Ct) is not { } song) continue;
            entries.Add(new NowPlayingEntry(song, e.UserName, (int)(now - e.Since).TotalMinutes, e.PlayerId, e.Client));
        }
        return SubsonicResult.Of("nowPlaying", new NowPlaying(entries));
    }

    private static async Task<SubsonicResult> StarredAsync(SubsonicCall call, bool id3)
    {
        var q = call.Service<SubsonicQueries>();
        var userId = call.User.Id;
        var artists = await q.ArtistsAsync(userId, "WHERE an.starred_at IS NOT NULL ORDER BY an.starred_at DESC", null, call.Ct);
        var albums = await q.AlbumsAsync(userId, "WHERE an.starred_at IS NOT NULL ORDER BY an.starred_at DESC", null, call.Ct);
        var songs = await q.SongsAsync(userId, "WHERE an.starred_at IS NOT NULL ORDER BY an.starred_at DESC", null, call.Ct);
        return id3
            ? SubsonicResult.Of("starred2", new SearchResult3(artists, albums, songs))
            : SubsonicResult.Of("starred", new SearchResult2(artists.Select(a => new Artist(a.Id, a.Name, a.Starred, a.UserRating)).ToList(),
                albums.Select(SubsonicQueries.AlbumChild).ToList(), songs));
    }

    /// <summary>
    /// search2/search3. An empty query (or "", as some clients send) lists everything in id order, which
    /// stays stable while clients page through it to sync.
    /// </summary>
    private static async Task<SubsonicResult> SearchAsync(SubsonicCall call, bool id3)
    {
        var p = call.Params;
        var raw = (p.Get("query") ?? "").Trim();
        if (raw is "\"\"" or "''" or "*") raw = "";
        var match = SearchIndex.MatchExpression(raw);
        // Only punctuation: nothing can match, and it must not turn into "list everything".
        if (match is null && raw.Length > 0)
            return id3 ? SubsonicResult.Of("searchResult3", new SearchResult3([], [], [])) : SubsonicResult.Of("searchResult2", new SearchResult2([], [], []));
        int artistCount = p.Count("artistCount", 20, MaxSearchCount), artistOffset = p.Offset("artistOffset");
        int albumCount = p.Count("albumCount", 20, MaxSearchCount), albumOffset = p.Offset("albumOffset");
        int songCount = p.Count("songCount", 20, MaxSearchCount), songOffset = p.Offset("songOffset");
        var folder = await call.MusicFolderAsync();
        var q = call.Service<SubsonicQueries>();
        var userId = call.User.Id;

        // Without a query: everything in id order, the page chosen on the id index alone (deep offsets
        // skip ids, not joined rows), so syncing 100,000 songs stays linear. With one: a page of ids
        // from the full-text index, best first, then their rows.
        var folderAlbum = folder is null ? "1 = 1" : "EXISTS (SELECT 1 FROM tracks ft WHERE ft.album_id = x.id AND ft.root_id = @folder)";
        List<long> artistIds, albumIds, songIds;
        await using var c = await q.OpenAsync(call.Ct);
        if (match is null)
        {
            var pages = call.Service<KeysetPages>();
            KeysetPages.Column[] byId = [new("x.id")];
            List<long> IdsOf(KeysetPage page) { call.DoNotCache |= page.Provisional; return page.Ids; }
            artistIds = IdsOf(await pages.PageAsync(c, "sync|artists", "artists x", ArtistAlbums.Has("x"),
                byId, null, artistCount, artistOffset, call.Ct));
            albumIds = IdsOf(await pages.PageAsync(c, $"sync|albums|{folder}", "albums x", folderAlbum, byId, new { folder }, albumCount, albumOffset, call.Ct));
            songIds = IdsOf(await pages.PageAsync(c, $"sync|songs|{folder}", "tracks x", folder is null ? "1 = 1" : "x.root_id = @folder",
                byId, new { folder }, songCount, songOffset, call.Ct));
        }
        else
            (artistIds, albumIds, songIds) = await SearchIndex.PagesAsync(c, match, raw,
                (artistCount, artistOffset), (albumCount, albumOffset), (songCount, songOffset), call.Ct);
        // The pages of an empty query are already in their music folder.
        var (artistRows, albumRows, songRows) = await SubsonicQueries.ByIdsAsync(c, userId, artistIds, albumIds, songIds, match is null ? null : folder, call.Ct);
        var artists = CatalogQueries.InOrder(artistIds, CatalogIds.Artist, artistRows, a => a.Id);
        var albums = CatalogQueries.InOrder(albumIds, CatalogIds.Album, albumRows, a => a.Id);
        var songs = CatalogQueries.InOrder(songIds, CatalogIds.Track, songRows, s => s.Id);
        return id3
            ? SubsonicResult.Of("searchResult3", new SearchResult3(artists, albums, songs))
            : SubsonicResult.Of("searchResult2", new SearchResult2(artists.Select(a => new Artist(a.Id, a.Name, a.Starred, a.UserRating)).ToList(),
                albums.Select(SubsonicQueries.AlbumChild).ToList(), songs));
    }
}

/// <summary>
/// Who is playing what, from scrobble submission=false. Kept in memory: it is a live view, worthless
/// after a restart. An entry lasts as long as its track plus a grace minute.
/// </summary>
public sealed class NowPlayingBoard
{
    public sealed record Entry(long UserId, string UserName, string? Client, long PlayerId, long TrackId, DateTimeOffset Since, DateTimeOffset Until);
    private readonly ConcurrentDictionary<(long, string), Entry> _entries = new();

    public void Set(Entry entry) => _entries[(entry.UserId, entry.Client ?? "")] = entry;

    public IReadOnlyList<Entry> Current(DateTimeOffset now)
    {
        foreach (var (key, e) in _entries) if (e.Until < now) _entries.TryRemove(key, out _);
        return _entries.Values.OrderByDescending(e => e.Since).ToList();
    }
}
