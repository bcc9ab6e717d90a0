using Sillon.Accounts;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;
using Sillon.Listening;
using Sillon.Playlists;

namespace Sillon.Subsonic;

/// <summary>
/// What users make: stars, ratings, plays (scrobble), playlists, bookmarks and play queues (shares
/// and radio stations have files of their own). Only the Subsonic API reaches these tables today, so
/// their SQL lives here; a capability folder of its own comes when the REST API or the web UI needs them too.
/// </summary>
public static class UserDataHandlers
{
    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["star"] = call => StarAsync(call, star: true);
        h["unstar"] = call => StarAsync(call, star: false);
        h["setRating"] = SetRating;
        h["scrobble"] = Scrobble;
        h["getPlaylists"] = GetPlaylists;
        h["getPlaylist"] = GetPlaylist;
        h["createPlaylist"] = CreatePlaylist;
        h["updatePlaylist"] = UpdatePlaylist;
        h["deletePlaylist"] = DeletePlaylist;
        h["getBookmarks"] = GetBookmarks;
        h["createBookmark"] = CreateBookmark;
        h["deleteBookmark"] = DeleteBookmark;
        h["getPlayQueue"] = call => GetPlayQueueAsync(call, byIndex: false);
        h["getPlayQueueByIndex"] = call => GetPlayQueueAsync(call, byIndex: true);
        h["savePlayQueue"] = call => SavePlayQueueAsync(call, byIndex: false);
        h["savePlayQueueByIndex"] = call => SavePlayQueueAsync(call, byIndex: true);
    }

    internal static string Now(SubsonicCall call) => Iso(call.Service<TimeProvider>().GetUtcNow());
    internal static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    internal static async Task<DbConnection> OpenAsync(SubsonicCall call) => await call.Service<SubsonicQueries>().OpenAsync(call.Ct);

    /// <summary>Track ids from a repeated parameter, each checked to exist (else 70), in the order given.</summary>
    private static async Task<List<long>> TrackIdsAsync(DbConnection c, SubsonicCall call, string name)
    {
        var ids = new List<long>();
        foreach (var value in call.Params.All(name))
            ids.Add(CatalogIds.TryParse(value, CatalogIds.Track, out var id) ? id : throw SubsonicErrors.NotFoundError($"Song {value}"));
        if (ids.Count > 10_000) throw SubsonicErrors.Invalid(name, "at most 10000 songs");
        var distinct = ids.Distinct().ToList();
        var found = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM tracks WHERE id IN ({c.Dialect().IdList("@ids")})", new { ids = c.Dialect().Ids(distinct) }, cancellationToken: call.Ct));
        if (found != distinct.Count) throw SubsonicErrors.NotFoundError("Song");
        return ids;
    }

    // ------------------------------------------------------------------ annotations

    private static async Task<SubsonicResult> StarAsync(SubsonicCall call, bool star)
    {
        var items = new List<(string Kind, long Id)>();
        foreach (var value in call.Params.All("id"))
        {
            if (CatalogIds.TryParse(value, CatalogIds.Track, out var id)) items.Add(("track", id));
            else if (CatalogIds.TryParse(value, CatalogIds.Album, out id)) items.Add(("album", id));
            else if (CatalogIds.TryParse(value, CatalogIds.Artist, out id)) items.Add(("artist", id));
            else throw SubsonicErrors.NotFoundError($"Item {value}");
        }
        foreach (var value in call.Params.All("albumId"))
            items.Add(("album", CatalogIds.TryParse(value, CatalogIds.Album, out var id) ? id : throw SubsonicErrors.NotFoundError($"Album {value}")));
        foreach (var value in call.Params.All("artistId"))
            items.Add(("artist", CatalogIds.TryParse(value, CatalogIds.Artist, out var id) ? id : throw SubsonicErrors.NotFoundError($"Artist {value}")));
        if (items.Count == 0) throw SubsonicErrors.Missing("id, albumId or artistId");
        await using var c = await OpenAsync(call);
        await EnsureExistAsync(c, items, call.Ct);
        var now = Now(call);
        foreach (var (kind, id) in items)
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO annotations (user_id, item_kind, item_id, starred_at) VALUES (@userId, @kind, @id, @starred)
                ON CONFLICT (user_id, item_kind, item_id) DO UPDATE SET starred_at = excluded.starred_at
                """, new { userId = call.User.Id, kind, id, starred = star ? now : null }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }

    private static async Task EnsureExistAsync(DbConnection c, IEnumerable<(string Kind, long Id)> items, CancellationToken ct)
    {
        foreach (var (kind, id) in items)
        {
            var table = kind switch { "track" => "tracks", "album" => "albums", _ => "artists" };
            if (await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table} WHERE id = @id", new { id }, cancellationToken: ct)) == 0)
                throw SubsonicErrors.NotFoundError(char.ToUpperInvariant(kind[0]) + kind[1..]);
        }
    }

    private static async Task<SubsonicResult> SetRating(SubsonicCall call)
    {
        var value = call.Params.Required("id");
        var rating = call.Params.Int("rating") ?? throw SubsonicErrors.Missing("rating");
        if (rating is < 0 or > 5) throw SubsonicErrors.Invalid("rating", "0 to 5");
        (string Kind, long Id) item =
            CatalogIds.TryParse(value, CatalogIds.Track, out var id) ? ("track", id)
            : CatalogIds.TryParse(value, CatalogIds.Album, out id) ? ("album", id)
            : CatalogIds.TryParse(value, CatalogIds.Artist, out id) ? ("artist", id)
            : throw SubsonicErrors.NotFoundError("Item");
        await using var c = await OpenAsync(call);
        await EnsureExistAsync(c, [item], call.Ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO annotations (user_id, item_kind, item_id, rating) VALUES (@userId, @Kind, @Id, @rating)
            ON CONFLICT (user_id, item_kind, item_id) DO UPDATE SET rating = excluded.rating
            """, new { userId = call.User.Id, item.Kind, item.Id, rating }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }

    /// <summary>submission=false: "now playing". submission=true (the default): a play at "time" (ms since epoch, else now).</summary>
    private static async Task<SubsonicResult> Scrobble(SubsonicCall call)
    {
        var submission = call.Params.Bool("submission") ?? true;
        var times = call.Params.All("time");
        var clock = call.Service<TimeProvider>().GetUtcNow();
        List<long> ids;
        // Closed before the plays are recorded: PlayHistory opens its own (one connection at a time per request).
        await using (var c = await OpenAsync(call))
        {
            ids = await TrackIdsAsync(c, call, "id");
            if (ids.Count == 0) throw SubsonicErrors.Missing("id");
            if (!submission)
            {
                var playerId = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
                    INSERT INTO players (user_id, client, last_seen) VALUES (@userId, @client, @now)
                    ON CONFLICT (user_id, client) DO UPDATE SET last_seen = excluded.last_seen RETURNING id
                    """, new { userId = call.User.Id, client = call.Client ?? "unknown", now = Iso(clock) }, cancellationToken: call.Ct));
                var duration = await c.ExecuteScalarAsync<double>(new CommandDefinition("SELECT duration FROM tracks WHERE id = @id", new { id = ids[^1] }, cancellationToken: call.Ct));
                call.Service<NowPlayingBoard>().Set(new NowPlayingBoard.Entry(call.User.Id, call.User.Name, call.Client, playerId, ids[^1], clock,
                    clock + TimeSpan.FromSeconds(duration) + TimeSpan.FromMinutes(1)));
                call.Service<Scrobbling.Scrobbler>().NowPlaying(call.User.Id, ids[^1]); // scrobbling: best-effort, not queued
                return SubsonicResult.Empty;
            }
        }
        var plays = new List<PlayReport>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            var at = clock;
            if (i < times.Count)
            {
                if (!long.TryParse(times[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < 0 || ms > 253402300799999)
                    throw SubsonicErrors.Invalid("time", "milliseconds since 1970");
                at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
            // Subsonic says nothing of how long the track was heard: a submission is a whole play.
            plays.Add(new PlayReport(ids[i], at, MsPlayed: null, call.Client, StartedAtFromClient: i < times.Count));
        }
        _ = await call.Service<PlayHistory>().RecordAsync(call.User.Id, plays, PlayHistory.Subsonic, call.Ct)
            ?? throw SubsonicErrors.NotFoundError("Song");
        return SubsonicResult.Empty;
    }

    // ------------------------------------------------------------------ playlists

    // Settable properties, not a positional record: SQLite reports no type for computed columns, which Dapper's constructor matching needs.
    private sealed record PlaylistRow
    {
        public long Id { get; init; }
        public long UserId { get; init; }
        public string Name { get; init; } = "";
        public string? Comment { get; init; }
        public string Owner { get; init; } = "";
        public long Public { get; init; }
        public long SongCount { get; init; }
        public double Duration { get; init; }
        public string CreatedAt { get; init; } = "";
        public string UpdatedAt { get; init; } = "";
        public long? CoverAlbum { get; init; }
        // Smart (rules) and imported (source file) playlists get their tracks from elsewhere: read-only here.
        public long Generated { get; init; }
    }

    private const string PlaylistSelect = """
        SELECT p.id AS Id, p.user_id AS UserId, p.name AS Name, p.comment AS Comment, u.name AS Owner, p.public AS Public,
            (SELECT COUNT(*) FROM playlist_tracks pt WHERE pt.playlist_id = p.id) AS SongCount,
            (SELECT COALESCE(SUM(t.duration), 0.0) FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = p.id) AS Duration,
            p.created_at AS CreatedAt, p.updated_at AS UpdatedAt,
            (SELECT t.album_id FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = p.id ORDER BY pt.position LIMIT 1) AS CoverAlbum,
            CASE WHEN p.rules IS NOT NULL OR p.source_path IS NOT NULL THEN 1 ELSE 0 END AS Generated
        FROM playlists p JOIN users u ON u.id = p.user_id
        """;

    private static Playlist ToPlaylist(PlaylistRow r, long viewer, IReadOnlyList<Child>? entries) => new()
    {
        Id = CatalogIds.Format(CatalogIds.Playlist, r.Id), Name = r.Name, Comment = r.Comment, Owner = r.Owner, Public = r.Public != 0,
        SongCount = (int)r.SongCount, Duration = (int)Math.Round(r.Duration), Created = SubsonicQueries.Time(r.CreatedAt)!.Value,
        Changed = SubsonicQueries.Time(r.UpdatedAt)!.Value, CoverArt = r.CoverAlbum is null ? null : CatalogIds.Format(CatalogIds.Playlist, r.Id),
        Readonly = r.UserId != viewer || r.Generated != 0, Entry = entries,
    };

    private static async Task<SubsonicResult> GetPlaylists(SubsonicCall call)
    {
        var username = call.Params.Get("username");
        await call.Service<SmartPlaylists>().RefreshAsync(call.User.Id, null, call.Ct);
        await using var c = await OpenAsync(call);
        IEnumerable<PlaylistRow> rows;
        if (username is not null && !string.Equals(username, call.User.Name, StringComparison.OrdinalIgnoreCase))
        {
            call.RequireAdmin("another user's playlists");
            rows = await c.QueryAsync<PlaylistRow>(new CommandDefinition($"{PlaylistSelect} WHERE u.name = @username ORDER BY p.name, p.id",
                new { username }, cancellationToken: call.Ct));
        }
        else
            rows = await c.QueryAsync<PlaylistRow>(new CommandDefinition($"{PlaylistSelect} WHERE p.user_id = @userId OR p.public = 1 ORDER BY p.name, p.id",
                new { userId = call.User.Id }, cancellationToken: call.Ct));
        return SubsonicResult.Of("playlists", new Playlists(rows.Select(r => ToPlaylist(r, call.User.Id, null)).ToList()));
    }

    /// <summary>A playlist the caller may see: their own or a public one. Another user's private playlist is "not found", never a hint that it exists.</summary>
    private static async Task<PlaylistRow> VisiblePlaylistAsync(DbConnection c, SubsonicCall call, string name)
    {
        var value = call.Params.Required(name);
        if (!CatalogIds.TryParse(value, CatalogIds.Playlist, out var id)) throw SubsonicErrors.NotFoundError("Playlist");
        var row = await c.QuerySingleOrDefaultAsync<PlaylistRow>(new CommandDefinition($"{PlaylistSelect} WHERE p.id = @id", new { id }, cancellationToken: call.Ct));
        if (row is null || (row.UserId != call.User.Id && row.Public == 0 && !call.User.IsAdmin)) throw SubsonicErrors.NotFoundError("Playlist");
        if (row.Generated != 0)
        {
            await call.Service<SmartPlaylists>().RefreshAsync(c, call.User.Id, id, call.Ct);
            row = await c.QuerySingleAsync<PlaylistRow>(new CommandDefinition($"{PlaylistSelect} WHERE p.id = @id", new { id }, cancellationToken: call.Ct));
        }
        return row;
    }

    private static async Task<SubsonicResult> PlaylistResultAsync(DbConnection c, SubsonicCall call, long id)
    {
        var row = await c.QuerySingleAsync<PlaylistRow>(new CommandDefinition($"{PlaylistSelect} WHERE p.id = @id", new { id }, cancellationToken: call.Ct));
        var entries = await SubsonicQueries.SongsAsync(c, call.User.Id,
            "JOIN playlist_tracks pt ON pt.track_id = t.id WHERE pt.playlist_id = @id ORDER BY pt.position", new { id }, call.Ct);
        return SubsonicResult.Of("playlist", ToPlaylist(row, call.User.Id, entries));
    }

    private static async Task<SubsonicResult> GetPlaylist(SubsonicCall call)
    {
        await using var c = await OpenAsync(call);
        var row = await VisiblePlaylistAsync(c, call, "id");
        return await PlaylistResultAsync(c, call, row.Id);
    }

    private static async Task<SubsonicResult> CreatePlaylist(SubsonicCall call)
    {
        call.RequireRole(Role.Playlist, "createPlaylist");
        await using var c = await OpenAsync(call);
        var songs = await TrackIdsAsync(c, call, "songId");
        var now = Now(call);
        long id;
        if (call.Params.Get("playlistId") is not null)
        {
            var row = await VisiblePlaylistAsync(c, call, "playlistId");
            if (row.UserId != call.User.Id) throw SubsonicErrors.Forbidden("only the owner can change a playlist");
            RefuseGenerated(row);
            id = row.Id;
            var name = call.Params.Get("name");
            await c.ExecuteAsync(new CommandDefinition("UPDATE playlists SET name = COALESCE(@name, name), updated_at = @now WHERE id = @id",
                new { id, name, now }, cancellationToken: call.Ct));
        }
        else
        {
            var name = call.Params.Required("name");
            if (name.Length > 500) throw SubsonicErrors.Invalid("name", "at most 500 characters");
            id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO playlists (user_id, name, public, created_at, updated_at) VALUES (@userId, @name, 0, @now, @now) RETURNING id",
                new { userId = call.User.Id, name, now }, cancellationToken: call.Ct));
        }
        await ReplaceTracksAsync(c, id, songs, call.Ct);
        return await PlaylistResultAsync(c, call, id);
    }

    /// <summary>Renaming is fine; the tracks of a smart or imported playlist come from its rules or its file.</summary>
    private static void RefuseGenerated(PlaylistRow row)
    {
        if (row.Generated != 0)
            throw SubsonicErrors.Forbidden("this is a smart or imported playlist: its songs come from its rules or its file, so they cannot be edited");
    }

    private static async Task ReplaceTracksAsync(DbConnection c, long id, IReadOnlyList<long> tracks, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM playlist_tracks WHERE playlist_id = @id", new { id }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition("INSERT INTO playlist_tracks (playlist_id, position, track_id) VALUES (@id, @position, @track)",
            tracks.Select((track, position) => new { id, position, track }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    private static async Task<SubsonicResult> UpdatePlaylist(SubsonicCall call)
    {
        call.RequireRole(Role.Playlist, "updatePlaylist");
        await using var c = await OpenAsync(call);
        var row = await VisiblePlaylistAsync(c, call, "playlistId");
        if (row.UserId != call.User.Id && !call.User.IsAdmin) throw SubsonicErrors.Forbidden("only the owner can change a playlist");
        var add = await TrackIdsAsync(c, call, "songIdToAdd");
        var remove = new HashSet<int>();
        foreach (var value in call.Params.All("songIndexToRemove"))
            remove.Add(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : throw SubsonicErrors.Invalid("songIndexToRemove"));
        if (add.Count > 0 || remove.Count > 0) RefuseGenerated(row);
        var name = call.Params.Get("name");
        var comment = call.Params.Get("comment");
        var isPublic = call.Params.Bool("public");
        await c.ExecuteAsync(new CommandDefinition("""
            UPDATE playlists SET name = COALESCE(@name, name), comment = COALESCE(@comment, comment), public = COALESCE(@isPublic, public), updated_at = @now
            WHERE id = @Id
            """, new { row.Id, name, comment, isPublic, now = Now(call) }, cancellationToken: call.Ct));
        if (add.Count > 0 || remove.Count > 0)
        {
            var tracks = (await c.QueryAsync<long>(new CommandDefinition("SELECT track_id FROM playlist_tracks WHERE playlist_id = @Id ORDER BY position",
                new { row.Id }, cancellationToken: call.Ct))).ToList();
            var kept = tracks.Where((_, i) => !remove.Contains(i)).Concat(add).ToList();
            await ReplaceTracksAsync(c, row.Id, kept, call.Ct);
        }
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeletePlaylist(SubsonicCall call)
    {
        call.RequireRole(Role.Playlist, "deletePlaylist");
        await using var c = await OpenAsync(call);
        var row = await VisiblePlaylistAsync(c, call, "id");
        if (row.UserId != call.User.Id && !call.User.IsAdmin) throw SubsonicErrors.Forbidden("only the owner can delete a playlist");
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM playlists WHERE id = @Id", new { row.Id }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }

    // ------------------------------------------------------------------ bookmarks and play queue

    private static async Task<SubsonicResult> GetBookmarks(SubsonicCall call)
    {
        await using var c = await OpenAsync(call);
        var rows = (await c.QueryAsync<(long TrackId, long Position, string? Comment, string Created, string Changed)>(new CommandDefinition(
            "SELECT track_id, position_ms, comment, created_at, updated_at FROM bookmarks WHERE user_id = @userId ORDER BY updated_at DESC",
            new { userId = call.User.Id }, cancellationToken: call.Ct))).ToList();
        var songs = (await SubsonicQueries.SongsAsync(c, call.User.Id, "JOIN bookmarks b ON b.track_id = t.id AND b.user_id = @userId",
            new { }, call.Ct)).ToDictionary(s => s.Id);
        var bookmarks = rows.Where(r => songs.ContainsKey(CatalogIds.Format(CatalogIds.Track, r.TrackId))).Select(r =>
        {
            var song = songs[CatalogIds.Format(CatalogIds.Track, r.TrackId)];
            return new Bookmark(r.Position, call.User.Name, r.Comment, SubsonicQueries.Time(r.Created)!.Value, SubsonicQueries.Time(r.Changed)!.Value,
                song with { BookmarkPosition = r.Position });
        }).ToList();
        return SubsonicResult.Of("bookmarks", new Bookmarks(bookmarks));
    }

    private static async Task<SubsonicResult> CreateBookmark(SubsonicCall call)
    {
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Track, "Song");
        var position = call.Params.Long("position") ?? throw SubsonicErrors.Missing("position");
        if (position < 0) throw SubsonicErrors.Invalid("position");
        await using var c = await OpenAsync(call);
        await EnsureExistAsync(c, [("track", id)], call.Ct);
        var now = Now(call);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO bookmarks (user_id, track_id, position_ms, comment, created_at, updated_at) VALUES (@userId, @id, @position, @comment, @now, @now)
            ON CONFLICT (user_id, track_id) DO UPDATE SET position_ms = excluded.position_ms, comment = excluded.comment, updated_at = excluded.updated_at
            """, new { userId = call.User.Id, id, position, comment = call.Params.Get("comment"), now }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeleteBookmark(SubsonicCall call)
    {
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Track, "Bookmark");
        await using var c = await OpenAsync(call);
        var deleted = await c.ExecuteAsync(new CommandDefinition("DELETE FROM bookmarks WHERE user_id = @userId AND track_id = @id",
            new { userId = call.User.Id, id }, cancellationToken: call.Ct));
        return deleted == 0 ? throw SubsonicErrors.NotFoundError("Bookmark") : SubsonicResult.Empty;
    }

    /// <summary>The caller's own queue only: there is no parameter that names another user's queue.</summary>
    private static async Task<SubsonicResult> GetPlayQueueAsync(SubsonicCall call, bool byIndex)
    {
        await using var c = await OpenAsync(call);
        var queue = await c.QuerySingleOrDefaultAsync<(long UserId, long? CurrentIndex, long Position, string ChangedAt, string ChangedBy)>(new CommandDefinition(
            "SELECT user_id, current_index, position_ms, changed_at, changed_by FROM play_queues WHERE user_id = @userId",
            new { userId = call.User.Id }, cancellationToken: call.Ct));
        if (queue.UserId == 0)
        {
            // Nothing saved: an empty queue (the schema requires the element; clients treat it as "start fresh").
            var now = call.Service<TimeProvider>().GetUtcNow();
            return byIndex
                ? SubsonicResult.Of("playQueueByIndex", new PlayQueueByIndex(null, null, call.User.Name, now, "", []))
                : SubsonicResult.Of("playQueue", new PlayQueue(null, null, call.User.Name, now, "", []));
        }
        var entries = await SubsonicQueries.SongsAsync(c, call.User.Id,
            "JOIN play_queue_tracks q ON q.track_id = t.id WHERE q.user_id = @userId ORDER BY q.position", new { }, call.Ct);
        var index = queue.CurrentIndex is { } i && i >= 0 && i < entries.Count ? (int?)i : null;
        var changed = SubsonicQueries.Time(queue.ChangedAt)!.Value;
        return byIndex
            ? SubsonicResult.Of("playQueueByIndex", new PlayQueueByIndex(index, queue.Position, call.User.Name, changed, queue.ChangedBy, entries))
            : SubsonicResult.Of("playQueue", new PlayQueue(index is { } x ? entries[x].Id : null, queue.Position, call.User.Name, changed, queue.ChangedBy, entries));
    }

    private static async Task<SubsonicResult> SavePlayQueueAsync(SubsonicCall call, bool byIndex)
    {
        await using var c = await OpenAsync(call);
        var ids = await TrackIdsAsync(c, call, "id");
        var position = Math.Max(0, call.Params.Long("position") ?? 0);
        int? index;
        if (byIndex)
        {
            index = call.Params.Int("currentIndex");
            if (index is { } i && (i < 0 || i >= ids.Count)) throw SubsonicErrors.Invalid("currentIndex", "outside the queue");
        }
        else
        {
            var current = call.Params.Get("current");
            index = current is null ? null
                : CatalogIds.TryParse(current, CatalogIds.Track, out var cur) && ids.IndexOf(cur) is var at and >= 0 ? at
                : throw SubsonicErrors.Invalid("current", "not in the queue");
        }
        await using var tx = await c.BeginTransactionAsync(call.Ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM play_queues WHERE user_id = @userId", new { userId = call.User.Id }, tx, cancellationToken: call.Ct));
        if (ids.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO play_queues (user_id, current_index, position_ms, changed_at, changed_by) VALUES (@userId, @index, @position, @now, @client)
                """, new { userId = call.User.Id, index, position, now = Now(call), client = call.Client ?? "unknown" }, tx, cancellationToken: call.Ct));
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO play_queue_tracks (user_id, position, track_id) VALUES (@userId, @position, @track)",
                ids.Select((track, position) => new { userId = call.User.Id, position, track }), tx, cancellationToken: call.Ct));
        }
        await tx.CommitAsync(call.Ct);
        return SubsonicResult.Empty;
    }
}
