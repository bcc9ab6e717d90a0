using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using Sillon.Data;
using SQLitePCL;

namespace Sillon.Catalog.Generator;

/// <summary>
/// Loads a generated catalog into SQLite at bulk speed: secondary indexes are dropped first and
/// built once at the end (sorting once beats millions of random B-tree inserts), every unique key
/// grows monotonically so its index is only ever appended to, and rows go through SQLite's own
/// prepared statements (the raw API): binding a value is a C call, not an ADO.NET parameter object.
/// </summary>
/// <remarks>
/// The load runs without a rollback journal. A generated catalog is scratch data: an interrupted
/// load leaves a database to delete, which <see cref="LoadAsync"/> says plainly.
/// </remarks>
public static class SqliteBulkLoad
{
    // Indexes whose keys arrive in random order (names, dates) are built once the rows are in, by one
    // sort. The others (album, artist and genre links, paths and keys) receive keys in ascending or
    // near-ascending order, so keeping them during the load only ever appends to a few hot pages.
    private static readonly string[] BuiltAfter = ["tracks_sort", "albums_sort", "albums_created", "artists_sort", "albums_by_artist", "albums_year", "albums_year_desc", "albums_by_year", "albums_alpha", "albums_genre", "artists_popularity", "tracks_year", "tracks_created"];

    /// <param name="Search">The search index's own time; null where it is built side by side with the indexes (PostgreSQL), and counted in theirs.</param>
    public sealed record Result(long Tracks, long Albums, long Artists, TimeSpan Load, TimeSpan Indexes, TimeSpan? Search);

