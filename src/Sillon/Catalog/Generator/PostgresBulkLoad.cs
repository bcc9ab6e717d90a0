using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Sillon.Data;

namespace Sillon.Catalog.Generator;

/// <summary>
/// Loads a generated catalog into PostgreSQL with binary COPY (Npgsql's BeginBinaryImport): rows go
/// over the wire in PostgreSQL's own format, with no statement per row. Like <see cref="SqliteBulkLoad"/>,
/// indexes whose keys arrive in random order are dropped first and built once at the end.
/// </summary>
/// <remarks>
/// One connection runs one COPY at a time, and the link tables need their parents first: the
/// generator's batches are gathered into chunks, each chunk copied table by table (artists, albums,
/// their links, tracks, theirs). Ids are the generator's, so the identity sequences are moved past
/// them at the end, for the rows a scan or an import may add later.
/// </remarks>
public static class PostgresBulkLoad
{
    private static readonly string[] BuiltAfter = ["tracks_sort", "albums_sort", "albums_created", "artists_sort", "albums_by_artist", "albums_year", "albums_genre", "artists_popularity", "tracks_year", "tracks_created"];

    // About this many tracks per chunk: enough for COPY to stream, little enough to hold in memory.
    private const int ChunkTracks = 50_000;

    public static async Task<SqliteBulkLoad.Result> LoadAsync(Database db, CatalogGenerator generator, string rootPath, Action<long> progress, CancellationToken ct)
    {
        await using var connection = (NpgsqlConnection)await db.OpenAsync(ct);
        var existing = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM tracks", cancellationToken: ct));
        if (existing > 0)
            throw new InvalidOperationException($"the catalog already holds {existing:N0} tracks: generate into a new, empty database");

        var indexes = (await connection.QueryAsync<(string Name, string Sql)>(new CommandDefinition(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY(@names)",
            new { names = BuiltAfter }, cancellationToken: ct))).ToList();
        foreach (var (name, _) in indexes) await connection.ExecuteAsync(new CommandDefinition($"DROP INDEX {name}", cancellationToken: ct));

        var rootId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO library_roots (path) VALUES (@rootPath) ON CONFLICT (path) DO UPDATE SET path = excluded.path RETURNING id", new { rootPath }, cancellationToken: ct));
        for (var i = 0; i < CatalogGenerator.GenreNames.Count; i++)
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO genres (id, name) VALUES (@id, @name)",
                new { id = (long)i + 1, name = CatalogGenerator.GenreNames[i] }, cancellationToken: ct));

        var clock = Stopwatch.StartNew();
        long tracks = 0, albums = 0, artists = 0;
        var chunk = new List<CatalogGenerator.Batch>();
        var chunkTracks = 0;
        foreach (var batch in generator.Batches())
        {
            ct.ThrowIfCancellationRequested();
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
        foreach (var (_, sql) in indexes) await connection.ExecuteAsync(new CommandDefinition(sql, commandTimeout: 0, cancellationToken: ct));
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await ArtistAlbums.RecountAsync(connection, tx, null, null, ct);
            await tx.CommitAsync(ct);
        }
        var built = clock.Elapsed;

        clock.Restart();
        await Search.SearchIndex.RebuildAsync(connection, ct);
        var search = clock.Elapsed;

        // Said as text: Dapper takes a one-word command for a stored procedure (CALL ANALYZE()).
        await connection.ExecuteAsync(new CommandDefinition("ANALYZE", commandTimeout: 0, commandType: System.Data.CommandType.Text, cancellationToken: ct));
        return new SqliteBulkLoad.Result(tracks, albums, artists, load, built, search);
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
                         disc_count, duration, size, popularity, created_at, updated_at) FROM STDIN (FORMAT BINARY)
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
