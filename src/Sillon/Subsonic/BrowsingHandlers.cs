using System.Data.Common;
using Dapper;
using Sillon.Catalog;

namespace Sillon.Subsonic;

/// <summary>Browsing by folder (getIndexes, getMusicDirectory) and by tags (getArtists, getArtist, getAlbum, getSong), genres, info, similar and top songs.</summary>
public static class BrowsingHandlers
{
    public const string IgnoredArticles = "The A An Le La Les L' El Los Las Die Der Das";

    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["getIndexes"] = GetIndexes;
        h["getMusicDirectory"] = GetMusicDirectory;
        h["getGenres"] = GetGenres;
        h["getArtists"] = GetArtists;
        h["getArtist"] = GetArtist;
        h["getAlbum"] = GetAlbum;
        h["getSong"] = GetSong;
        h["getArtistInfo"] = call => ArtistInfoAsync(call, id3: false);
        h["getArtistInfo2"] = call => ArtistInfoAsync(call, id3: true);
        h["getAlbumInfo"] = AlbumInfoAsync;
        h["getAlbumInfo2"] = AlbumInfoAsync;
        h["getSimilarSongs"] = call => SimilarAsync(call, "similarSongs");
        h["getSimilarSongs2"] = call => SimilarAsync(call, "similarSongs2");
        h["getTopSongs"] = GetTopSongs;
    }

    /// <summary>The id parameter of the expected kind; malformed or of another kind is "not found" (70), absent is 10.</summary>
    public static long RequireId(SubsonicCall call, string kind, string what, string name = "id")
    {
        var value = call.Params.Required(name);
        return CatalogIds.TryParse(value, kind, out var id) ? id : throw SubsonicErrors.NotFoundError(what);
    }

    public static string IndexLetter(string sortName)
    {
        var first = sortName.Length > 0 ? char.ToUpperInvariant(sortName[0]) : '#';
        return char.IsLetter(first) ? first.ToString() : "#";
    }

    private static async Task<SubsonicResult> GetIndexes(SubsonicCall call)
    {
        var folderId = await call.MusicFolderAsync();
        var q = call.Service<SubsonicQueries>();
        await using var c = await q.OpenAsync(call.Ct);
        var modified = await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT MAX(finished_at) FROM scan_runs WHERE status = 'completed'", cancellationToken: call.Ct));
        var lastModified = SubsonicQueries.Time(modified)?.ToUnixTimeMilliseconds() ?? 0;
        // A client that holds the index of the last scan gets an empty answer instead of all of it again.
        if (call.Params.Long("ifModifiedSince") is { } since && lastModified > 0 && since >= lastModified)
            return SubsonicResult.Of("indexes", new Indexes(IgnoredArticles, lastModified, [], null));
        // The folders just below each music folder are the "artists" of folder browsing; files lying in a music folder itself are its children.
        var rows = (await c.QueryAsync<(long Id, string Name)>(new CommandDefinition("""
            SELECT f.id, f.name FROM folders f JOIN folders root ON root.id = f.parent_id AND root.parent_id IS NULL
            WHERE @folderId IS NULL OR f.root_id = @folderId ORDER BY f.name COLLATE NOCASE
            """, new { folderId }, cancellationToken: call.Ct))).ToList();
        var index = rows.GroupBy(r => IndexLetter(Library.Names.SortKey(r.Name)))
            .OrderBy(g => g.Key == "#" ? "\uffff" : g.Key, StringComparer.Ordinal)
            .Select(g => new ArtistIndex(g.Key, g.Select(r => new Artist(CatalogIds.Format(CatalogIds.Folder, r.Id), r.Name)).ToList())).ToList();
        var loose = await SubsonicQueries.SongsAsync(c, call.User.Id,
            "JOIN folders f ON f.id = t.folder_id WHERE f.parent_id IS NULL AND (@folderId IS NULL OR t.root_id = @folderId) ORDER BY t.path", new { folderId }, call.Ct);
        return SubsonicResult.Of("indexes", new Indexes(IgnoredArticles, lastModified, index, loose));
    }

    private static async Task<SubsonicResult> GetMusicDirectory(SubsonicCall call)
    {
        var value = call.Params.Required("id");
        var userId = call.User.Id;
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        if (CatalogIds.TryParse(value, CatalogIds.Folder, out var folderId))
        {
            var folder = await c.QuerySingleOrDefaultAsync<(long Id, string Name, long? ParentId)>(new CommandDefinition(
                "SELECT id, name, parent_id FROM folders WHERE id = @folderId",
                new { folderId }, cancellationToken: call.Ct));
            if (folder.Name is null) throw SubsonicErrors.NotFoundError("Directory");
            var subfolders = await c.QueryAsync<(long Id, string Name, long? CoverAlbum)>(new CommandDefinition("""
                SELECT f.id, f.name, (SELECT t.album_id FROM tracks t JOIN folders d ON d.id = t.folder_id
                    WHERE d.path = f.path OR substr(d.path, 1, length(f.path) + 1) = f.path || '/' LIMIT 1)
                FROM folders f WHERE f.parent_id = @folderId ORDER BY f.name COLLATE NOCASE
                """, new { folderId }, cancellationToken: call.Ct));
            var children = subfolders.Select(f => new Child
            {
                Id = CatalogIds.Format(CatalogIds.Folder, f.Id), Parent = value, IsDir = true, Title = f.Name,
                CoverArt = f.CoverAlbum is { } a ? CatalogIds.Format(CatalogIds.Album, a) : null, MediaType = "album",
            }).ToList();
            children.AddRange(await SubsonicQueries.SongsAsync(c, userId, "WHERE t.folder_id = @folderId ORDER BY COALESCE(t.disc_number, 1), t.track_number, t.path", new { folderId }, call.Ct));
            // A music folder's own directory has no parent to go up to.
            var parent = folder.ParentId is { } p ? CatalogIds.Format(CatalogIds.Folder, p) : null;
            return SubsonicResult.Of("directory", new MusicDirectory(value, parent, folder.Name, null, null, null, children));
        }
        if (CatalogIds.TryParse(value, CatalogIds.Album, out var albumId))
        {
            var (album, songs, _) = await SubsonicQueries.AlbumAsync(c, userId, albumId, call.Ct) ?? throw SubsonicErrors.NotFoundError("Album");
            return SubsonicResult.Of("directory", new MusicDirectory(album.Id, album.ArtistId, album.Name, album.Starred, album.UserRating, album.PlayCount,
                songs.Select(s => s with { Parent = album.Id }).ToList()));
        }
        if (CatalogIds.TryParse(value, CatalogIds.Artist, out var artistId))
        {
            var (artist, albums) = await SubsonicQueries.ArtistAsync(c, userId, artistId, call.Ct) ?? throw SubsonicErrors.NotFoundError("Artist");
            return SubsonicResult.Of("directory", new MusicDirectory(artist.Id, null, artist.Name, artist.Starred, artist.UserRating, null,
                albums.Select(a => SubsonicQueries.AlbumChild(a) with { Parent = artist.Id }).ToList()));
        }
        throw SubsonicErrors.NotFoundError("Directory");
    }

    private static async Task<SubsonicResult> GetGenres(SubsonicCall call)
    {
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        var rows = await c.QueryAsync<(string Name, long Songs, long Albums)>(new CommandDefinition("""
            SELECT g.name, COUNT(DISTINCT tg.track_id), COUNT(DISTINCT t.album_id)
            FROM genres g JOIN track_genres tg ON tg.genre_id = g.id JOIN tracks t ON t.id = tg.track_id
            GROUP BY g.id, g.name ORDER BY g.name COLLATE NOCASE
            """, cancellationToken: call.Ct));
        return SubsonicResult.Of("genres", new Genres(rows.Select(r => new Genre(r.Name, r.Songs, r.Albums)).ToList()));
    }

    private static async Task<SubsonicResult> GetArtists(SubsonicCall call)
    {
        await call.Service<ArtistShelf>().WriteAsync(call, await call.MusicFolderAsync());
        return SubsonicResult.Done;
    }

    private static async Task<SubsonicResult> GetArtist(SubsonicCall call)
    {
        var id = RequireId(call, CatalogIds.Artist, "Artist");
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        var (artist, albums) = await SubsonicQueries.ArtistAsync(c, call.User.Id, id, call.Ct) ?? throw SubsonicErrors.NotFoundError("Artist");
        return SubsonicResult.Of("artist", artist with { Album = albums });
    }

    private static async Task<SubsonicResult> GetAlbum(SubsonicCall call)
    {
        var id = RequireId(call, CatalogIds.Album, "Album");
        await using var c = await call.Service<SubsonicQueries>().OpenAsync(call.Ct);
        var (album, songs, discs) = await SubsonicQueries.AlbumAsync(c, call.User.Id, id, call.Ct) ?? throw SubsonicErrors.NotFoundError("Album");
        return SubsonicResult.Of("album", album with { DiscTitles = discs, Song = songs });
    }

    private static async Task<SubsonicResult> GetSong(SubsonicCall call)
    {
        var id = RequireId(call, CatalogIds.Track, "Song");
        return SubsonicResult.Of("song", await call.Service<SubsonicQueries>().SongAsync(call.User.Id, id, call.Ct) ?? throw SubsonicErrors.NotFoundError("Song"));
    }

    /// <summary>Sillon has no external metadata agent: the info is what the catalog knows (MusicBrainz id), similar artists share a genre.</summary>
    private static async Task<SubsonicResult> ArtistInfoAsync(SubsonicCall call, bool id3)
    {
        var id = RequireId(call, CatalogIds.Artist, "Artist");
        var count = call.Params.Count("count", 20, 100);
        var q = call.Service<SubsonicQueries>();
        var artist = (await q.ArtistsAsync(call.User.Id, "WHERE ar.id = @id", new { id }, call.Ct)).SingleOrDefault() ?? throw SubsonicErrors.NotFoundError("Artist");
        var similar = await q.ArtistsAsync(call.User.Id, """
            WHERE ar.id <> @id AND ar.id IN (
                SELECT ta.artist_id FROM track_artists ta JOIN track_genres tg ON tg.track_id = ta.track_id
                WHERE ta.role = 'artist' AND tg.genre_id IN (
                    SELECT tg2.genre_id FROM track_artists ta2 JOIN track_genres tg2 ON tg2.track_id = ta2.track_id WHERE ta2.artist_id = @id))
            ORDER BY ar.sort_name LIMIT @count
            """, new { id, count }, call.Ct);
        var mbz = string.IsNullOrEmpty(artist.MusicBrainzId) ? null : artist.MusicBrainzId;
        return id3
            ? SubsonicResult.Of("artistInfo2", new ArtistInfo2(null, mbz, similar))
            : SubsonicResult.Of("artistInfo", new ArtistInfo(null, mbz, similar.Select(a => new Artist(a.Id, a.Name, a.Starred, a.UserRating)).ToList()));
    }

    private static async Task<SubsonicResult> AlbumInfoAsync(SubsonicCall call)
    {
        var id = RequireId(call, CatalogIds.Album, "Album");
        var album = (await call.Service<SubsonicQueries>().AlbumsAsync(call.User.Id, "WHERE a.id = @id", new { id }, call.Ct)).SingleOrDefault()
            ?? throw SubsonicErrors.NotFoundError("Album");
        return SubsonicResult.Of("albumInfo", new AlbumInfo(null, string.IsNullOrEmpty(album.MusicBrainzId) ? null : album.MusicBrainzId));
    }

    /// <summary>
    /// The instant mix from a song, album or artist: Flow's engine started from that item (its
    /// artists, their co-listeners on this server, its genres and era, MusicBrainz relations), never
    /// the song itself. A fresh seed each call, as clients expect a new mix each time.
    /// </summary>
    private static async Task<SubsonicResult> SimilarAsync(SubsonicCall call, string name)
    {
        var mix = Listening.FlowSeed.Parse(call.Params.Required("id")) ?? throw SubsonicErrors.NotFoundError("Item");
        var count = call.Params.Count("count", 50, 500);
        var picks = await call.Service<Listening.Flow>().NextAsync(call.User.Id, Math.Max(count, 1), Random.Shared.Next(), mix, remember: false, call.Ct)
            ?? throw SubsonicErrors.NotFoundError("Item");
        var ids = picks.Take(count).Select(p => p.TrackId).ToList();
        var dialect = call.Service<Data.Database>().Dialect;
        var songs = ids.Count == 0 ? [] : (await call.Service<SubsonicQueries>().SongsAsync(call.User.Id,
            $"WHERE t.id IN ({dialect.IdList("@ids")})", new { ids = dialect.Ids(ids) }, call.Ct)).ToDictionary(s => s.Id);
        return SubsonicResult.Of(name, new Songs(ids.Select(id => songs.GetValueOrDefault(CatalogIds.Format(CatalogIds.Track, id))).OfType<Child>().ToList()));
    }

    /// <summary>
    /// The artist's songs most played on this server (plays that counted, every listener), then the
    /// ones most loved (starred or rated 4+ by most listeners), then in album order.
    /// </summary>
    private static async Task<SubsonicResult> GetTopSongs(SubsonicCall call)
    {
        var artist = call.Params.Required("artist");
        var count = call.Params.Count("count", 50, 500);
        var songs = await call.Service<SubsonicQueries>().SongsAsync(call.User.Id, """
            WHERE t.id IN (SELECT ta.track_id FROM track_artists ta JOIN artists ar ON ar.id = ta.artist_id WHERE ar.name = @artist COLLATE NOCASE AND ta.role = 'artist')
            ORDER BY (SELECT COALESCE(SUM(an.play_count), 0) FROM annotations an WHERE an.item_kind = 'track' AND an.item_id = t.id) DESC,
                (SELECT COUNT(*) FROM annotations an WHERE an.item_kind = 'track' AND an.item_id = t.id AND (an.starred_at IS NOT NULL OR an.rating >= 4)) DESC,
                a.year, t.album_id, t.disc_number, t.track_number LIMIT @count
            """, new { artist, count }, call.Ct);
        return SubsonicResult.Of("topSongs", new Songs(songs));
    }
}