    public static async Task<Result> LoadAsync(Database db, CatalogGenerator generator, string rootPath, Action<long> progress, CancellationToken ct)
    {
        await using var connection = (SqliteConnection)await db.OpenAsync(ct);
        var existing = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM tracks");
        if (existing > 0)
            throw new InvalidOperationException($"the catalog already holds {existing:N0} tracks: generate into a new, empty data folder");

        var indexes = (await connection.QueryAsync<(string Name, string Sql)>($"""
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
            AND name IN ({string.Join(", ", BuiltAfter.Select(t => $"'{t}'"))})
            """)).ToList();
        // threads: CREATE INDEX may sort with a helper thread.
        await SqliteDialect.SetPragmasForThisUseAsync(connection, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA foreign_keys=OFF; PRAGMA threads=2;", ct);
        foreach (var (name, _) in indexes) await connection.ExecuteAsync($"DROP INDEX {name}");

        var rootId = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO library_roots (path) VALUES (@rootPath) ON CONFLICT (path) DO UPDATE SET path = excluded.path RETURNING id", new { rootPath });
        for (var i = 0; i < CatalogGenerator.GenreNames.Count; i++)
            await connection.ExecuteAsync("INSERT INTO genres (id, name) VALUES (@id, @name)", new { id = i + 1, name = CatalogGenerator.GenreNames[i] });

        var clock = Stopwatch.StartNew();
        long tracks = 0, albums = 0, artists = 0;
        var handle = connection.Handle!;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        using (var artist = new Inserts<CatalogGenerator.Artist>(handle,
            "INSERT INTO artists (id, name, sort_name, artist_key, mbz_id, popularity, created_at) VALUES", "(?,?,?,?,?,?,?)",
            (s, o, a) => s.Bind(o + 1, a.Id).Bind(o + 2, a.Name).Bind(o + 3, a.SortName).Bind(o + 4, a.Key).Bind(o + 5, a.MbzId)
                .Bind(o + 6, a.Popularity).Bind(o + 7, a.CreatedAt)))
        using (var album = new Inserts<CatalogGenerator.Album>(handle, """
            INSERT INTO albums (id, album_key, name, sort_name, display_artist, compilation, mbz_album_id, year, date, genre, track_count,
                                disc_count, duration, size, popularity, created_at, updated_at, artist_refs) VALUES
            """, "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (s, o, al) => s.Bind(o + 1, al.Id).Bind(o + 2, al.Key).Bind(o + 3, al.Name).Bind(o + 4, al.SortName).Bind(o + 5, al.DisplayArtist)
                .Bind(o + 6, al.Compilation ? 1 : 0).Bind(o + 7, al.MbzId).Bind(o + 8, al.Year).Bind(o + 9, al.Year.ToString(invariant))
                .Bind(o + 10, al.Genre).Bind(o + 11, al.TrackCount).Bind(o + 12, al.DiscCount).Bind(o + 13, al.Duration).Bind(o + 14, al.Size)
                .Bind(o + 15, al.Popularity).Bind(o + 16, al.CreatedAt).Bind(o + 17, al.CreatedAt).Bind(o + 18, al.ArtistRefs)))
        using (var albumArtist = new Inserts<CatalogGenerator.Album>(handle, "INSERT INTO album_artists (album_id, artist_id, position) VALUES", "(?,?,0)",
            (s, o, al) => s.Bind(o + 1, al.Id).Bind(o + 2, al.ArtistId)))
        using (var track = new Inserts<CatalogGenerator.Track>(handle, """
            INSERT INTO tracks (id, root_id, album_id, path, media_path, size, mtime, fingerprint, title, sort_title, display_artist,
                                display_album_artist, track_number, track_total, disc_number, disc_total, year, date, isrc, compilation,
                                duration, bitrate, sample_rate, bit_depth, channels, codec, suffix, content_type, popularity, created_at, updated_at) VALUES
            """, "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (s, o, t) => s.Bind(o + 1, t.Id).Bind(o + 2, rootId).Bind(o + 3, t.AlbumId).Bind(o + 4, t.Path).Bind(o + 5, t.MediaPath).Bind(o + 6, t.Size)
                .Bind(o + 7, t.Mtime).Bind(o + 8, $"generated:{t.Id:D10}").Bind(o + 9, t.Title).Bind(o + 10, t.SortTitle).Bind(o + 11, t.DisplayArtist)
                .Bind(o + 12, t.DisplayAlbumArtist).Bind(o + 13, t.TrackNumber).Bind(o + 14, t.TrackTotal).Bind(o + 15, t.DiscNumber)
                .Bind(o + 16, t.DiscTotal).Bind(o + 17, t.Year).Bind(o + 18, t.Year.ToString(invariant)).Bind(o + 19, t.Isrc)
                .Bind(o + 20, t.Compilation ? 1 : 0).Bind(o + 21, t.Duration).Bind(o + 22, t.Bitrate).Bind(o + 23, t.SampleRate)
                .Bind(o + 24, t.BitDepth).Bind(o + 25, t.Channels).Bind(o + 26, t.Codec).Bind(o + 27, t.Suffix).Bind(o + 28, t.ContentType)
                .Bind(o + 29, t.Popularity).Bind(o + 30, t.CreatedAt).Bind(o + 31, t.CreatedAt)))
        // As the scanner writes them: a full rescan recomputes album artists from the albumartist links.
        using (var trackArtist = new Inserts<CatalogGenerator.Track>(handle, "INSERT INTO track_artists (track_id, artist_id, role, position) VALUES",
            "(?,?,'artist',0),(?,?,'albumartist',0)",
            (s, o, t) => s.Bind(o + 1, t.Id).Bind(o + 2, t.ArtistId).Bind(o + 3, t.Id).Bind(o + 4, t.AlbumArtistId)))
        using (var trackGenre = new Inserts<(long Track, long Genre, int Position)>(handle, "INSERT INTO track_genres (track_id, genre_id, position) VALUES", "(?,?,?)",
            (s, o, g) => s.Bind(o + 1, g.Track).Bind(o + 2, g.Genre).Bind(o + 3, g.Position)))
        {
            Inserts[] all = [artist, album, albumArtist, track, trackArtist, trackGenre];
            Exec(handle, "BEGIN");
            foreach (var batch in generator.BatchesAhead(ct))
            {
                artist.Add(batch.Artist);
                artists++;
                foreach (var al in batch.Albums)
                {
                    album.Add(al);
                    albumArtist.Add(al);
                    albums++;
                }
                foreach (var t in batch.Tracks)
                {
                    track.Add(t);
                    trackArtist.Add(t);
                    trackGenre.Add((t.Id, t.GenreId, 0));
                    if (t.SecondGenreId is { } second) trackGenre.Add((t.Id, second, 1));
                    tracks++;
                }
                if (tracks % 100_000 < batch.Tracks.Count)
                {
                    // Commit now and then: a transaction's dirty pages live in memory until then.
                    foreach (var rows in all) rows.Flush();
                    Exec(handle, "COMMIT");
                    Exec(handle, "BEGIN");
                    progress(tracks);
                }
            }
            foreach (var rows in all) rows.Flush();
            Exec(handle, CatalogChanges.BumpSql);
            Exec(handle, "COMMIT");
        }
        progress(tracks);
        var load = clock.Elapsed;

        clock.Restart();
        foreach (var (_, sql) in indexes) await connection.ExecuteAsync(sql, commandTimeout: 0);
        await ArtistAlbums.RecountAllAsync(connection, ct);
        var built = clock.Elapsed;

        clock.Restart();
        await Search.SearchIndex.RebuildAsync(connection, ct);
        var search = clock.Elapsed;

        await connection.ExecuteAsync("PRAGMA analysis_limit=1000; ANALYZE; PRAGMA journal_mode=WAL;", commandTimeout: 0);
        return new Result(tracks, albums, artists, load, built, search);
    }

    private static void Exec(sqlite3 db, string sql)
    {
        if (raw.sqlite3_exec(db, sql) != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), raw.sqlite3_errcode(db));
    }

