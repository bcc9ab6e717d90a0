using System.Collections.Concurrent;
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
        var folder = p.Long("musicFolderId");
        var where = new List<string>();
        if (folder is not null) where.Add("EXISTS (SELECT 1 FROM tracks ft WHERE ft.album_id = a.id AND ft.root_id = @folder)");
        string? genre = null;
        int from = 0, to = 0;
        var order = type switch
        {
            "random" => "random()",
            "newest" => "a.created_at DESC, a.id DESC",
            "highest" => Where(where, "an.rating > 0", "an.rating DESC, a.sort_name, a.id"),
            "frequent" => Where(where, "an.play_count > 0", "an.play_count DESC, a.sort_name, a.id"),
            "recent" => Where(where, "an.played_at IS NOT NULL", "an.played_at DESC, a.id"),
            "alphabeticalByName" => "a.sort_name, a.id",
            "alphabeticalByArtist" => "a.display_artist COLLATE NOCASE, a.year, a.sort_name, a.id",
            "starred" => Where(where, "an.starred_at IS NOT NULL", "an.starred_at DESC, a.id"),
            "byYear" => ByYear(),
            "byGenre" => Where(where, """
                a.id IN (SELECT t.album_id FROM tracks t JOIN track_genres tg ON tg.track_id = t.id JOIN genres g ON g.id = tg.genre_id
                         WHERE g.name = @genre COLLATE NOCASE)
                """, "a.sort_name, a.id"),
            _ => throw SubsonicErrors.Invalid("type", "one of random, newest, highest, frequent, recent, alphabeticalByName, alphabeticalByArtist, starred, byYear, byGenre"),
        };
        if (type == "byGenre") genre = p.Required("genre");

        string ByYear()
        {
            from = p.Int("fromYear") ?? throw SubsonicErrors.Missing("fromYear");
            to = p.Int("toYear") ?? throw SubsonicErrors.Missing("toYear");
            return Where(where, "a.year BETWEEN @fromYear AND @toYear", from <= to ? "a.year, a.sort_name, a.id" : "a.year DESC, a.sort_name, a.id");
        }

        var tail = $"{(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY {order} LIMIT @size OFFSET @offset";
        var albums = await call.Service<SubsonicQueries>().AlbumsAsync(call.User.Id, tail, new { size, offset, folder, genre, fromYear = Math.Min(from, to), toYear = Math.Max(from, to) }, call.Ct);
        return id3 ? SubsonicResult.Of("albumList2", new AlbumList2(albums)) : SubsonicResult.Of("albumList", new AlbumList(albums.Select(SubsonicQueries.AlbumChild).ToList()));
    }

    private static string Where(List<string> where, string condition, string order)
    {
        where.Add(condition);
        return order;
    }

    private static async Task<SubsonicResult> GetRandomSongs(SubsonicCall call)
    {
        var p = call.Params;
        var size = p.Count("size", 10, 500);
        var genre = p.Get("genre");
        var from = p.Int("fromYear");
        var to = p.Int("toYear");
        var folder = p.Long("musicFolderId");
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
        var folder = p.Long("musicFolderId");
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
        var folder = p.Long("musicFolderId");
        var q = call.Service<SubsonicQueries>();
        var userId = call.User.Id;

        // Without a query: everything in id order, the page chosen on the id index alone (deep offsets
        // skip ids, not joined rows), so syncing 100,000 songs stays linear. With one: a page of ids
        // from the full-text index, best first, then their rows.
        var folderAlbum = folder is null ? "1 = 1" : "EXISTS (SELECT 1 FROM tracks ft WHERE ft.album_id = x.id AND ft.root_id = @folder)";
        List<ArtistID3> artists;
        List<AlbumID3> albums;
        List<Child> songs;
        if (match is null)
        {
            artists = artistCount == 0 ? [] : await q.ArtistsAsync(userId,
                $"WHERE ar.id IN (SELECT ar.id FROM artists ar WHERE {SubsonicQueries.HasAlbums} ORDER BY ar.id LIMIT @count OFFSET @offset) ORDER BY ar.id",
                new { count = artistCount, offset = artistOffset }, call.Ct);
            albums = albumCount == 0 ? [] : await q.AlbumsAsync(userId,
                $"WHERE a.id IN (SELECT x.id FROM albums x WHERE {folderAlbum} ORDER BY x.id LIMIT @count OFFSET @offset) ORDER BY a.id",
                new { count = albumCount, offset = albumOffset, folder }, call.Ct);
            songs = songCount == 0 ? [] : await q.SongsAsync(userId,
                $"WHERE t.id IN (SELECT x.id FROM tracks x {(folder is null ? "" : "WHERE x.root_id = @folder")} ORDER BY x.id LIMIT @count OFFSET @offset) ORDER BY t.id",
                new { count = songCount, offset = songOffset, folder }, call.Ct);
        }
        else
        {
            await using var c = await q.OpenAsync(call.Ct);
            var artistIds = await SearchIndex.PageAsync(c, SearchIndex.Kind.Artist, match, raw, artistCount, artistOffset, call.Ct);
            var albumIds = await SearchIndex.PageAsync(c, SearchIndex.Kind.Album, match, raw, albumCount, albumOffset, call.Ct);
            var songIds = await SearchIndex.PageAsync(c, SearchIndex.Kind.Track, match, raw, songCount, songOffset, call.Ct);
            var idList = c.Dialect().IdList("@ids");
            artists = artistIds.Count == 0 ? [] : InOrder(artistIds, CatalogIds.Artist, await q.ArtistsAsync(userId,
                $"WHERE ar.id IN ({idList})", new { ids = SearchIndex.IdList(c, artistIds) }, call.Ct), a => a.Id);
            albums = albumIds.Count == 0 ? [] : InOrder(albumIds, CatalogIds.Album, await SubsonicQueries.AlbumsAsync(c, userId,
                $"WHERE a.id IN ({idList}) {(folder is null ? "" : "AND EXISTS (SELECT 1 FROM tracks ft WHERE ft.album_id = a.id AND ft.root_id = @folder)")}",
                new { ids = SearchIndex.IdList(c, albumIds), folder }, call.Ct), a => a.Id);
            songs = songIds.Count == 0 ? [] : InOrder(songIds, CatalogIds.Track, await SubsonicQueries.SongsAsync(c, userId,
                $"WHERE t.id IN ({idList}) {(folder is null ? "" : "AND t.root_id = @folder")}", new { ids = SearchIndex.IdList(c, songIds), folder }, call.Ct), s => s.Id);
        }
        return id3
            ? SubsonicResult.Of("searchResult3", new SearchResult3(artists, albums, songs))
            : SubsonicResult.Of("searchResult2", new SearchResult2(artists.Select(a => new Artist(a.Id, a.Name, a.Starred, a.UserRating)).ToList(),
                albums.Select(SubsonicQueries.AlbumChild).ToList(), songs));
    }

    private static List<T> InOrder<T>(List<long> ids, string kind, List<T> rows, Func<T, string> id)
    {
        var position = ids.Select((value, i) => (CatalogIds.Format(kind, value), i)).ToDictionary(p => p.Item1, p => p.i);
        return rows.OrderBy(r => position.GetValueOrDefault(id(r), int.MaxValue)).ToList();
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
