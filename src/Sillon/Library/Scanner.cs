using System.Globalization;
using System.Text.Json;
using System.Collections.Concurrent;
using Dapper;
using System.Data.Common;
using Microsoft.Extensions.Options;
using Sillon.Data;
using Sillon.Observability;

namespace Sillon.Library;

/// <summary>
/// Scans the music folders into the catalog in named phases:
/// walk (list files) → classify (new, changed, unchanged, missing) → read tags (in parallel) and
/// write (one writer, batched transactions) → remove missing files → finish albums (aggregates,
/// covers, orphans) → import playlist files. See Library/README.md for the reasoning behind each phase.
/// </summary>
public sealed partial class Scanner(
    Database db,
    LibraryFolders folders,
    IOptions<LibraryOptions> libraryOptions,
    ScanState state,
    SillonMetrics metrics,
    TimeProvider time,
    ILogger<Scanner> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LibraryOptions Options => libraryOptions.Value;

    public bool IsScanning => _gate.CurrentCount == 0;

    /// <summary>Test seam: runs between the walk and the tag read of each file, to change the disk under a running scan.</summary>
    internal Action<string>? BeforeRead { get; set; }

    /// <summary>
    /// Runs one scan; returns at once with status "busy" when another is running here or in another
    /// process. With <paramref name="only"/>, just those folders (and what is below them) are walked
    /// and compared: what a file-system event says changed, without walking the whole library.
    /// </summary>
    public async Task<ScanSummary> ScanAsync(bool full, CancellationToken ct, IReadOnlyCollection<string>? only = null)
    {
        if (!await _gate.WaitAsync(0, ct)) return Busy("a scan is already running");
        try
        {
            await using var scanLock = await db.Dialect.TryScanLockAsync(db, ct);
            if (scanLock is null) return Busy("another sillon process is scanning this library");
            var progress = new ScanProgress(time.GetUtcNow(), full);
            state.Current = progress;
            try
            {
                var summary = await RunAsync(progress, full, only, ct);
                state.Last = summary;
                metrics.ScanFinished(summary);
                LogScanFinished(summary.Status, summary.Added, summary.Updated, summary.Removed, summary.Unchanged, summary.Errors.Count, summary.Seconds);
                return summary;
            }
            finally
            {
                state.Current = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private ScanSummary Busy(string reason)
    {
        var now = time.GetUtcNow();
        return new ScanSummary { Status = ScanStatus.Busy, Errors = [new ScanError("", reason)], StartedAt = now, FinishedAt = now };
    }

    private async Task<ScanSummary> RunAsync(ScanProgress progress, bool full, IReadOnlyCollection<string>? only, CancellationToken ct)
    {
        var errors = new List<ScanError>();
        await using var connection = await db.OpenAsync(ct);
        // The writer's batched transactions want a bigger page cache than a request's (SQLite's is per connection).
        if (connection is Microsoft.Data.Sqlite.SqliteConnection) await SqliteDialect.SetPragmasForThisUseAsync(connection, SqliteDialect.ScannerCacheSize, ct);
        var startedText = progress.StartedAt.ToString("O", CultureInfo.InvariantCulture);

        // A run still marked 'running' means the process died mid-scan: its batches are committed
        // and consistent, but album aggregates may be stale, so this run refreshes all albums.
        var interrupted = await connection.ExecuteAsync(
            "UPDATE scan_runs SET status = 'interrupted', finished_at = @now WHERE status = 'running'", new { now = startedText }) > 0;
        if (interrupted)
        {
            LogResumingInterrupted();
            only = null;
        }
        // Indexes a killed first scan had dropped come back before anything reads or writes tracks.
        var sqlite = connection is Microsoft.Data.Sqlite.SqliteConnection;
        if (sqlite) await InTransactionAsync(connection, SqliteDialect.CreateScanDeferredIndexes(), ct);
        var runId = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO scan_runs (started_at, status, full_scan) VALUES (@now, 'running', @full) RETURNING id", new { now = startedText, full });

        // Phase 1: walk.
        var phases = new PhaseClock(time);
        var walker = new LibraryWalker(new CoverArtNames(Options.CoverArtPriority));
        var walk = new WalkResult();
        // What this scan may remove tracks from: a whole music folder, or a folder below one.
        var scopes = new List<Scope>();
        var rootsOk = 0;
        var changed = only is null ? null : Outermost(only);
        var roots = await folders.RootsAsync(connection, ct);
        // Folders an administrator removed: all their tracks are missing, whatever this scan walks.
        var detached = await folders.DetachedAsync(connection, roots, ct);
        var detachedIds = detached.Select(d => d.Id).ToHashSet();
        // What the catalog holds is read on a connection of its own while the walk lists the disk.
        var loadingExisting = LoadExistingAsync(ct);
        if (roots.Count == 0 && detached.Count == 0) errors.Add(new ScanError("", "no music folder configured: pass --music DIR or add one on the admin page"));
        foreach (var root in roots)
        {
            var rootId = await connection.ExecuteScalarAsync<long>(
                "INSERT INTO library_roots (path) VALUES (@root) ON CONFLICT (path) DO UPDATE SET path = excluded.path RETURNING id", new { root });
            var known = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM tracks WHERE root_id = @rootId", new { rootId });
            if (!Directory.Exists(root))
            {
                errors.Add(new ScanError(root, $"music folder does not exist or is not mounted: its {known} tracks are kept"));
                continue;
            }
            var starts = changed is null ? [root] : changed.Where(d => d == root || d.StartsWith(root + "/", StringComparison.Ordinal)).ToList();
            if (changed is not null && known > 0 && !Directory.EnumerateFileSystemEntries(root).Any())
            {
                errors.Add(new ScanError(root, $"music folder is empty: refusing to remove its {known} tracks (is the disk mounted?)"));
                continue;
            }
            var before = walk.Files.Count;
            var rootReadable = true;
            foreach (var dir in starts)
            {
                // A changed folder that is gone is walked from its nearest ancestor still there.
                var start = dir;
                while (start != root && !Directory.Exists(start)) start = Path.GetDirectoryName(start)!;
                try
                {
                    await Task.Run(() => walker.Walk(start, rootId, walk, progress, ct), ct);
                    scopes.Add(new Scope(rootId, start));
                }
                catch (Exception e) when (e is UnauthorizedAccessException or IOException)
                {
                    if (start == root) rootReadable = false;
                    errors.Add(new ScanError(start, start == root
                        ? $"music folder cannot be read ({e.Message}): its {known} tracks are kept"
                        : $"cannot list folder ({e.Message}): its tracks are kept"));
                }
            }
            if (!rootReadable) continue;
            rootsOk++;
            if (changed is null && walk.Files.Count == before && known > 0)
            {
                // An empty folder where tracks used to be is far more often an unmounted disk than a
                // deliberate deletion of everything: refuse to treat it as "all deleted".
                errors.Add(new ScanError(root, $"music folder is empty: refusing to remove its {known} tracks (is the disk mounted?)"));
                scopes.RemoveAll(s => s.RootId == rootId);
            }
        }
        errors.AddRange(walk.Errors);
        progress.WalkDone = true;
        var existing = await loadingExisting;

        if (rootsOk == 0 && detached.Count == 0)
        {
            return await FinishRunAsync(connection, runId, progress, errors, ScanStatus.Failed, default, ct);
        }

        // Phase 2: classify against what the catalog holds.
        progress.Phase = "comparing";
        phases.Next("comparing");
        var seen = new HashSet<string>(walk.Files.Count, StringComparer.Ordinal);
        var toRead = new List<(WalkedFile File, long? Id)>();
        var unchanged = 0;
        foreach (var file in walk.Files)
        {
            if (!seen.Add(file.Path)) continue;
            if (existing.TryGetValue(file.Path, out var known))
            {
                if (!full && known.Size == file.Size && known.Mtime == file.MtimeMs) { unchanged++; continue; }
                toRead.Add((file, known.Id));
            }
            else toRead.Add((file, null));
        }
        progress.CountUnchanged(unchanged);
        progress.Processed(unchanged);

        var unreadable = walk.UnreadableFolders.Select(f => f + Path.DirectorySeparatorChar).ToList();
        var missing = existing.Values
            .Where(e => detachedIds.Contains(e.RootId)
                || InScope(scopes, e.RootId, e.Path) && !seen.Contains(e.Path) && !unreadable.Any(u => e.Path.StartsWith(u, StringComparison.Ordinal)))
            .ToList();
        // A new file whose tags match a missing one is that file, moved: it keeps its id.
        var movedCandidates = missing.GroupBy(m => m.Fingerprint).ToDictionary(g => g.Key, g => new Stack<Existing>(g));
        var missingIds = missing.Select(m => m.Id).ToHashSet();

        // Phase 3: folders, then tags read in parallel into one batching writer.
        progress.Phase = "reading";
        phases.Next("folders");
        var (folderIds, coverChanged) = await WriteFoldersAsync(connection, walk, ct);
        phases.Next("reading");
        var touchedAlbums = new HashSet<long>();
        var written = new List<long>();
        // A cover image added, replaced or removed changes the albums of that folder (and of its CD1/, CD2/ subfolders).
        if (coverChanged.Count > 0)
            touchedAlbums.UnionWith(await connection.QueryAsync<long>($"""
                SELECT DISTINCT t.album_id FROM tracks t JOIN folders f ON f.id = t.folder_id
                WHERE f.id IN ({db.Dialect.IdList("@ids")}) OR f.parent_id IN ({db.Dialect.IdList("@ids")})
                """, new { ids = db.Dialect.Ids(coverChanged) }));
        var counts = new Counts();
        var readErrors = new List<ScanError>();
        // A first scan of a big library builds the secondary indexes of tracks once, at the end.
        var deferIndexes = sqlite && existing.Count == 0 && toRead.Count >= DeferIndexesFrom;
        if (deferIndexes) await InTransactionAsync(connection, SqliteDialect.DropScanDeferredIndexes(), ct);
        var threads = Options.ReadThreads > 0 ? Options.ReadThreads : Environment.ProcessorCount;
        // Readers and the writer run on threads of their own. On the thread pool, readers that never
        // yield kept its few threads, and the writer's continuation waited for the pool to grow.
        // Results travel in small batches through a bounded queue: one hand-over per batch, and
        // readers wait when the writer falls behind.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var queue = new BlockingCollection<List<ReadResult>>(boundedCapacity: 4 * threads);
        var next = -1;
        var readers = new Task[threads];
        for (var r = 0; r < threads; r++)
            readers[r] = Dedicated(() =>
            {
                var batch = new List<ReadResult>(ReadBatch);
                int i;
                while ((i = Interlocked.Increment(ref next)) < toRead.Count)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    var item = toRead[i];
                    BeforeRead?.Invoke(item.File.Path);
                    try
                    {
                        var tags = TagReader.Read(item.File.Path);
                        batch.Add(new ReadResult(item.File, item.Id, tags, TrackKeys.Of(item.File, tags), null));
                    }
                    catch (TagReadException e) { batch.Add(new ReadResult(item.File, item.Id, null, null, e.Message)); }
                    if (batch.Count < ReadBatch) continue;
                    queue.Add(batch, stop.Token);
                    batch = new List<ReadResult>(ReadBatch);
                }
                if (batch.Count > 0) queue.Add(batch, stop.Token);
            });
        _ = Task.WhenAll(readers).ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);

        var writer = Dedicated(() =>
        {
            using var catalog = new CatalogWriter(connection, time.GetUtcNow());
            var inBatch = 0;
            catalog.Begin();
            foreach (var batch in queue.GetConsumingEnumerable(stop.Token))
                foreach (var result in batch)
                {
                    progress.Processed();
                    if (result.Tags is null)
                    {
                        readErrors.Add(new ScanError(result.File.Path, result.Error!));
                        progress.CountError();
                        LogUnreadable(result.File.Path, result.Error!);
                        continue;
                    }
                    var id = result.ExistingId;
                    var moved = false;
                    if (id is null && movedCandidates.Count > 0 && movedCandidates.TryGetValue(result.Keys!.Fingerprint, out var candidates))
                    {
                        while (candidates.Count > 0 && id is null)
                        {
                            var candidate = candidates.Pop();
                            if (missingIds.Remove(candidate.Id)) { id = candidate.Id; moved = true; touchedAlbums.Add(candidate.AlbumId); }
                        }
                    }
                    if (id is not null && existing.TryGetValue(result.File.Path, out var old)) touchedAlbums.Add(old.AlbumId);
                    var (trackId, albumId) = catalog.Write(result.File, folderIds.GetValueOrDefault(result.File.Folder), result.Tags, result.Keys!, id);
                    written.Add(trackId);
                    touchedAlbums.Add(albumId);
                    if (moved) counts.Moved++;
                    else if (id is null) { counts.Added++; progress.CountAdded(); }
                    else { counts.Updated++; progress.CountUpdated(); }
                    if (++inBatch >= Options.BatchSize)
                    {
                        catalog.Commit();
                        catalog.Begin();
                        inBatch = 0;
                    }
                }
            catalog.Commit();
        });

        try
        {
            await writer;
        }
        catch
        {
            // The writer failed (a full disk, cancellation): stop the readers waiting to hand it more.
            await stop.CancelAsync();
            try { await Task.WhenAll(readers); } catch (OperationCanceledException) { }
            throw;
        }
        finally
        {
            if (deferIndexes)
            {
                phases.Next("indexes");
                await InTransactionAsync(connection, SqliteDialect.CreateScanDeferredIndexes(), CancellationToken.None);
            }
        }
        await Task.WhenAll(readers); // surfaces a reader failure (a bug) after the writer has stopped
        errors.AddRange(readErrors);

        // Phase 4: what is gone from the disk leaves the catalog.
        progress.Phase = "removing";
        phases.Next("removing");
        var removedAlbums = missing.Where(m => missingIds.Contains(m.Id)).Select(m => m.AlbumId);
        touchedAlbums.UnionWith(removedAlbums);
        counts.Removed = await DeleteTracksAsync(connection, missingIds, ct);
        await LibraryFolders.DeleteDetachedAsync(connection, detached, db.Dialect, ct);

        // Phase 5: albums, covers, orphans.
        progress.Phase = "albums";
        phases.Next("albums");
        // An unchanged library has nothing to finish: no album touched, so nothing became an orphan.
        // (Rows of folders that vanished with no track in them wait for the next scan that changes something.)
        if (interrupted || full || touchedAlbums.Count > 0)
            await FinishAlbumsAsync(connection, interrupted || full ? null : touchedAlbums, walk, scopes, ct);

        // Phase 6: playlist files (M3U, PLS) found in the music folders, resolved against the catalog.
        progress.Phase = "playlists";
        phases.Next("playlists");
        var unreadableFolders = walk.UnreadableFolders;
        // Playlist files of a removed folder are gone with it, as if deleted.
        var playlists = await Playlists.PlaylistImport.SyncAsync(connection, walk.PlaylistFiles, roots,
            path => scopes.Any(s => path.StartsWith(s.Path + "/", StringComparison.Ordinal)) || detached.Any(d => path.StartsWith(d.Path + "/", StringComparison.Ordinal)),
            unreadableFolders, errors, time.GetUtcNow(), log, ct);
        counts.Playlists = playlists.Imported + playlists.Updated + playlists.Removed;

        // Phase 7: the search index follows the catalog.
        phases.Next("indexing");
        // An update tokenizes what changed twice (the index, then a scratch index for its new
        // words): into an empty catalog, building the index whole takes half the time.
        if (interrupted || full || existing.Count == 0)
        {
            progress.Phase = "indexing";
            await Search.SearchIndex.RebuildAsync(connection, ct);
        }
        else if (written.Count + missingIds.Count > 0)
        {
            progress.Phase = "indexing";
            await Search.SearchIndex.UpdateAsync(connection, written, missingIds, touchedAlbums, ct);
        }

        counts.Unchanged = unchanged;
        counts.Phases = phases.Stop();
        return await FinishRunAsync(connection, runId, progress, errors, ScanStatus.Completed, counts, ct);
    }

    /// <summary>Every catalogued track by path, with what classifying and move detection need.</summary>
    private Task<Dictionary<string, Existing>> LoadExistingAsync(CancellationToken ct) => Task.Run(async () =>
    {
        await using var connection = await db.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, path, size, mtime, fingerprint, root_id, album_id FROM tracks";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new Dictionary<string, Existing>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var row = new Existing(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt64(5), reader.GetInt64(6));
            rows[row.Path] = row;
        }
        return rows;
    }, ct);

    /// <summary>Folder rows for the walk; returns their ids and the ids of folders whose cover image changed.</summary>
    private async Task<(Dictionary<string, long> Ids, List<long> CoverChanged)> WriteFoldersAsync(DbConnection connection, WalkResult walk, CancellationToken ct)
    {
        var coverChanged = new List<long>();
        var known = (await connection.QueryAsync<(long Id, string Path, string? Cover)>("SELECT id, path, cover_name FROM folders"))
            .ToDictionary(f => f.Path, StringComparer.Ordinal);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        var changed = false;
        await using var tx = await connection.BeginTransactionAsync(ct);
        // One statement, prepared once and run for each new folder: a first scan inserts thousands,
        // and a fresh Dapper command per row (parsed again each time) took 0.1 s of the critical path.
        using var insert = new CatalogWriter.Statement(connection,
            "INSERT INTO folders (root_id, parent_id, path, name, cover_name) VALUES (@root, @parent, @path, @name, @cover) RETURNING id") { Transaction = tx };
        foreach (var folder in walk.Folders)
        {
            if (known.TryGetValue(folder.Path, out var row))
            {
                ids[folder.Path] = row.Id;
                if (row.Cover != folder.CoverName)
                {
                    await connection.ExecuteAsync("UPDATE folders SET cover_name = @CoverName WHERE id = @Id", new { folder.CoverName, row.Id }, tx);
                    coverChanged.Add(row.Id);
                    changed = true;
                }
                continue;
            }
            // The first folder of a partial walk has no parent in the walk: it is in the catalog already.
            var parentPath = folder.Parent ?? Path.GetDirectoryName(folder.Path);
            long? parentId = parentPath is null ? null : ids.TryGetValue(parentPath, out var p) ? p : known.TryGetValue(parentPath, out var k) ? k.Id : null;
            changed = true;
            ids[folder.Path] = insert.Int(folder.RootId).Int(parentId).Text(folder.Path).Text(Path.GetFileName(folder.Path)).Text(folder.CoverName).Scalar();
        }
        if (changed) await Catalog.CatalogChanges.BumpAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
        return (ids, coverChanged);
    }

    private static async Task InTransactionAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    private async Task<int> DeleteTracksAsync(DbConnection connection, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        var removed = 0;
        foreach (var chunk in ids.Chunk(Options.BatchSize))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            removed += await connection.ExecuteAsync($"DELETE FROM tracks WHERE id IN ({db.Dialect.IdList("@ids")})", new { ids = db.Dialect.Ids(chunk) }, tx);
            await Catalog.CatalogChanges.BumpAsync(connection, tx, ct);
            await tx.CommitAsync(ct);
        }
        return removed;
    }

    /// <summary>Album aggregates and covers for the albums this scan touched (all when null), then orphans.</summary>
    private async Task FinishAlbumsAsync(DbConnection connection, HashSet<long>? touched, WalkResult walk, List<Scope> scopes, CancellationToken ct)
    {
        var where = touched is null ? "" : $"WHERE albums.id IN ({db.Dialect.IdList("@ids")})";
        var whereAlbum = touched is null ? "" : $"AND t.album_id IN ({db.Dialect.IdList("@ids")})";
        var args = new { ids = touched is null ? null : db.Dialect.Ids(touched), now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) };
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE albums SET
                -- one pass over the album's tracks for all its sums (seven subqueries took twice as long)
                (track_count, disc_count, duration, size, year, date, original_date) = (
                    SELECT COUNT(*), COUNT(DISTINCT COALESCE(t.disc_number, 1)), COALESCE(SUM(t.duration), 0), COALESCE(SUM(t.size), 0),
                           MAX(t.year), MAX(t.date), MIN(t.original_date)
                    FROM tracks t WHERE t.album_id = albums.id),
                display_artist = COALESCE((SELECT t.display_album_artist FROM tracks t WHERE t.album_id = albums.id ORDER BY t.id LIMIT 1), display_artist),
                genre = (SELECT g.name FROM track_genres tg JOIN tracks t ON t.id = tg.track_id JOIN genres g ON g.id = tg.genre_id
                         WHERE t.album_id = albums.id AND tg.position = 0 GROUP BY g.id, g.name ORDER BY COUNT(*) DESC, g.name LIMIT 1),
                -- folder image of the album's folder; for CD1/, Disc 2/ layouts the image one level up
                cover_path = COALESCE(
                    (SELECT f.path || '/' || f.cover_name FROM tracks t JOIN folders f ON f.id = t.folder_id
                     WHERE t.album_id = albums.id AND f.cover_name IS NOT NULL ORDER BY t.disc_number, t.track_number LIMIT 1),
                    (SELECT p.path || '/' || p.cover_name FROM tracks t JOIN folders f ON f.id = t.folder_id JOIN folders p ON p.id = f.parent_id
                     WHERE t.album_id = albums.id AND p.cover_name IS NOT NULL
                       AND (lower(f.name) LIKE 'cd%' OR lower(f.name) LIKE 'disc%' OR lower(f.name) LIKE 'disk%') LIMIT 1)),
                cover_track_id = (SELECT t.id FROM tracks t WHERE t.album_id = albums.id AND t.has_picture = 1 ORDER BY t.disc_number, t.track_number LIMIT 1),
                updated_at = @now
            {where}
            """, args, tx, cancellationToken: ct));

        // Album artists follow the album's first track, so an edited ALBUMARTIST tag is reflected;
        // then their copy on the album row (Catalog.ArtistRefs).
        await connection.ExecuteAsync(new CommandDefinition($"""
            DELETE FROM album_artists WHERE album_id IN (SELECT t.album_id FROM tracks t WHERE 1 = 1 {whereAlbum});
            INSERT INTO album_artists (album_id, artist_id, position)
            SELECT t.album_id, ta.artist_id, ta.position FROM track_artists ta JOIN tracks t ON t.id = ta.track_id
            WHERE ta.role = 'albumartist' AND t.id = (SELECT MIN(t2.id) FROM tracks t2 WHERE t2.album_id = t.album_id) {whereAlbum}
            ON CONFLICT (album_id, position) DO NOTHING;
            UPDATE albums SET artist_refs = (
                SELECT {db.Dialect.JsonPairs("ar.id", "ar.name", "aa.position")}
                FROM album_artists aa JOIN artists ar ON ar.id = aa.artist_id WHERE aa.album_id = albums.id)
            {where};
            """, args, tx, cancellationToken: ct));

        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM albums WHERE NOT EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = albums.id);
            DELETE FROM artists WHERE NOT EXISTS (SELECT 1 FROM track_artists ta WHERE ta.artist_id = artists.id)
                                  AND NOT EXISTS (SELECT 1 FROM album_artists aa WHERE aa.artist_id = artists.id);
            DELETE FROM genres WHERE NOT EXISTS (SELECT 1 FROM track_genres tg WHERE tg.genre_id = genres.id);
            """, transaction: tx, cancellationToken: ct));
        await Catalog.ArtistAlbums.RecountAsync(connection, tx, touched is null ? null : $"""
            SELECT artist_id FROM album_artists WHERE album_id IN ({db.Dialect.IdList("@ids")})
            UNION SELECT ta.artist_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE t.album_id IN ({db.Dialect.IdList("@ids")})
            """, args, ct);

        // Folders of fully scanned roots that the walk did not see are gone (but never those under an unreadable folder).
        var walked = walk.Folders.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var unreadable = walk.UnreadableFolders.Select(f => f + Path.DirectorySeparatorChar).ToList();
        var gone = (await connection.QueryAsync<(long Id, string Path, long RootId)>("SELECT id, path, root_id FROM folders", transaction: tx))
            .Where(f => InScope(scopes, f.RootId, f.Path) && !walked.Contains(f.Path) && !unreadable.Any(u => f.Path.StartsWith(u, StringComparison.Ordinal)))
            .Select(f => f.Id).ToList();
        foreach (var chunk in gone.Chunk(500))
            await connection.ExecuteAsync($"DELETE FROM folders WHERE id IN ({db.Dialect.IdList("@ids")})", new { ids = db.Dialect.Ids(chunk) }, tx);
        await Catalog.CatalogChanges.BumpAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
    }

    private async Task<ScanSummary> FinishRunAsync(DbConnection connection, long runId, ScanProgress progress, List<ScanError> errors, string status, Counts? counts, CancellationToken ct)
    {
        counts ??= new Counts();
        var finished = time.GetUtcNow();
        var totals = await connection.QuerySingleAsync<(long Tracks, long Albums, long Artists)>(
            "SELECT (SELECT COUNT(*) FROM tracks), (SELECT COUNT(*) FROM albums), (SELECT COUNT(*) FROM artists)");
        var summary = new ScanSummary
        {
            Status = status,
            FullScan = progress.FullScan,
            Added = counts.Added,
            Updated = counts.Updated,
            Removed = counts.Removed,
            Unchanged = counts.Unchanged,
            Moved = counts.Moved,
            Playlists = counts.Playlists,
            PhaseSeconds = counts.Phases,
            Tracks = totals.Tracks,
            Albums = totals.Albums,
            Artists = totals.Artists,
            Errors = errors,
            StartedAt = progress.StartedAt,
            FinishedAt = finished,
            Seconds = Math.Round((finished - progress.StartedAt).TotalSeconds, 3),
        };
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE scan_runs SET status = @status, finished_at = @finished, added = @Added, updated = @Updated, removed = @Removed,
                unchanged = @Unchanged, errors = @errors WHERE id = @runId
            """, new { status, finished = finished.ToString("O", CultureInfo.InvariantCulture), counts.Added, counts.Updated, counts.Removed, counts.Unchanged,
            errors = JsonSerializer.Serialize(errors), runId }, cancellationToken: ct));
        metrics.SetCatalogTracks(totals.Tracks);
        return summary;
    }

    /// <summary>Files a first scan must read before it defers the secondary indexes of tracks.</summary>
    private const int DeferIndexesFrom = 1000;

    /// <summary>Tag reads per hand-over from a reader to the writer.</summary>
    private const int ReadBatch = 16;

    private static Task Dedicated(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private sealed record Scope(long RootId, string Path);

    /// <summary>Whether a catalogued path lies in what this scan walked, so that its absence means it is gone.</summary>
    private static bool InScope(List<Scope> scopes, long rootId, string path)
    {
        foreach (var s in scopes)
            if (s.RootId == rootId && (path == s.Path || path.StartsWith(s.Path + "/", StringComparison.Ordinal))) return true;
        return false;
    }

    /// <summary>The given folders without those inside another one of them.</summary>
    internal static List<string> Outermost(IEnumerable<string> folders)
    {
        var sorted = folders.Select(f => Path.TrimEndingDirectorySeparator(f)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var result = new List<string>();
        foreach (var f in sorted)
            if (!result.Any(r => f.StartsWith(r + "/", StringComparison.Ordinal))) result.Add(f);
        return result;
    }

    private sealed record Existing(long Id, string Path, long Size, long Mtime, string Fingerprint, long RootId, long AlbumId);

    private sealed record ReadResult(WalkedFile File, long? ExistingId, TrackTags? Tags, TrackKeys? Keys, string? Error);

    private sealed class Counts
    {
        public int Added, Updated, Removed, Unchanged, Moved, Playlists;
        public IReadOnlyDictionary<string, double> Phases = new Dictionary<string, double>();
    }

    /// <summary>Seconds spent in each phase, reported in the summary: where a slow scan spends its time.</summary>
    private sealed class PhaseClock(TimeProvider time)
    {
        private readonly Dictionary<string, double> _seconds = [];
        private string _phase = "walking";
        private long _started = time.GetTimestamp();

        public void Next(string phase)
        {
            var now = time.GetTimestamp();
            _seconds[_phase] = Math.Round(time.GetElapsedTime(_started, now).TotalSeconds, 3);
            (_phase, _started) = (phase, now);
        }

        public IReadOnlyDictionary<string, double> Stop()
        {
            Next("");
            _seconds.Remove("");
            return _seconds;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read {Path}: {Reason}")]
    private partial void LogUnreadable(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The previous scan was interrupted; this scan completes it and refreshes every album")]
    private partial void LogResumingInterrupted();

    [LoggerMessage(Level = LogLevel.Information, Message = "Scan {Status}: {Added} added, {Updated} updated, {Removed} removed, {Unchanged} unchanged, {Errors} errors in {Seconds}s")]
    private partial void LogScanFinished(string status, int added, int updated, int removed, int unchanged, int errors, double seconds);
}