    /// <summary>Rows waiting for their INSERT: see <see cref="Inserts{T}"/>.</summary>
    private abstract class Inserts : IDisposable
    {
        public abstract void Flush();
        public abstract void Dispose();
    }

    /// <summary>
    /// Rows of one table, inserted <see cref="RowsPerStatement"/> to a statement: SQLite opens a
    /// cursor on the table and each of its indexes, and reads and writes the AUTOINCREMENT counter,
    /// once per statement (with the generator on its own thread too, the rows of 1 M tracks went
    /// from 20.2 to 12.4 s).
    /// </summary>
    /// <remarks><paramref name="bind"/> binds one item at a parameter offset (its first parameter is offset + 1).</remarks>
    private sealed class Inserts<T>(sqlite3 db, string into, string values, Action<Statement, int, T> bind) : Inserts
    {
        private const int RowsPerStatement = 32;
        private readonly int _parameters = values.Count(c => c == '?');
        private readonly Statement _many = new(db, $"{into} {string.Join(",", Enumerable.Repeat(values, RowsPerStatement))}");
        private readonly Statement _one = new(db, $"{into} {values}");
        private readonly List<T> _pending = new(RowsPerStatement);

        public void Add(T item)
        {
            _pending.Add(item);
            if (_pending.Count < RowsPerStatement) return;
            for (var i = 0; i < _pending.Count; i++) bind(_many, i * _parameters, _pending[i]);
            _many.Run();
            _pending.Clear();
        }

        /// <summary>Inserts what waits, one row at a time (fewer than <see cref="RowsPerStatement"/>).</summary>
        public override void Flush()
        {
            foreach (var item in _pending)
            {
                bind(_one, 0, item);
                _one.Run();
            }
            _pending.Clear();
        }

        public override void Dispose()
        {
            _many.Dispose();
            _one.Dispose();
        }
    }

    /// <summary>One prepared statement, bound by position and run; reset after each run.</summary>
    private sealed class Statement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;
        private byte[] _utf8 = new byte[256];

        public Statement(sqlite3 db, string sql)
        {
            _db = db;
            if (raw.sqlite3_prepare_v2(db, sql, out _stmt) != raw.SQLITE_OK) Fail();
        }

        public Statement Bind(int i, long value) { raw.sqlite3_bind_int64(_stmt, i, value); return this; }
        public Statement Bind(int i, double value) { raw.sqlite3_bind_double(_stmt, i, value); return this; }

        public Statement Bind(int i, string? value)
        {
            if (value is null) { raw.sqlite3_bind_null(_stmt, i); return this; }
            // Encode into a reused buffer: the string overload allocates a new UTF-8 copy per value.
            var length = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_utf8.Length < length) _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
            var written = System.Text.Encoding.UTF8.GetBytes(value, _utf8);
            raw.sqlite3_bind_text(_stmt, i, _utf8.AsSpan(0, written));
            return this;
        }

        public void Run()
        {
            var rc = raw.sqlite3_step(_stmt);
            raw.sqlite3_reset(_stmt);
            if (rc != raw.SQLITE_DONE) Fail();
        }

        private void Fail() => throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), raw.sqlite3_errcode(_db));

        public void Dispose() => _stmt.Dispose();
    }
}
