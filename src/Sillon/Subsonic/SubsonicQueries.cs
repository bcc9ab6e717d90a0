using System.Data.Common;
using System.Globalization;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;

namespace Sillon.Subsonic;

/// <summary>
/// Catalog reads shaped for Subsonic: songs, albums and artists joined with the calling user's
/// annotations (star, rating, plays). Each query takes the SQL tail that selects and orders rows,
/// so lists, searches and lookups share one mapping.
/// </summary>
public sealed class SubsonicQueries(Database db)
{
    private const string SongSelect = """
        SELECT t.id AS Id, t.title AS Title, t.sort_title AS SortTitle, t.album_id AS AlbumId, a.name AS Album, t.folder_id AS FolderId,
            t.display_artist AS Artist, t.display_album_artist AS AlbumArtist, t.track_number AS TrackNumber, t.disc_number AS DiscNumber,
            t.year AS Year, t.isrc AS Isrc, t.bpm AS Bpm, t.mbz_track_id AS Mbz, t.composer AS Composer,
            t.rg_track_gain AS RgTrackGain, t.rg_track_peak AS RgTrackPeak, t.rg_album_gain AS RgAlbumGain, t.rg_album_peak AS RgAlbumPeak,
            t.duration AS Duration, t.bitrate AS BitRate, t.sample_rate AS SampleRate, t.bit_depth AS BitDepth, t.channels AS Channels,
            t.suffix AS Suffix, t.content_type AS ContentType, t.size AS Size, t.path AS Path, r.path AS RootPath, t.created_at AS Created,
            (a.cover_path IS NOT NULL OR a.cover_track_id IS NOT NULL) AS HasCover,
            an.starred_at AS StarredAt, an.rating AS Rating, an.play_count AS PlayCount, an.played_at AS PlayedAt
        FROM tracks t JOIN albums a ON a.id = t.album_id JOIN library_roots r ON r.id = t.root_id
        LEFT JOIN annotations an ON an.user_id = @userId AND an.item_kind = 'track' AND an.item_id = t.id
        """;

    // In AlbumRow.Read's order.
    private const string AlbumColumns = """
        a.id AS Id, a.name AS Name, a.sort_name AS SortName, a.display_artist AS Artist, a.year AS Year, a.genre AS Genre,
            a.track_count AS SongCount, a.duration AS Duration, a.compilation AS Compilation, a.mbz_album_id AS Mbz,
            a.date AS Date, a.original_date AS OriginalDate, a.created_at AS Created,
            (a.cover_path IS NOT NULL OR a.cover_track_id IS NOT NULL) AS HasCover,
            an.starred_at AS StarredAt, an.rating AS Rating, an.play_count AS PlayCount, an.played_at AS PlayedAt, a.artist_refs AS StoredArtists
        """;
    private const string AlbumAnnotations = "LEFT JOIN annotations an ON an.user_id = @userId AND an.item_kind = 'album' AND an.item_id = a.id";
    private const string AlbumSelect = $"SELECT {AlbumColumns} FROM albums a {AlbumAnnotations}";

    private static readonly string ArtistSelect = $"""
        SELECT ar.id AS Id, ar.name AS Name, ar.sort_name AS SortName, ar.mbz_id AS Mbz,
            ar.album_count AS AlbumCount,
            an.starred_at AS StarredAt, an.rating AS Rating
        FROM artists ar LEFT JOIN annotations an ON an.user_id = @userId AND an.item_kind = 'artist' AND an.item_id = ar.id
        """;

    public async Task<DbConnection> OpenAsync(CancellationToken ct) => await db.OpenAsync(ct);

    public async Task<List<Child>> SongsAsync(long userId, string tail, object? args, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await SongsAsync(c, userId, tail, args, ct);
    }

