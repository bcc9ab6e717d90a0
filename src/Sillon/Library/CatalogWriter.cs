using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Sillon.Library;

/// <summary>
/// The scanner's single writer: turns read files into track, album, artist and genre rows. It keeps
/// prepared statements and the name → id maps in memory for the length of one scan, because a scan
/// writes tens of thousands of rows and must not be the bottleneck behind the tag readers.
/// The same statements run on both databases: parameters are untyped and take the type of each
/// value (SQLite stores by value anyway), "ON CONFLICT DO NOTHING" is written out. On SQLite they
/// run as SQLite's own prepared statements (<see cref="Statement"/>).
/// </summary>
public sealed partial class CatalogWriter : IDisposable
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
    private readonly Statement _insertTrack, _updateTrack, _deleteLinks, _deleteGenres, _insertLink, _insertGenreLink,
        _insertLinks, _insertGenreLinks, _upsertArtist, _upsertAlbum, _upsertGenre, _bumpCatalog;
    private readonly Statement[] _statements;
    private DbTransaction? _tx;

    // Artist and genre links wait here and go in as multi-row inserts of LinkRows rows: one
    // statement for a few dozen tracks instead of three or four per track. Flushed before a commit.
    private const int LinkRows = 64;
    private readonly List<(long Track, long Artist, string Role, int Position)> _links = new(LinkRows);
    private readonly List<(long Track, long Genre, int Position)> _genreLinks = new(LinkRows);

    public CatalogWriter(DbConnection connection, DateTimeOffset now)
    {
        _connection = connection;
        _now = now.ToString("O", CultureInfo.InvariantCulture);
        Load("SELECT artist_key, id FROM artists", _artists);
        Load("SELECT album_key, id FROM albums", _albums);
        Load("SELECT name, id FROM genres", _genres);

        _insertTrack = Prepare($"INSERT INTO tracks ({string.Join(", ", TrackColumns)}, created_at) VALUES ({string.Join(", ", TrackColumns.Select(c => "@" + c))}, @updated_at) RETURNING id");
        _updateTrack = Prepare($"UPDATE tracks SET {string.Join(", ", TrackColumns.Select(c => $"{c} = @{c}"))} WHERE id = @id");
        _deleteLinks = Prepare("DELETE FROM track_artists WHERE track_id = @track");
        _deleteGenres = Prepare("DELETE FROM track_genres WHERE track_id = @track");
        _insertLink = Prepare("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES (@track, @artist, @role, @position) ON CONFLICT DO NOTHING");
        _insertGenreLink = Prepare("INSERT INTO track_genres (track_id, genre_id, position) VALUES (@track, @genre, @position) ON CONFLICT DO NOTHING");
        _insertLinks = Prepare("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES "
            + string.Join(", ", Enumerable.Range(0, LinkRows).Select(i => $"(@t{i}, @a{i}, @r{i}, @p{i})")) + " ON CONFLICT DO NOTHING");
        _insertGenreLinks = Prepare("INSERT INTO track_genres (track_id, genre_id, position) VALUES "
            + string.Join(", ", Enumerable.Range(0, LinkRows).Select(i => $"(@t{i}, @g{i}, @p{i})")) + " ON CONFLICT DO NOTHING");
        _upsertArtist = Prepare("""
            INSERT INTO artists (name, sort_name, artist_key, mbz_id, created_at) VALUES (@name, @sort, @key, @mbz, @now)
            ON CONFLICT (artist_key) DO UPDATE SET mbz_id = COALESCE(artists.mbz_id, excluded.mbz_id) RETURNING id
            """);
        _upsertAlbum = Prepare("""
            INSERT INTO albums (album_key, name, sort_name, display_artist, compilation, mbz_album_id, mbz_release_group_id, created_at, updated_at)
            VALUES (@key, @name, @sort, @artist, @compilation, @mbz, @rg, @now, @now)
            ON CONFLICT (album_key) DO UPDATE SET name = excluded.name RETURNING id
            """);
        _upsertGenre = Prepare("INSERT INTO genres (name) VALUES (@name) ON CONFLICT (name) DO UPDATE SET name = genres.name RETURNING id");
        _bumpCatalog = Prepare(Catalog.CatalogChanges.BumpSql);
        _statements = [_insertTrack, _updateTrack, _deleteLinks, _deleteGenres, _insertLink, _insertGenreLink, _insertLinks, _insertGenreLinks, _upsertArtist, _upsertAlbum, _upsertGenre, _bumpCatalog];
    }

    public void Begin() => SetTransaction(_connection.BeginTransaction());

    public void Commit()
    {
        FlushLinks();
        // Cached answers built from the catalog compare this counter: it moves with the batch.
        if (_tx is not null) _bumpCatalog.Run();
        _tx?.Commit();
        _tx?.Dispose();
        _tx = null;
    }

    /// <summary>Writes a track; with an id, rewrites that row (changed tags or a moved file keep their id).</summary>
    public (long TrackId, long AlbumId) Write(WalkedFile file, long? folderId, TrackTags tags, long? id) =>
        Write(file, folderId, tags, TrackKeys.Of(file, tags), id);

    /// <summary>The same, with the keys a reader thread already derived from the tags.</summary>
    public (long TrackId, long AlbumId) Write(WalkedFile file, long? folderId, TrackTags tags, TrackKeys keys, long? id)
    {
        var albumId = Album(tags, keys.AlbumKey);
        // In TrackColumns order: the statement checks that every parameter was given.
        var row = id is null ? _insertTrack : _updateTrack;
        row.Int(file.RootId).Int(folderId).Int(albumId).Text(file.Path).Int(file.Size).Int(file.MtimeMs).Text(keys.Fingerprint)
            .Text(tags.Title).Text(keys.SortTitle).Text(tags.DisplayArtist).Text(tags.DisplayAlbumArtist)
            .Int(tags.TrackNumber).Int(tags.TrackTotal).Int(tags.DiscNumber).Int(tags.DiscTotal).Text(tags.DiscSubtitle)
            .Int(tags.Year).Text(tags.Date).Text(tags.OriginalDate).Text(keys.Composer)
            .Text(tags.Isrc).Int(tags.Bpm).Int(tags.Compilation ? 1 : 0)
            .Text(tags.MbTrackId).Text(tags.MbAlbumId).Text(tags.MbArtistId).Text(tags.MbAlbumArtistId).Text(tags.MbReleaseGroupId)
            .Real(tags.RgTrackGain).Real(tags.RgTrackPeak).Real(tags.RgAlbumGain).Real(tags.RgAlbumPeak).Text(tags.Lyrics).Int(tags.HasPicture ? 1 : 0)
            .Real(tags.Duration).Int(tags.Bitrate).Int(tags.SampleRate).Int(tags.BitDepth).Int(tags.Channels).Text(tags.Codec)
            .Text(keys.Suffix).Text(AudioFormats.ContentType(keys.Suffix)).Text(_now);

        long trackId;
        if (id is null)
        {
            trackId = row.Scalar();
        }
        else
        {
            trackId = id.Value;
            row.Int(trackId).Run();
            _deleteLinks.Int(trackId).Run();
            _deleteGenres.Int(trackId).Run();
        }

        Link(trackId, "artist", tags.Artists, keys.ArtistKeys, tags.Artists.Count == 1 ? tags.MbArtistId : null);
        Link(trackId, "albumartist", tags.AlbumArtists, keys.AlbumArtistKeys, tags.AlbumArtists.Count == 1 ? tags.MbAlbumArtistId : null);
        Link(trackId, "composer", tags.Composers, keys.ComposerKeys, null);
        for (var i = 0; i < tags.Genres.Count; i++)
        {
            _genreLinks.Add((trackId, Genre(tags.Genres[i]), i));
            if (_genreLinks.Count == LinkRows) FlushLinks();
        }
        return (trackId, albumId);
    }

    private void Link(long trackId, string role, IReadOnlyList<string> names, string[] keys, string? mbzId)
    {
        for (var i = 0; i < names.Count; i++)
        {
            _links.Add((trackId, Artist(names[i], keys[i], mbzId), role, i));
            if (_links.Count == LinkRows) FlushLinks();
        }
    }

    /// <summary>Inserts the links waiting in memory: full rows of <see cref="LinkRows"/> at once, the rest one by one.</summary>
    private void FlushLinks()
    {
        if (_links.Count == LinkRows)
        {
            foreach (var (track, artist, role, position) in _links) _insertLinks.Int(track).Int(artist).Text(role).Int(position);
            _insertLinks.Run();
        }
        else
            foreach (var (track, artist, role, position) in _links) _insertLink.Int(track).Int(artist).Text(role).Int(position).Run();
        _links.Clear();
        if (_genreLinks.Count == LinkRows)
        {
            foreach (var (track, genre, position) in _genreLinks) _insertGenreLinks.Int(track).Int(genre).Int(position);
            _insertGenreLinks.Run();
        }
        else
            foreach (var (track, genre, position) in _genreLinks) _insertGenreLink.Int(track).Int(genre).Int(position).Run();
        _genreLinks.Clear();
    }

    private long Artist(string name, string key, string? mbzId)
    {
        if (_artists.TryGetValue(key, out var id)) return id;
        id = _upsertArtist.Text(name).Text(Names.SortKey(name)).Text(key).Text(mbzId).Text(_now).Scalar();
        _artists[key] = id;
        return id;
    }

    /// <summary>
    /// Albums are grouped by MusicBrainz album id when present, else by album artist + album name,
    /// so CD1/ and CD2/ folders make one album and a compilation is one album whatever its track artists.
    /// </summary>
    public static string AlbumKey(TrackTags tags) =>
        tags.MbAlbumId is { Length: > 0 } mbz ? "mbz:" + mbz.ToLowerInvariant() : Names.Fold(tags.DisplayAlbumArtist) + "\u001f" + Names.Fold(tags.Album);

    private long Album(TrackTags tags, string key)
    {
        if (_albums.TryGetValue(key, out var id)) return id;
        id = _upsertAlbum.Text(key).Text(tags.Album).Text(Names.SortKey(tags.Album)).Text(tags.DisplayAlbumArtist)
            .Int(tags.Compilation ? 1 : 0).Text(tags.MbAlbumId).Text(tags.MbReleaseGroupId).Text(_now).Scalar();
        _albums[key] = id;
        return id;
    }

    private long Genre(string name)
    {
        if (_genres.TryGetValue(name, out var id)) return id;
        id = _upsertGenre.Text(name).Scalar();
        _genres[name] = id;
        return id;
    }

    private void SetTransaction(DbTransaction? tx)
    {
        _tx = tx;
        foreach (var statement in _statements) statement.Transaction = tx;
    }

    private Statement Prepare(string sql) => new(_connection, sql);

    private void Load(string sql, Dictionary<string, long> into)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read()) into[reader.GetString(0)] = reader.GetInt64(1);
    }

    public void Dispose()
    {
        _tx?.Dispose();
        foreach (var statement in _statements) statement.Dispose();
    }

    /// <summary>
    /// One statement of the writer, its parameters given in the order they first appear in the SQL,
    /// then run. On SQLite it is SQLite's own prepared statement (the raw API, as the bulk load of
    /// `catalog generate` uses): Microsoft.Data.Sqlite looks each parameter up by name and boxes its
    /// value on every run, and a first scan runs about 100,000 statements. On PostgreSQL it is an
    /// ordinary command. The scanner's folder rows use it too.
    /// </summary>
    internal sealed partial class Statement : IDisposable
    {
        private readonly sqlite3? _db;
        private readonly sqlite3_stmt? _stmt;
        private readonly DbCommand? _command;
        private readonly int _count;
        private int _next;
        private byte[] _utf8 = new byte[256];

        public Statement(DbConnection connection, string sql)
        {
            var names = Parameters().Matches(sql).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();
            _count = names.Count;
            if (connection is SqliteConnection sqlite)
            {
                _db = sqlite.Handle!;
                Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
                // SQLite numbers named parameters in order of first appearance, like the list above.
                if (raw.sqlite3_bind_parameter_count(_stmt) != _count) throw new InvalidOperationException($"parameters of {sql}");
                return;
            }
            _command = connection.CreateCommand();
            _command.CommandText = sql;
            foreach (var name in names)
            {
                var parameter = _command.CreateParameter();
                parameter.ParameterName = name;
                _command.Parameters.Add(parameter);
            }
        }

        public DbTransaction? Transaction { set { if (_command is not null) _command.Transaction = value; } }

        public Statement Int(long? value)
        {
            var i = _next++;
            if (_stmt is null) _command!.Parameters[i].Value = value is null ? DBNull.Value : value.Value;
            else if (value is null) raw.sqlite3_bind_null(_stmt, i + 1);
            else raw.sqlite3_bind_int64(_stmt, i + 1, value.Value);
            return this;
        }

        public Statement Real(double? value)
        {
            var i = _next++;
            if (_stmt is null) _command!.Parameters[i].Value = value is null ? DBNull.Value : value.Value;
            else if (value is null) raw.sqlite3_bind_null(_stmt, i + 1);
            else raw.sqlite3_bind_double(_stmt, i + 1, value.Value);
            return this;
        }

        public Statement Text(string? value)
        {
            var i = _next++;
            if (_stmt is null) _command!.Parameters[i].Value = value is null ? DBNull.Value : value;
            else if (value is null) raw.sqlite3_bind_null(_stmt, i + 1);
            else
            {
                // Encoded into a reused buffer; SQLite copies it (SQLITE_TRANSIENT).
                var length = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
                if (_utf8.Length < length) _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
                var written = System.Text.Encoding.UTF8.GetBytes(value, _utf8);
                raw.sqlite3_bind_text(_stmt, i + 1, _utf8.AsSpan(0, written));
            }
            return this;
        }

        public void Run() => Execute(returnsId: false);

        /// <summary>Runs a statement with RETURNING id.</summary>
        public long Scalar() => Execute(returnsId: true);

        private long Execute(bool returnsId)
        {
            if (_next != _count) throw new InvalidOperationException($"{_next} values given for {_count} parameters");
            _next = 0;
            if (_stmt is null)
            {
                if (!returnsId) { _command!.ExecuteNonQuery(); return 0; }
                return Convert.ToInt64(_command!.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            long id = 0;
            int rc;
            try
            {
                while ((rc = raw.sqlite3_step(_stmt)) == raw.SQLITE_ROW)
                    if (returnsId) id = raw.sqlite3_column_int64(_stmt, 0);
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }
            Check(rc);
            return id;
        }

        private void Check(int rc)
        {
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE)) SqliteException.ThrowExceptionForRC(rc, _db);
        }

        [GeneratedRegex(@"@\w+")]
        private static partial Regex Parameters();

        public void Dispose()
        {
            _stmt?.Dispose();
            _command?.Dispose();
        }
    }
}

/// <summary>
/// What the writer derives from a file's tags before it can write the rows: the fingerprint, sort
/// and grouping keys (case folding, Unicode normalisation, a SHA-256). The scan's readers compute it
/// in parallel, so the single writer, the scan's one serial step, only looks up ids and binds.
/// </summary>
public sealed record TrackKeys(
    string Fingerprint, string SortTitle, string AlbumKey, string? Composer, string Suffix,
    string[] ArtistKeys, string[] AlbumArtistKeys, string[] ComposerKeys)
{
    public static TrackKeys Of(WalkedFile file, TrackTags tags) => new(
        tags.Fingerprint(),
        Names.SortKey(tags.Title),
        CatalogWriter.AlbumKey(tags),
        tags.Composers.Count == 0 ? null : string.Join(", ", tags.Composers),
        AudioFormats.Suffix(file.Path).ToString().ToLowerInvariant(),
        Fold(tags.Artists), Fold(tags.AlbumArtists), Fold(tags.Composers));

    private static string[] Fold(IReadOnlyList<string> names)
    {
        var keys = new string[names.Count];
        for (var i = 0; i < keys.Length; i++) keys[i] = Names.Fold(names[i]);
        return keys;
    }
}
