using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Sillon.Data;
using Sillon.Library;

namespace Sillon.Playlists;

public sealed record WalkedPlaylist(string Path, long Size, long MtimeMs);

/// <summary>
/// The scan's "playlists" phase: M3U/M3U8/PLS files found in the music folders become public
/// playlists of the first administrator (the account with the lowest id among administrators),
/// as in Navidrome. Each scan re-reads the files it walked, so an edited file updates its playlist
/// and an entry that was missing is picked up once its track is scanned; a file that is gone
/// takes its playlist with it. Entries that match no track are kept in the playlist's
/// <c>missing</c> list, reported as scan errors and logged — never silently dropped.
/// </summary>
public static partial class PlaylistImport
{
    private const int MissingShown = 5;

    public sealed record Outcome(int Imported, int Updated, int Removed);

    private sealed record Known(long Id, string SourcePath, long? SourceSize, long? SourceMtime, string? Missing);

    /// <param name="inScope">Whether a path lies in what this scan walked, so that its absence means it is gone.</param>
    public static async Task<Outcome> SyncAsync(DbConnection c, IReadOnlyList<WalkedPlaylist> files, IReadOnlyList<string> roots,
        Func<string, bool> inScope, IReadOnlyList<string> unreadable, List<ScanError> errors, DateTimeOffset now, ILogger log, CancellationToken ct)
    {
        var known = (await c.QueryAsync<Known>(new CommandDefinition(
            "SELECT id AS Id, source_path AS SourcePath, source_size AS SourceSize, source_mtime AS SourceMtime, missing AS Missing FROM playlists WHERE source_path IS NOT NULL",
            cancellationToken: ct))).ToDictionary(k => k.SourcePath, StringComparer.Ordinal);
        var nowText = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        int imported = 0, updated = 0, removed = 0;

        var seen = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in known.Values.Where(k => !seen.Contains(k.SourcePath) && inScope(k.SourcePath)
                     && !unreadable.Any(u => k.SourcePath.StartsWith(u + "/", StringComparison.Ordinal))))
        {
            removed += await c.ExecuteAsync(new CommandDefinition("DELETE FROM playlists WHERE id = @Id", new { gone.Id }, cancellationToken: ct));
            LogRemoved(log, gone.SourcePath);
        }

        // A folder scan walks only what changed; playlists elsewhere that wait for a track may find
        // it in this scan, so they are resolved again too.
        var waiting = known.Values.Where(k => k.Missing is not null && !seen.Contains(k.SourcePath) && !inScope(k.SourcePath))
            .Select(k => new FileInfo(k.SourcePath)).Where(f => f.Exists)
            .Select(f => new WalkedPlaylist(f.FullName, f.Length, new DateTimeOffset(f.LastWriteTimeUtc).ToUnixTimeMilliseconds()));
        files = [.. files, .. waiting];
        if (files.Count == 0) return new Outcome(0, 0, removed);
        var owner = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM users WHERE is_admin = 1 ORDER BY id LIMIT 1", cancellationToken: ct));
        if (owner is null)
        {
            errors.Add(new ScanError("", $"{files.Count} playlist files found but no administrator account exists to own them yet: they are imported by the first scan after one is created"));
            return new Outcome(0, 0, removed);
        }

        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            ParsedPlaylist parsed;
            try
            {
                // Size first: a huge file is refused without reading it.
                if (file.Size > PlaylistFiles.MaxBytes) throw new PlaylistFileException($"larger than {PlaylistFiles.MaxBytes / (1024 * 1024)} MB: not imported");
                parsed = PlaylistFiles.Parse(await File.ReadAllBytesAsync(file.Path, ct), file.Path);
            }
            catch (Exception e) when (e is PlaylistFileException or IOException or UnauthorizedAccessException)
            {
                // A playlist that cannot be read keeps its last good version.
                errors.Add(new ScanError(file.Path, $"playlist: {e.Message}"));
                LogUnreadable(log, file.Path, e.Message);
                continue;
            }