    public static async Task<List<Child>> SongsAsync(DbConnection c, long userId, string tail, object? args, CancellationToken ct)
    {
        var parameters = new DynamicParameters(args);
        parameters.Add("userId", userId);
        var rows = (await c.QueryAsync<SongRow>(new CommandDefinition($"{SongSelect} {tail}", parameters, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return [];
        var (links, genres) = await CatalogQueries.TrackLinksAsync(c, rows.Select(r => r.Id), ct);
        return Songs(rows, links, genres);
    }

    private static List<Child> Songs(List<SongRow> rows, ILookup<(long TrackId, string Role), NamedRef> links, ILookup<long, string> genres)
    {
        List<ArtistRef> Refs(long id, string role) => links[(id, role)].Select(a => new ArtistRef(a.Id, a.Name)).ToList();
        return rows.Select(r => r.ToChild(Refs(r.Id, "artist"), Refs(r.Id, "albumartist"), Refs(r.Id, "composer"), genres[r.Id].ToList())).ToList();
    }

    private static List<AlbumID3> Albums(List<AlbumRow> rows) =>
        rows.Select(r => r.ToAlbum(ArtistRefs.Read(r.StoredArtists).Select(a => new ArtistRef(a.Id, a.Name)).ToList())).ToList();

    /// <summary>
    /// A page of an album list with the user's annotations and the albums' artists, in the list's
    /// order (<see cref="CatalogQueries.AlbumPageAsync"/>).
    /// </summary>
    public static async Task<List<AlbumID3>> AlbumPageAsync(DbConnection c, long userId, KeysetQuery page, CancellationToken ct)
    {
        page.Parameters.Add("userId", userId);
        return Albums(await CatalogQueries.AlbumPageAsync(c, page, AlbumColumns, AlbumAnnotations, AlbumRow.Read, r => r.Id, ct));
    }

    /// <summary>
    /// Artists, albums and songs by id with their artist links and genres (a search's page, a sync
    /// page): the statements go to the database as one batch, one round trip instead of five.
    /// On PostgreSQL each round trip is a wait on the socket and a context switch for both
    /// processes, a third of the server's CPU for a search (session 11). Rows come in no
    /// particular order; a kind without ids is left out. <paramref name="folder"/> keeps only
    /// albums with a track in that music folder, and songs in it.
    /// </summary>
    public static async Task<(List<ArtistID3> Artists, List<AlbumID3> Albums, List<Child> Songs)> ByIdsAsync(DbConnection c, long userId,
        IReadOnlyCollection<long> artistIds, IReadOnlyCollection<long> albumIds, IReadOnlyCollection<long> songIds, long? folder, CancellationToken ct)
    {
        var d = c.Dialect();
        var sql = new System.Text.StringBuilder();
        var parameters = new DynamicParameters(new { userId });
        if (artistIds.Count > 0)
        {
            sql.Append(ArtistSelect).Append($" WHERE ar.id IN ({d.IdList("@artistIds")});\n");
            parameters.Add("artistIds", d.Ids(artistIds));
        }
        if (albumIds.Count > 0)
        {
            sql.Append(AlbumSelect).Append($" WHERE a.id IN ({d.IdList("@albumIds")})")
                .Append(folder is null ? "" : " AND EXISTS (SELECT 1 FROM tracks ft WHERE ft.album_id = a.id AND ft.root_id = @folder)").Append(";\n");
            parameters.Add("albumIds", d.Ids(albumIds));
        }
        if (songIds.Count > 0)
        {
            sql.Append(SongSelect).Append($" WHERE t.id IN ({d.IdList("@songIds")})").Append(folder is null ? "" : " AND t.root_id = @folder").Append(";\n")
                .Append(CatalogQueries.TrackArtistsSql(d.IdList("@songIds"))).Append(";\n")
                .Append(CatalogQueries.TrackGenresSql(d.IdList("@songIds")));
            parameters.Add("songIds", d.Ids(songIds));
        }
        if (sql.Length == 0) return ([], [], []);
        if (folder is not null) parameters.Add("folder", folder);
        using var grid = await c.QueryMultipleAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: ct));
        var artists = artistIds.Count == 0 ? [] : (await grid.ReadAsync<ArtistRow>()).Select(r => r.ToArtist()).ToList();
        var albums = albumIds.Count == 0 ? [] : Albums((await grid.ReadAsync<AlbumRow>()).ToList());
        var songs = songIds.Count == 0 ? [] : Songs((await grid.ReadAsync<SongRow>()).ToList(),
            CatalogQueries.TrackArtists(await grid.ReadAsync<(long TrackId, string Role, long Id, string Name)>()),
            (await grid.ReadAsync<(long TrackId, string Name)>()).ToLookup(g => g.TrackId, g => g.Name));
        return (artists, albums, songs);
    }

    /// <summary>
    /// One album with its artists, its songs in disc and track order with their artists and
    /// genres, and its disc subtitles (getAlbum, getMusicDirectory): five statements in one batch.
    /// The links select the album's tracks themselves, so nothing waits for the rows. Null for an
    /// unknown album.
    /// </summary>
    public static async Task<(AlbumID3 Album, List<Child> Songs, List<DiscTitle> Discs)?> AlbumAsync(DbConnection c, long userId, long albumId, CancellationToken ct)
    {
        const string tracks = "SELECT id FROM tracks WHERE album_id = @albumId";
        using var grid = await c.QueryMultipleAsync(new CommandDefinition($"""
            {AlbumSelect} WHERE a.id = @albumId;
            {SongSelect} WHERE t.album_id = @albumId {CatalogQueries.AlbumTrackOrder};
            {CatalogQueries.TrackArtistsSql(tracks)};
            {CatalogQueries.TrackGenresSql(tracks)};
            SELECT COALESCE(disc_number, 1), MIN(disc_subtitle) FROM tracks WHERE album_id = @albumId AND disc_subtitle IS NOT NULL
            GROUP BY COALESCE(disc_number, 1) ORDER BY 1
            """, new { userId, albumId }, cancellationToken: ct));
        var albums = Albums((await grid.ReadAsync<AlbumRow>()).ToList());
        var songs = Songs((await grid.ReadAsync<SongRow>()).ToList(),
            CatalogQueries.TrackArtists(await grid.ReadAsync<(long TrackId, string Role, long Id, string Name)>()),
            (await grid.ReadAsync<(long TrackId, string Name)>()).ToLookup(g => g.TrackId, g => g.Name));
        var discs = (await grid.ReadAsync<(int Disc, string Title)>()).Select(d => new DiscTitle(d.Disc, d.Title)).ToList();
        return albums.Count == 0 ? null : (albums[0], songs, discs);
    }

    /// <summary>
    /// One artist and its albums (getArtist, getMusicDirectory) with their artists, in the order
    /// of a discography: two statements in one batch. Null for an unknown artist.
    /// </summary>
    public static async Task<(ArtistID3 Artist, List<AlbumID3> Albums)?> ArtistAsync(DbConnection c, long userId, long artistId, CancellationToken ct)
    {
        var albumIds = ArtistAlbums.Ids("@artistId");
        using var grid = await c.QueryMultipleAsync(new CommandDefinition($"""
            {ArtistSelect} WHERE ar.id = @artistId;
            {AlbumSelect} WHERE a.id IN ({albumIds}) ORDER BY a.year, a.sort_name, a.id
            """, new { userId, artistId }, cancellationToken: ct));
        var artist = (await grid.ReadAsync<ArtistRow>()).Select(r => r.ToArtist()).SingleOrDefault();
        var albums = Albums((await grid.ReadAsync<AlbumRow>()).ToList());
        return artist is null ? null : (artist, albums);
    }

    public async Task<Child?> SongAsync(long userId, long id, CancellationToken ct) =>
        (await SongsAsync(userId, "WHERE t.id = @id", new { id }, ct)).SingleOrDefault();

    public async Task<List<AlbumID3>> AlbumsAsync(long userId, string tail, object? args, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await AlbumsAsync(c, userId, tail, args, ct);
    }

    public static async Task<List<AlbumID3>> AlbumsAsync(DbConnection c, long userId, string tail, object? args, CancellationToken ct)
    {
        var parameters = new DynamicParameters(args);
        parameters.Add("userId", userId);
        var rows = (await c.QueryAsync<AlbumRow>(new CommandDefinition($"{AlbumSelect} {tail}", parameters, cancellationToken: ct))).ToList();
        return Albums(rows);
    }

    public async Task<List<ArtistID3>> ArtistsAsync(long userId, string tail, object? args, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await ArtistsAsync(c, userId, tail, args, ct);
    }

    public static async Task<List<ArtistID3>> ArtistsAsync(DbConnection c, long userId, string tail, object? args, CancellationToken ct)
    {
        var parameters = new DynamicParameters(args);
        parameters.Add("userId", userId);
        return (await c.QueryAsync<ArtistRow>(new CommandDefinition($"{ArtistSelect} {tail}", parameters, cancellationToken: ct))).Select(r => r.ToArtist()).ToList();
    }

    /// <summary>An album as a directory entry (getMusicDirectory, getAlbumList, search2).</summary>
    public static Child AlbumChild(AlbumID3 a) => new()
    {
        Id = a.Id, Parent = a.ArtistId, IsDir = true, Title = a.Name, Album = a.Name, Artist = a.Artist, Year = a.Year, Genre = a.Genre,
        CoverArt = a.CoverArt, Duration = a.Duration, PlayCount = a.PlayCount, Created = a.Created, Starred = a.Starred, UserRating = a.UserRating,
        Played = a.Played, AlbumId = a.Id, ArtistId = a.ArtistId, MediaType = "album", SortName = a.SortName, MusicBrainzId = a.MusicBrainzId,
        Genres = a.Genres, Artists = a.Artists, DisplayArtist = a.DisplayArtist,
    };

    public static DateTimeOffset? Time(string? value) =>
        value is null ? null : StoredTime.Parse(value);

    public static ItemDate? Date(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split('-', 'T', ' ');
        static int? At(string[] p, int i) => p.Length > i && int.TryParse(p[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
        var year = At(parts, 0);
        return year is null ? null : new ItemDate(year, At(parts, 1), At(parts, 2));
    }

    private sealed record SongRow
    {
        public long Id { get; init; }
        public string Title { get; init; } = "";
        public string SortTitle { get; init; } = "";
        public long AlbumId { get; init; }
        public string Album { get; init; } = "";
        public long? FolderId { get; init; }
        public string Artist { get; init; } = "";
        public string AlbumArtist { get; init; } = "";
        public int? TrackNumber { get; init; }
        public int? DiscNumber { get; init; }
        public int? Year { get; init; }
        public string? Isrc { get; init; }
        public int? Bpm { get; init; }
        public string? Mbz { get; init; }
        public string? Composer { get; init; }
        public double? RgTrackGain { get; init; }
        public double? RgTrackPeak { get; init; }
        public double? RgAlbumGain { get; init; }
        public double? RgAlbumPeak { get; init; }
        public double Duration { get; init; }
        public int BitRate { get; init; }
        public int SampleRate { get; init; }
        public int BitDepth { get; init; }
        public int Channels { get; init; }
        public string Suffix { get; init; } = "";
        public string ContentType { get; init; } = "";
        public long Size { get; init; }
        public string Path { get; init; } = "";
        public string RootPath { get; init; } = "";
        public string Created { get; init; } = "";
        public bool HasCover { get; init; }
        public string? StarredAt { get; init; }
        public int? Rating { get; init; }
        public long? PlayCount { get; init; }
        public string? PlayedAt { get; init; }

        public Child ToChild(List<ArtistRef> artists, List<ArtistRef> albumArtists, List<ArtistRef> composers, List<string> genres)
        {
            var albumId = CatalogIds.Format(CatalogIds.Album, AlbumId);
            return new Child
            {
                Id = CatalogIds.Format(CatalogIds.Track, Id),
                Parent = FolderId is { } f ? CatalogIds.Format(CatalogIds.Folder, f) : albumId,
                IsDir = false,
                Title = Title,
                Album = Album,
                Artist = Artist,
                Track = TrackNumber,
                Year = Year,
                Genre = genres.FirstOrDefault(),
                CoverArt = HasCover ? albumId : null,
                Size = Size,
                ContentType = ContentType,
                Suffix = Suffix,
                Duration = (int)Math.Round(Duration),
                BitRate = BitRate > 0 ? (BitRate + 500) / 1000 : null,
                BitDepth = BitDepth > 0 ? BitDepth : null,
                SamplingRate = SampleRate > 0 ? SampleRate : null,
                ChannelCount = Channels > 0 ? Channels : null,
                Path = System.IO.Path.GetRelativePath(RootPath, Path),
                IsVideo = false,
                UserRating = Rating is > 0 ? Rating : null,
                PlayCount = PlayCount ?? 0,
                DiscNumber = DiscNumber,
                Created = Time(Created),
                Starred = Time(StarredAt),
                AlbumId = albumId,
                ArtistId = artists.FirstOrDefault()?.Id,
                Type = "music",
                MediaType = "song",
                Played = Time(PlayedAt),
                Bpm = Bpm ?? 0,
                SortName = SortTitle,
                MusicBrainzId = Mbz ?? "",
                Isrc = Isrc is null ? [] : [Isrc],
                Genres = genres.Select(g => new ItemGenre(g)).ToList(),
                Artists = artists,
                DisplayArtist = Artist,
                AlbumArtists = albumArtists,
                DisplayAlbumArtist = AlbumArtist,
                Contributors = composers.Select(a => new Contributor("composer", a)).ToList(),
                DisplayComposer = Composer,
                Moods = [],
                ReplayGain = new ReplayGain(RgTrackGain, RgAlbumGain, RgTrackPeak, RgAlbumPeak),
            };
        }
    }

    private sealed record AlbumRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string SortName { get; init; } = "";
        public string Artist { get; init; } = "";
        public int? Year { get; init; }
        public string? Genre { get; init; }
        public int SongCount { get; init; }
        public double Duration { get; init; }
        public bool Compilation { get; init; }
        public string? Mbz { get; init; }
        public string? Date { get; init; }
        public string? OriginalDate { get; init; }
        public string Created { get; init; } = "";
        public bool HasCover { get; init; }
        public string? StarredAt { get; init; }
        public int? Rating { get; init; }
        public long? PlayCount { get; init; }
        public string? PlayedAt { get; init; }
        public string? StoredArtists { get; init; }

        /// <summary>The row of <see cref="AlbumColumns"/> that starts at column <paramref name="at"/> (ColumnReads: why not Dapper here).</summary>
        public static AlbumRow Read(DbDataReader r, int at) => new()
        {
            Id = r.GetInt64(at),
            Name = r.GetString(at + 1),
            SortName = r.GetString(at + 2),
            Artist = r.GetString(at + 3),
            Year = (int?)r.Int64OrNull(at + 4),
            Genre = r.StringOrNull(at + 5),
            SongCount = (int)r.GetInt64(at + 6),
            Duration = r.GetDouble(at + 7),
            Compilation = r.GetInt64(at + 8) != 0,
            Mbz = r.StringOrNull(at + 9),
            Date = r.StringOrNull(at + 10),
            OriginalDate = r.StringOrNull(at + 11),
            Created = r.GetString(at + 12),
            HasCover = r.GetBoolean(at + 13),
            StarredAt = r.StringOrNull(at + 14),
            Rating = (int?)r.Int64OrNull(at + 15),
            PlayCount = r.Int64OrNull(at + 16),
            PlayedAt = r.StringOrNull(at + 17),
            StoredArtists = r.StringOrNull(at + 18),
        };

        public AlbumID3 ToAlbum(List<ArtistRef> artists)
        {
            var id = CatalogIds.Format(CatalogIds.Album, Id);
            return new AlbumID3
            {
                Id = id,
                Name = Name,
                Artist = Artist,
                ArtistId = artists.FirstOrDefault()?.Id,
                CoverArt = HasCover ? id : null,
                SongCount = SongCount,
                Duration = (int)Math.Round(Duration),
                PlayCount = PlayCount ?? 0,
                Created = Time(Created)!.Value,
                Starred = Time(StarredAt),
                Year = Year,
                Genre = Genre,
                Played = Time(PlayedAt),
                UserRating = Rating is > 0 ? Rating : null,
                MusicBrainzId = Mbz ?? "",
                Genres = Genre is null ? [] : [new ItemGenre(Genre)],
                Artists = artists,
                DisplayArtist = Artist,
                ReleaseTypes = Compilation ? ["Compilation"] : [],
                Moods = [],
                SortName = SortName,
                OriginalReleaseDate = Date(OriginalDate),
                ReleaseDate = Date(this.Date),
                IsCompilation = Compilation,
            };
        }
    }

    private sealed record ArtistRow
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public string SortName { get; init; } = "";
        public string? Mbz { get; init; }
        public long AlbumCount { get; init; }
        public string? StarredAt { get; init; }
        public long? Rating { get; init; }

        public ArtistID3 ToArtist()
        {
            var id = CatalogIds.Format(CatalogIds.Artist, Id);
            return new ArtistID3
            {
                Id = id, Name = Name, CoverArt = id, AlbumCount = (int)AlbumCount, Starred = Time(StarredAt),
                UserRating = Rating is > 0 ? (int)Rating : null, MusicBrainzId = Mbz ?? "", SortName = SortName,
            };
        }
    }
}
