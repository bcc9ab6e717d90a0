using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Sillon.Data;
using Sillon.Search;

namespace Sillon.Catalog.Generator;

/// <summary>
/// Loads a generated catalog into PostgreSQL with binary COPY (Npgsql's BeginBinaryImport): rows go
/// over the wire in PostgreSQL's own format, with no statement per row. Like <see cref="SqliteBulkLoad"/>,
/// secondary indexes, unique keys and foreign keys are dropped first and made again once at the end.
/// </summary>
/// <remarks>
/// One connection runs one COPY at a time, and the link tables need their parents first: the
/// generator's batches are gathered into chunks, each chunk copied table by table (artists, albums,
/// their links, tracks, theirs). Ids are the generator's, so the identity sequences are moved past
/// them at the end, for the rows a scan or an import may add later.
/// </remarks>
public static class PostgresBulkLoad
{
    // The tables the load fills. Their secondary indexes, unique keys and foreign keys would each be
    // checked or updated row by row (a foreign key is a trigger per row): they are dropped first and
    // made again at the end, each by one sort or one join. Primary keys stay: ids arrive in order.
    private static readonly string[] Loaded = ["artists", "albums", "album_artists", "tracks", "track_artists", "track_genres"];

    // About this many tracks per chunk: enough for COPY to stream, little enough to hold in memory.
    private const int ChunkTracks = 50_000;