            var folder = Path.GetDirectoryName(file.Path)!;
            var tracks = new List<long>(parsed.Entries.Count);
            var missing = new List<string>();
            foreach (var entry in parsed.Entries)
            {
                var (path, problem) = PlaylistFiles.Resolve(entry, folder);
                if (path is null) { missing.Add($"{entry} ({problem})"); continue; }
                if (!PlaylistFiles.IsInside(path, roots)) { missing.Add($"{entry} (outside the music folders)"); continue; }
                var id = await TrackIdAsync(c, path, ct);
                if (id is null && path.Normalize(NormalizationForm.FormC) is var nfc && nfc != path) id = await TrackIdAsync(c, nfc, ct);
                if (id is null) missing.Add(entry);
                else tracks.Add(id.Value);
            }
            if (missing.Count > 0)
            {
                var shown = string.Join(", ", missing.Take(MissingShown)) + (missing.Count > MissingShown ? $", and {missing.Count - MissingShown} more" : "");
                errors.Add(new ScanError(file.Path, $"playlist: {missing.Count} of {parsed.Entries.Count} entries match no track: {shown}"));
                LogMissing(log, file.Path, missing.Count, parsed.Entries.Count, shown);
            }
            var missingJson = missing.Count == 0 ? null : JsonSerializer.Serialize(missing);
            var name = string.IsNullOrWhiteSpace(parsed.Name) ? Path.GetFileNameWithoutExtension(file.Path) : parsed.Name;
            if (name.Length > PlaylistStore.MaxName) name = name[..PlaylistStore.MaxName];

            await using var tx = await c.BeginTransactionAsync(ct);
            long playlistId;
            if (known.TryGetValue(file.Path, out var row))
            {
                playlistId = row.Id;
                var old = (await c.QueryAsync<long>(new CommandDefinition("SELECT track_id FROM playlist_tracks WHERE playlist_id = @Id ORDER BY position",
                    new { row.Id }, tx, cancellationToken: ct))).ToList();
                var fileChanged = row.SourceSize != file.Size || row.SourceMtime != file.MtimeMs;
                if (!fileChanged && old.SequenceEqual(tracks) && row.Missing == missingJson) { await tx.RollbackAsync(ct); continue; }
                // The name follows the file only when the file changed, so a rename made in a client sticks.
                await c.ExecuteAsync(new CommandDefinition("""
                    UPDATE playlists SET name = CASE WHEN @fileChanged = 1 THEN @name ELSE name END, source_size = @Size, source_mtime = @MtimeMs,
                        missing = @missingJson, updated_at = @nowText WHERE id = @Id
                    """, new { fileChanged = fileChanged ? 1 : 0, name, file.Size, file.MtimeMs, missingJson, nowText, row.Id }, tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition("DELETE FROM playlist_tracks WHERE playlist_id = @Id", new { row.Id }, tx, cancellationToken: ct));
                updated++;
            }
            else
            {
                playlistId = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
                    INSERT INTO playlists (user_id, name, public, source_path, source_size, source_mtime, missing, created_at, updated_at)
                    VALUES (@owner, @name, 1, @Path, @Size, @MtimeMs, @missingJson, @nowText, @nowText) RETURNING id
                    """, new { owner, name, file.Path, file.Size, file.MtimeMs, missingJson, nowText }, tx, cancellationToken: ct));
                imported++;
            }
            await c.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO playlist_tracks (playlist_id, position, track_id) SELECT @playlistId, l.position, l.id FROM ({c.Dialect().IdListWithPosition("@ids")}) l
                """, new { playlistId, ids = c.Dialect().Ids(tracks) }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);

        }
        return new Outcome(imported, updated, removed);
    }

    private static Task<long?> TrackIdAsync(DbConnection c, string path, CancellationToken ct) =>
        c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM tracks WHERE path = @path", new { path }, cancellationToken: ct));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Playlist {Path}: {Missing} of {Total} entries match no track: {Entries}")]
    private static partial void LogMissing(ILogger log, string path, int missing, int total, string entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Playlist {Path} not imported: {Reason}")]
    private static partial void LogUnreadable(ILogger log, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Playlist file {Path} is gone: its playlist is removed")]
    private static partial void LogRemoved(ILogger log, string path);
}
