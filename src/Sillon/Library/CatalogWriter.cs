using System.Globalization;
using System.Data.Common;

namespace Sillon.Library;

/// <summary>
/// The scanner's single writer: turns read files into track, album, artist and genre rows. It keeps
/// prepared statements and the name → id maps in memory for the length of one scan, because a scan
/// writes tens of thousands of rows and must not be the bottleneck behind the tag readers.
/// Microsoft.Data.Sqlite's async methods complete synchronously, so this runs synchronous calls on
/// the scanner's dedicated writer task. The same statements run on PostgreSQL: parameters are untyped
/// and take the type of each value (SQLite stores by value anyway), "ON CONFLICT DO NOTHING" is
/// written out.
/// </summary>
public sealed class CatalogWriter : IDisposable
{
    // One list drives both the INSERT and the UPDATE, so the two cannot drift apart.
    private static readonly string[] TrackColumns =
    [
        "root_id", "folder_id", "album_id", "path", "size", "mtime", "fingerprint", "title", "sort_title",
        "display_artist", "display_album_artist", "track_number", "track_total", "disc_number", "disc_total",
        "disc_subtitle", "year", "date", "original_date", "composer", "isrc", "bpm", "compilation",
        "mbz_track_id", "mbz_album_id", "mbz_artist_id", "mbz_album_artist_id", "mbz_release_group_id",
        "rg_track_gain", "rg_track_peak", "rg_album_gain", "rg_album_peak", "lyrics", "has_picture",
        "duration", "bitrate", "sample_rate", "bit_depth", "channels", "codec", "suffix", "content_type", "updated_at",
    ];

    private readonly DbConnection _connection;
    private readonly string _now;
    private readonly Dictionary<string, long> _artists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _albums = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _genres = new(StringComparer.OrdinalIgnoreCase);
    private readonly DbCommand _insertTrack, _updateTrack, _deleteLinks, _deleteGenres, _insertLink, _insertGenreLink,
        _upsertArtist, _upsertAlbum, _upsertGenre, _bumpCatalog;
    private readonly DbParameter[] _insertParameters, _updateParameters;
    private readonly DbParameter _updateId;
    private DbTransaction? _tx;

    public CatalogWriter(DbConnection connection, DateTimeOffset now)
    {
        _connection = connection;
        _now = now.ToString("O", CultureInfo.InvariantCulture);
        Load("SELECT artist_key, id FROM artists", _artists);
        Load("SELECT album_key, id FROM albums", _albums);
        Load("SELECT name, id FROM genres", _genres);

        _bumpCatalog = Command(Catalog.CatalogChanges.BumpSql);
        _insertTrack = Command($"INSERT INTO tracks ({string.Join(", ", TrackColumns)}, created_at) VALUES ({string.Join(", ", TrackColumns.Select(c => "@" + c))}, @updated_at) RETURNING id");
        _updateTrack = Command($"UPDATE tracks SET {string.Join(", ", TrackColumns.Select(c => $"{c} = @{c}"))} WHERE id = @id");
        
        _deleteLinks = Command("DELETE FROM track_artists WHERE track_id = @track");
        _deleteGenres = Command("DELETE FROM track_genres WHERE track_id = @track");
        _insertLink = Command("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES (@track, @artist, @role, @position) ON CONFLICT DO NOTHING");
        _insertGenreLink = Command("INSERT INTO track_genres (track_id, genre_id, position) VALUES (@track, @genre, @position) ON CONFLICT DO NOTHING");
        _upsertArtist = Command("""
            INSERT INTO artists (name, sort_name, artist_key, mbz_id, created_at) VALUES (@name, @sort, @key, @mbz, @now)
            ON CONFLICT (artist_key) DO UPDATE SET mbz_id = COALESCE(artists.mbz_id, excluded.mbz_id) RETURNING id
            """);
        _upsertAlbum = Command("""
            INSERT INTO albums (album_key, name, sort_name, display_artist, compilation, mbz_album_id, mbz_release_group_id, created_at, updated_at)
            VALUES (@key, @name, @sort, @artist, @compilation, @mbz, @rg, @now, @now)
            ON CONFLICT (album_key) DO UPDATE SET name = excluded.name RETURNING id
            """);
        _upsertGenre = Command("INSERT INTO genres (name) VALUES (@name) ON CONFLICT (name) DO UPDATE SET name = genres.name RETURNING id");
        _insertParameters = [.. TrackColumns.Select(c => Parameter(_insertTrack, "@" + c))];
        _updateParameters = [.. TrackColumns.Select(c => Parameter(_updateTrack, "@" + c))];
        _updateId = Parameter(_updateTrack, "@id");
    }

    public void Begin() => SetTransaction(_connection.BeginTransaction());

    public void Commit()
    {
        // Cached answers built from the catalog compare this counter: it moves with the batch.
        if (_tx is not null) _bumpCatalog.ExecuteNonQuery();
        _tx?.Commit();
        _tx?.Dispose();
        _tx = null;
    }