    public static async Task<SqliteBulkLoad.Result> LoadAsync(Database db, CatalogGenerator generator, string rootPath, Action<long> progress, CancellationToken ct)
    {
        await using var connection = (NpgsqlConnection)await db.OpenAsync(ct);
        var existing = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM tracks", cancellationToken: ct));
        if (existing > 0)
            throw new InvalidOperationException($"the catalog already holds {existing:N0} tracks: generate into a new, empty database");

        var checks = await DropChecksAsync(connection, Loaded, ct);
        var searchIndexes = await DropChecksAsync(connection, SearchTables, ct);

        var rootId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO library_roots (path) VALUES (@rootPath) ON CONFLICT (path) DO UPDATE SET path = excluded.path RETURNING id", new { rootPath }, cancellationToken: ct));
        for (var i = 0; i < CatalogGenerator.GenreNames.Count; i++)
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO genres (id, name) VALUES (@id, @name)",
                new { id = (long)i + 1, name = CatalogGenerator.GenreNames[i] }, cancellationToken: ct));

        var clock = Stopwatch.StartNew();
        long tracks = 0, albums = 0, artists = 0;
        var chunk = new List<CatalogGenerator.Batch>();
        var chunkTracks = 0;
        foreach (var batch in generator.BatchesAhead(ct))
        {
            chunk.Add(batch);
            chunkTracks += batch.Tracks.Count;
            if (chunkTracks < ChunkTracks) continue;
            await CopyAsync(connection, chunk, rootId, ct);
            (artists, albums, tracks) = (artists + chunk.Count, albums + chunk.Sum(b => b.Albums.Count), tracks + chunkTracks);
            chunk.Clear();
            chunkTracks = 0;
            progress(tracks);
        }
        if (chunk.Count > 0)
        {
            await CopyAsync(connection, chunk, rootId, ct);
            (artists, albums, tracks) = (artists + chunk.Count, albums + chunk.Sum(b => b.Albums.Count), tracks + chunkTracks);
        }
        progress(tracks);
        foreach (var table in new[] { "artists", "albums", "tracks", "genres" })
            await connection.ExecuteAsync(new CommandDefinition(
                $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))", cancellationToken: ct));
        var load = clock.Elapsed;

        clock.Restart();
        await SideBySideAsync(db, [.. checks.Indexes.Select(Statement)], ct);
        foreach (var sql in checks.Keys) await connection.ExecuteAsync(new CommandDefinition(sql, cancellationToken: ct));
        await SideBySideAsync(db, [
            .. checks.Validations.Select(Statement),
            c => ArtistAlbums.RecountAllAsync(c, ct),
        ], ct);
        var built = clock.Elapsed;

        clock.Restart();
        await SideBySideAsync(db, [.. PostgresSearch.FillParts(parts: 2, ct)], ct);
        await SideBySideAsync(db, [.. searchIndexes.Indexes.Select(Statement)], ct);
        var search = clock.Elapsed;

        Func<DbConnection, Task> Statement(string sql) => c => c.ExecuteAsync(new CommandDefinition(sql, commandTimeout: 0, cancellationToken: ct));

        // Said as text: Dapper takes a one-word command for a stored procedure (CALL ANALYZE()).
        await connection.ExecuteAsync(new CommandDefinition("ANALYZE", commandTimeout: 0, commandType: System.Data.CommandType.Text, cancellationToken: ct));
        return new SqliteBulkLoad.Result(tracks, albums, artists, load, built, search);
    }

    private static readonly string[] SearchTables = ["search_postings", "search_words"];

    /// <summary>What <see cref="DropChecksAsync"/> dropped, as the statements that make it again.</summary>
    /// <param name="Indexes">CREATE INDEX for every secondary index and unique key: they can be built side by side.</param>
    /// <param name="Keys">Unique keys taken from their rebuilt indexes, and foreign keys added unchecked: both instant.</param>
    /// <param name="Validations">Checks of the foreign keys against the rows, one join each; side by side too.</param>
    private sealed record Checks(List<string> Indexes, List<string> Keys, List<string> Validations);

    /// <summary>
    /// Drops the secondary indexes, unique keys and foreign keys of <paramref name="tables"/> (primary
    /// keys stay) and returns how to make them again.
    /// </summary>
    /// <remarks>
    /// An interrupted load leaves them dropped, in a database that <see cref="LoadAsync"/> refuses to
    /// load again anyway: a generated catalog that did not finish is one to delete.
    /// </remarks>
    private static async Task<Checks> DropChecksAsync(NpgsqlConnection c, string[] tables, CancellationToken ct)
    {
        var args = new { tables };
        var foreignKeys = (await c.QueryAsync<(string Table, string Name, string Sql)>(new CommandDefinition("""
            SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = ANY(@tables::regclass[]) AND contype = 'f' ORDER BY conname
            """, args, cancellationToken: ct))).ToList();
        // Largest tables first, so that the two builders finish together.
        var indexes = (await c.QueryAsync<(string Table, string Name, string Sql, string? UniqueKey)>(new CommandDefinition("""
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), quote_ident(k.conname)
            FROM pg_index i LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype = 'u'
            WHERE i.indrelid = ANY(@tables::regclass[]) AND NOT i.indisprimary
            ORDER BY pg_relation_size(i.indrelid) DESC, i.indexrelid
            """, args, cancellationToken: ct))).ToList();

        foreach (var (table, name, _) in foreignKeys)
            await c.ExecuteAsync(new CommandDefinition($"ALTER TABLE {table} DROP CONSTRAINT {name}", cancellationToken: ct));
        foreach (var (table, name, _, key) in indexes)
            await c.ExecuteAsync(new CommandDefinition(key is null ? $"DROP INDEX {name}" : $"ALTER TABLE {table} DROP CONSTRAINT {key}", cancellationToken: ct));

        return new Checks(
            [.. indexes.Select(i => i.Sql)],
            [
                .. indexes.Where(i => i.UniqueKey is not null).Select(i => $"ALTER TABLE {i.Table} ADD CONSTRAINT {i.UniqueKey} UNIQUE USING INDEX {i.Name}"),
                .. foreignKeys.Select(k => $"ALTER TABLE {k.Table} ADD CONSTRAINT {k.Name} {k.Sql} NOT VALID"),
            ],
            [.. foreignKeys.Select(k => $"ALTER TABLE {k.Table} VALIDATE CONSTRAINT {k.Name}")]);
    }

    /// <summary>
    /// Runs the steps on two connections, each taking the next step when it is done. PostgreSQL gives
    /// a statement one backend process, so one connection would leave a core idle; steps on different
    /// tables do not wait for each other, and those that lock the same table wait their turn.
    /// </summary>
    private static async Task SideBySideAsync(Database db, IReadOnlyList<Func<DbConnection, Task>> steps, CancellationToken ct)
    {
        var next = -1;
        async Task Worker()
        {
            await using var c = await db.OpenAsync(ct);
            // Memory for one sort per index; no parallel workers: the two connections already use both cores.
            await c.ExecuteAsync(new CommandDefinition("SET maintenance_work_mem = '256MB'; SET max_parallel_maintenance_workers = 0", cancellationToken: ct));
            for (var i = Interlocked.Increment(ref next); i < steps.Count; i = Interlocked.Increment(ref next))
                await steps[i](c);
            // Pooled connections are not reset when given back (PostgresDialect): leave none of this behind.
            await c.ExecuteAsync(new CommandDefinition("RESET maintenance_work_mem; RESET max_parallel_maintenance_workers", cancellationToken: ct));
        }
        await Task.WhenAll(Worker(), Worker());
    }

    private static async Task CopyAsync(NpgsqlConnection c, List<CatalogGenerator.Batch> chunk, long rootId, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var w = await c.BeginBinaryImportAsync("COPY artists (id, name, sort_name, artist_key, mbz_id, popularity, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var a in chunk.Select(b => b.Artist))
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(a.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(a.Name, NpgsqlDbType.Text, ct);
                await w.WriteAsync(a.SortName, NpgsqlDbType.Text, ct);
                await w.WriteAsync(a.Key, NpgsqlDbType.Text, ct);
                await Text(w, a.MbzId, ct);
                await w.WriteAsync(a.Popularity, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(a.CreatedAt, NpgsqlDbType.Text, ct);
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await c.BeginBinaryImportAsync("""
            COPY albums (id, album_key, name, sort_name, display_artist, compilation, mbz_album_id, year, date, genre, track_count,
                         disc_count, duration, size, popularity, created_at, updated_at, artist_refs) FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            foreach (var al in chunk.SelectMany(b => b.Albums))
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(al.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(al.Key, NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.Name, NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.SortName, NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.DisplayArtist, NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.Compilation ? 1L : 0L, NpgsqlDbType.Bigint, ct);
                await Text(w, al.MbzId, ct);
                await w.WriteAsync((long)al.Year, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(al.Year.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.Genre, NpgsqlDbType.Text, ct);
                await w.WriteAsync((long)al.TrackCount, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)al.DiscCount, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(al.Duration, NpgsqlDbType.Double, ct);
                await w.WriteAsync(al.Size, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(al.Popularity, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(al.CreatedAt, NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.CreatedAt, NpgsqlDbType.Text, ct);
                await w.WriteAsync(al.ArtistRefs, NpgsqlDbType.Text, ct);
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await c.BeginBinaryImportAsync("COPY album_artists (album_id, artist_id, position) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var al in chunk.SelectMany(b => b.Albums))
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(al.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(al.ArtistId, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(0L, NpgsqlDbType.Bigint, ct);
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await c.BeginBinaryImportAsync("""
            COPY tracks (id, root_id, album_id, path, media_path, size, mtime, fingerprint, title, sort_title, display_artist,
                         display_album_artist, track_number, track_total, disc_number, disc_total, year, date, isrc, compilation,
                         duration, bitrate, sample_rate, bit_depth, channels, codec, suffix, content_type, popularity, created_at, updated_at)
            FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            foreach (var t in chunk.SelectMany(b => b.Tracks))
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(t.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(rootId, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.AlbumId, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.Path, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.MediaPath, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.Size, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.Mtime, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync($"generated:{t.Id:D10}", NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.Title, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.SortTitle, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.DisplayArtist, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.DisplayAlbumArtist, NpgsqlDbType.Text, ct);
                await w.WriteAsync((long)t.TrackNumber, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.TrackTotal, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.DiscNumber, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.DiscTotal, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.Year, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.Year.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.Isrc, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.Compilation ? 1L : 0L, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.Duration, NpgsqlDbType.Double, ct);
                await w.WriteAsync((long)t.Bitrate, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.SampleRate, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.BitDepth, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync((long)t.Channels, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.Codec, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.Suffix, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.ContentType, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.Popularity, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.CreatedAt, NpgsqlDbType.Text, ct);
                await w.WriteAsync(t.CreatedAt, NpgsqlDbType.Text, ct);
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await c.BeginBinaryImportAsync("COPY track_artists (track_id, artist_id, role, position) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in chunk.SelectMany(b => b.Tracks))
            {
                // As the scanner writes it: a full rescan recomputes album artists from these links.
                foreach (var (artist, role) in new[] { (t.ArtistId, "artist"), (t.AlbumArtistId, "albumartist") })
                {
                    await w.StartRowAsync(ct);
                    await w.WriteAsync(t.Id, NpgsqlDbType.Bigint, ct);
                    await w.WriteAsync(artist, NpgsqlDbType.Bigint, ct);
                    await w.WriteAsync(role, NpgsqlDbType.Text, ct);
                    await w.WriteAsync(0L, NpgsqlDbType.Bigint, ct);
                }
            }
            await w.CompleteAsync(ct);
        }
        await using (var w = await c.BeginBinaryImportAsync("COPY track_genres (track_id, genre_id, position) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var t in chunk.SelectMany(b => b.Tracks))
            {
                await w.StartRowAsync(ct);
                await w.WriteAsync(t.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(t.GenreId, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(0L, NpgsqlDbType.Bigint, ct);
                if (t.SecondGenreId is not { } second) continue;
                await w.StartRowAsync(ct);
                await w.WriteAsync(t.Id, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(second, NpgsqlDbType.Bigint, ct);
                await w.WriteAsync(1L, NpgsqlDbType.Bigint, ct);
            }
            await w.CompleteAsync(ct);
        }
        await CatalogChanges.BumpAsync(c, tx, ct);
        await tx.CommitAsync(ct);
    }

    private static Task Text(NpgsqlBinaryImporter w, string? value, CancellationToken ct) =>
        value is null ? w.WriteNullAsync(ct) : w.WriteAsync(value, NpgsqlDbType.Text, ct);
}
