using System.Data.Common;
using System.Globalization;
using Dapper;
using Sillon.Data;

namespace Sillon.Library;

/// <summary>A music folder as the admin page shows it.</summary>
/// <param name="Source">"config" (--music, SILLON_MUSIC, sillon.json: changed only there) or "admin" (added from the web, removable).</param>
public sealed record LibraryFolder(long? Id, string Path, string Source, bool Exists, long Tracks);

public enum FolderError { None, Invalid, Conflict, NotFound, Configured }

/// <summary>
/// The one source of truth for the music folders: those of the configuration, then those an
/// administrator added (rows of <c>library_roots</c> with <c>added_at</c>). The scanner, the watcher
/// and the admin API all ask here, so a folder added from the web is scanned and watched like a
/// --music folder and survives restarts. Removing one marks its row (<c>removed_at</c>); the next scan
/// deletes its tracks, then the row.
/// </summary>
public sealed class LibraryFolders(Database db, SillonOptions options, TimeProvider time)
{
    /// <summary>Raised after a folder is added or removed (the watcher follows).</summary>
    public event Action? Changed;

    public async Task<IReadOnlyList<string>> RootsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await RootsAsync(c, ct);
    }

    public async Task<IReadOnlyList<string>> RootsAsync(DbConnection c, CancellationToken ct)
    {
        var added = await c.QueryAsync<string>(new CommandDefinition(
            "SELECT path FROM library_roots WHERE added_at IS NOT NULL AND removed_at IS NULL ORDER BY id", cancellationToken: ct));
        return [.. options.Music.Concat(added).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Roots an administrator removed whose tracks are still in the catalog: the scan deletes them.</summary>
    internal async Task<IReadOnlyList<(long Id, string Path)>> DetachedAsync(DbConnection c, IReadOnlyList<string> roots, CancellationToken ct)
    {
        var rows = await c.QueryAsync<(long Id, string Path)>(new CommandDefinition(
            "SELECT id, path FROM library_roots WHERE removed_at IS NOT NULL ORDER BY id", cancellationToken: ct));
        return [.. rows.Where(r => !roots.Contains(r.Path, StringComparer.Ordinal))];
    }

    public async Task<IReadOnlyList<LibraryFolder>> ListAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = (await c.QueryAsync<(long Id, string Path, string? AddedAt, string? RemovedAt, long Tracks)>(new CommandDefinition("""
            SELECT r.id, r.path, r.added_at, r.removed_at, (SELECT COUNT(*) FROM tracks t WHERE t.root_id = r.id)
            FROM library_roots r ORDER BY r.id
            """, cancellationToken: ct))).ToDictionary(r => r.Path, StringComparer.Ordinal);
        var list = new List<LibraryFolder>();
        foreach (var path in options.Music)
        {
            var row = rows.GetValueOrDefault(path);
            list.Add(new LibraryFolder(row.Path is null ? null : row.Id, path, "config", Directory.Exists(path), row.Tracks));
        }
        foreach (var row in rows.Values.Where(r => r.AddedAt is not null && r.RemovedAt is null && !options.Music.Contains(r.Path, StringComparer.Ordinal)))
            list.Add(new LibraryFolder(row.Id, row.Path, "admin", Directory.Exists(row.Path), row.Tracks));
        return list;
    }

    /// <summary>
    /// Adds a folder after checking it: an absolute path to an existing, readable directory that is
    /// neither inside nor around another music folder (a track must belong to one root, and
    /// nested roots would catalogue files twice). Symlinks are resolved before comparing.
    /// </summary>
    public async Task<(FolderError Error, string? Message, LibraryFolder? Folder)> AddAsync(string? path, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(path)) return (FolderError.Invalid, "path is required", null);
        if (!Path.IsPathFullyQualified(path)) return (FolderError.Invalid, $"{path} is not an absolute path", null);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (File.Exists(full)) return (FolderError.Invalid, $"{full} is a file, not a folder", null);
        if (!Directory.Exists(full)) return (FolderError.Invalid, $"{full} does not exist (or is not mounted)", null);
        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(full).GetEnumerator();
            entries.MoveNext();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return (FolderError.Invalid, $"{full} cannot be read by the server: {e.Message}", null);
        }
        var real = LibraryWalker.RealPath(full) ?? full;
        foreach (var root in await RootsAsync(ct))
        {
            var rootReal = LibraryWalker.RealPath(root) ?? root;
            if (root == full || rootReal == real) return (FolderError.Conflict, $"{full} is already a music folder", null);
            if (Inside(full, root) || Inside(real, rootReal)) return (FolderError.Invalid, $"{full} is inside the music folder {root}", null);
            if (Inside(root, full) || Inside(rootReal, real)) return (FolderError.Invalid, $"{full} contains the music folder {root}", null);
        }
        var now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        await using var c = await db.OpenAsync(ct);
        // A folder removed and added again before the scan purged it simply comes back, tracks and ids intact.
        var id = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO library_roots (path, added_at) VALUES (@full, @now)
            ON CONFLICT (path) DO UPDATE SET added_at = excluded.added_at, removed_at = NULL RETURNING id
            """, new { full, now }, cancellationToken: ct));
        var tracks = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM tracks WHERE root_id = @id", new { id }, cancellationToken: ct));
        Changed?.Invoke();
        return (FolderError.None, null, new LibraryFolder(id, full, "admin", true, tracks));
    }

    /// <summary>Removes a folder an administrator added; its tracks leave the catalog at the scan that follows.</summary>
    public async Task<(FolderError Error, string? Path)> RemoveAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(string Path, string? AddedAt, string? RemovedAt)>(new CommandDefinition(
            "SELECT path, added_at, removed_at FROM library_roots WHERE id = @id", new { id }, cancellationToken: ct));
        var path = row.Path;
        if (path is not null && options.Music.Contains(path, StringComparer.Ordinal)) return (FolderError.Configured, path);
        if (path is null || row.AddedAt is null || row.RemovedAt is not null) return (FolderError.NotFound, null);
        await c.ExecuteAsync(new CommandDefinition("UPDATE library_roots SET removed_at = @now WHERE id = @id",
            new { id, now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) }, cancellationToken: ct));
        Changed?.Invoke();
        return (FolderError.None, path);
    }

    /// <summary>After the scan deleted a detached root's tracks: the row and its folders go.</summary>
    internal static async Task DeleteDetachedAsync(DbConnection c, IReadOnlyList<(long Id, string Path)> detached, ISqlDialect dialect, CancellationToken ct)
    {
        if (detached.Count == 0) return;
        var ids = dialect.Ids(detached.Select(d => d.Id).ToList());
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition($"DELETE FROM folders WHERE root_id IN ({dialect.IdList("@ids")})", new { ids }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM library_roots WHERE id IN ({dialect.IdList("@ids")}) AND NOT EXISTS (SELECT 1 FROM tracks t WHERE t.root_id = library_roots.id)",
            new { ids }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    private static bool Inside(string path, string root) =>
        path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);
}