    /// <summary>Writes a track; with an id, rewrites that row (changed tags or a moved file keep their id).</summary>
    public (long TrackId, long AlbumId) Write(WalkedFile file, long? folderId, TrackTags tags, long? id)
    {
        var albumId = Album(tags);
        var command = id is null ? _insertTrack : _updateTrack;
        var suffix = AudioFormats.Suffix(file.Path).ToString().ToLowerInvariant();
        object?[] values =
        [
            file.RootId, folderId, albumId, file.Path, file.Size, file.MtimeMs, tags.Fingerprint(), tags.Title, Names.SortKey(tags.Title),
            tags.DisplayArtist, tags.DisplayAlbumArtist, tags.TrackNumber, tags.TrackTotal, tags.DiscNumber, tags.DiscTotal,
            tags.DiscSubtitle, tags.Year, tags.Date, tags.OriginalDate, tags.Composers.Count == 0 ? null : string.Join(", ", tags.Composers),
            tags.Isrc, tags.Bpm, tags.Compilation ? 1 : 0,
            tags.MbTrackId, tags.MbAlbumId, tags.MbArtistId, tags.MbAlbumArtistId, tags.MbReleaseGroupId,
            tags.RgTrackGain, tags.RgTrackPeak, tags.RgAlbumGain, tags.RgAlbumPeak, tags.Lyrics, tags.HasPicture ? 1 : 0,
            tags.Duration, tags.Bitrate, tags.SampleRate, tags.BitDepth, tags.Channels, tags.Codec, suffix, AudioFormats.ContentType(suffix), _now,
        ];
        // Parameters are set by position: a by-name lookup per column per track adds up over a library.
        var parameters = id is null ? _insertParameters : _updateParameters;
        for (var i = 0; i < values.Length; i++) parameters[i].Value = values[i] ?? DBNull.Value;

        long trackId;
        if (id is null)
        {
            trackId = (long)command.ExecuteScalar()!;
        }
        else
        {
            _updateId.Value = id.Value;
            command.ExecuteNonQuery();
            trackId = id.Value;
            Run(_deleteLinks, ("@track", trackId));
            Run(_deleteGenres, ("@track", trackId));
        }

        Link(trackId, "artist", tags.Artists, tags.Artists.Count == 1 ? tags.MbArtistId : null);
        Link(trackId, "albumartist", tags.AlbumArtists, tags.AlbumArtists.Count == 1 ? tags.MbAlbumArtistId : null);
        Link(trackId, "composer", tags.Composers, null);
        for (var i = 0; i < tags.Genres.Count; i++)
            Run(_insertGenreLink, ("@track", trackId), ("@genre", Genre(tags.Genres[i])), ("@position", i));
        return (trackId, albumId);
    }

    private void Link(long trackId, string role, IReadOnlyList<string> names, string? mbzId)
    {
        for (var i = 0; i < names.Count; i++)
            Run(_insertLink, ("@track", trackId), ("@artist", Artist(names[i], mbzId)), ("@role", role), ("@position", i));
    }

    private long Artist(string name, string? mbzId)
    {
        var key = Names.Fold(name);
        if (_artists.TryGetValue(key, out var id)) return id;
        id = (long)Scalar(_upsertArtist, ("@name", name), ("@sort", Names.SortKey(name)), ("@key", key), ("@mbz", mbzId), ("@now", _now))!;
        _artists[key] = id;
        return id;
    }

    /// <summary>
    /// Albums are grouped by MusicBrainz album id when present, else by album artist + album name,
    /// so CD1/ and CD2/ folders make one album and a compilation is one album whatever its track artists.
    /// </summary>
    public static string AlbumKey(TrackTags tags) =>
        tags.MbAlbumId is { Length: > 0 } mbz ? "mbz:" + mbz.ToLowerInvariant() : Names.Fold(tags.DisplayAlbumArtist) + "\u001f" + Names.Fold(tags.Album);

    private long Album(TrackTags tags)
    {
        var key = AlbumKey(tags);
        if (_albums.TryGetValue(key, out var id)) return id;
        id = (long)Scalar(_upsertAlbum, ("@key", key), ("@name", tags.Album), ("@sort", Names.SortKey(tags.Album)),
            ("@artist", tags.DisplayAlbumArtist), ("@compilation", tags.Compilation ? 1 : 0), ("@mbz", tags.MbAlbumId),
            ("@rg", tags.MbReleaseGroupId), ("@now", _now))!;
        _albums[key] = id;
        return id;
    }

    private long Genre(string name)
    {
        if (_genres.TryGetValue(name, out var id)) return id;
        id = (long)Scalar(_upsertGenre, ("@name", name))!;
        _genres[name] = id;
        return id;
    }

    private void SetTransaction(DbTransaction? tx)
    {
        _tx = tx;
        foreach (var c in new[] { _insertTrack, _updateTrack, _deleteLinks, _deleteGenres, _insertLink, _insertGenreLink, _upsertArtist, _upsertAlbum, _upsertGenre, _bumpCatalog })
            c.Transaction = tx;
    }

    private DbCommand Command(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static DbParameter Parameter(DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private void Load(string sql, Dictionary<string, long> into)
    {
        using var command = Command(sql);
        using var reader = command.ExecuteReader();
        while (reader.Read()) into[reader.GetString(0)] = reader.GetInt64(1);
    }

    private static void Run(DbCommand command, params (string Name, object? Value)[] values)
    {
        Bind(command, values);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(DbCommand command, params (string Name, object? Value)[] values)
    {
        Bind(command, values);
        return command.ExecuteScalar();
    }

    private static void Bind(DbCommand command, (string Name, object? Value)[] values)
    {
        if (command.Parameters.Count == 0)
            foreach (var (name, _) in values) Parameter(command, name);
        // By position: each command is always bound with the same names in the same order.
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i].Value ?? DBNull.Value;
    }

    public void Dispose()
    {
        _tx?.Dispose();
        foreach (var c in new[] { _insertTrack, _updateTrack, _deleteLinks, _deleteGenres, _insertLink, _insertGenreLink, _upsertArtist, _upsertAlbum, _upsertGenre, _bumpCatalog })
            c.Dispose();
    }
}
