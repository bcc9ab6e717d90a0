using System.Runtime.InteropServices;

namespace Sillon.Library;

public sealed record WalkedFile(string Path, long Size, long MtimeMs, long RootId, string Folder);

public sealed record WalkedFolder(string Path, string? Parent, long RootId, string? CoverName);

public sealed class WalkResult
{
    public List<WalkedFile> Files { get; } = [];
    /// <summary>In walk order: a folder always comes after its parent.</summary>
    public List<WalkedFolder> Folders { get; } = [];
    /// <summary>M3U/M3U8/PLS files, imported by the playlists phase.</summary>
    public List<Playlists.WalkedPlaylist> PlaylistFiles { get; } = [];
    /// <summary>Folders that could not be listed: what was under them is unknown, not deleted.</summary>
    public List<string> UnreadableFolders { get; } = [];
    public List<ScanError> Errors { get; } = [];
}

/// <summary>
/// Phase 1 of a scan: lists a music folder's audio files with their size and modification time,
/// and remembers each folder's best cover image. Follows directory symlinks, but visits each real
/// directory once, so a symlink loop ends with an error instead of running forever.
/// </summary>
public sealed partial class LibraryWalker(CoverArtNames coverNames)
{
    private static readonly EnumerationOptions ListOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// Walks <paramref name="root"/> into <paramref name="result"/>. Its subfolders are walked in
    /// parallel, one per core at a time, each into a result of its own; the parts are joined in name
    /// order, so files and folders come out as one depth-first walk lists them (a folder after its
    /// parent). Listing is mostly system calls, and an unchanged rescan is mostly listing.
    /// Symbolic links to folders are followed afterwards, one at a time in that same order, so the
    /// walk stays deterministic: a folder reached both by its own path and through a link is always
    /// listed under its own path.
    /// </summary>
    public void Walk(string root, long rootId, WalkResult result, ScanProgress progress, CancellationToken ct)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var rootReal = RealPath(root) ?? root;
        visited.Add(rootReal);
        // The root itself: a failure to list it is the caller's to judge, so it is thrown from here.
        var rootLinks = new List<Link>();
        var units = List(root, null, rootReal, rootId, result, visited, progress, rootLinks);
        var parts = new (WalkResult Result, List<Link> Links)[units.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct };
        try
        {
            Parallel.For(0, units.Count, options, i =>
            {
                var part = (new WalkResult(), new List<Link>());
                WalkBelow(units[i].Path, root, units[i].Real, rootId, part.Item1, visited, progress, part.Item2, ct);
                parts[i] = part;
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        foreach (var (part, _) in parts) Append(result, part);
        foreach (var link in parts.SelectMany(p => p.Links).Concat(rootLinks))
        {
            ct.ThrowIfCancellationRequested();
            if (!Visit(visited, link.Target))
            {
                result.Errors.Add(new ScanError(link.Path, $"symbolic link loop or duplicate folder (points to {link.Target}): skipped"));
                continue;
            }
            WalkBelow(link.Path, link.Parent, link.Target, rootId, result, visited, progress, null, ct);
        }
    }

    /// <summary>A symbolic link to a folder, followed once the parallel walk is done.</summary>
    private sealed record Link(string Path, string Parent, string Target);

    private static void Append(WalkResult into, WalkResult part)
    {
        into.Files.AddRange(part.Files);
        into.Folders.AddRange(part.Folders);
        into.PlaylistFiles.AddRange(part.PlaylistFiles);
        into.UnreadableFolders.AddRange(part.UnreadableFolders);
        into.Errors.AddRange(part.Errors);
    }

    /// <summary>One subtree, depth first in name order; links to folders go to <paramref name="links"/>, or are followed at once when it is null.</summary>
    private void WalkBelow(string start, string parent, string startReal, long rootId, WalkResult result, HashSet<string> visited, ScanProgress progress, List<Link>? links, CancellationToken ct)
    {
        var stack = new Stack<(string Path, string Parent, string Real)>();
        stack.Push((start, parent, startReal));
        while (stack.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (dir, up, real) = stack.Pop();
            var subdirs = List(dir, up, real, rootId, result, visited, progress, links);
            // Reverse so that the stack pops children in name order: a stable, readable scan order.
            for (var i = subdirs.Count - 1; i >= 0; i--) stack.Push((subdirs[i].Path, dir, subdirs[i].Real));
        }
    }

    /// <summary>
    /// Lists one folder into <paramref name="result"/> and returns its subfolders in name order.
    /// A folder that cannot be listed is recorded as unreadable, except the root, whose failure is thrown.
    /// </summary>
    private List<(string Path, string Real)> List(string dir, string? parent, string real, long rootId, WalkResult result, HashSet<string> visited, ScanProgress progress, List<Link>? links)
    {
        string? bestCover = null;
        var bestRank = int.MaxValue;
        var subdirs = new List<(string Path, string Real)>();
        try
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", ListOptions))
            {
                var name = entry.Name;
                if (name.StartsWith('.')) continue; // hidden files and AppleDouble "._x.mp3" junk
                var isDir = (entry.Attributes & FileAttributes.Directory) != 0;
                // The attribute comes with the directory entry; LinkTarget would cost a readlink per file.
                var isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
                if (isLink)
                {
                    // Resolve to learn whether it is a directory, and to catch loops and dangling links.
                    var target = RealPath(entry.FullName);
                    if (target is null)
                    {
                        result.Errors.Add(new ScanError(entry.FullName, "broken symbolic link"));
                        continue;
                    }
                    if (Directory.Exists(target))
                    {
                        if (links is not null)
                        {
                            links.Add(new Link(entry.FullName, dir, target));
                            continue;
                        }
                        if (!Visit(visited, target))
                        {
                            result.Errors.Add(new ScanError(entry.FullName, $"symbolic link loop or duplicate folder (points to {target}): skipped"));
                            continue;
                        }
                        subdirs.Add((entry.FullName, target));
                        continue;
                    }
                    isDir = false;
                }
                if (isDir)
                {
                    var childReal = Path.Combine(real, name);
                    if (Visit(visited, childReal)) subdirs.Add((entry.FullName, childReal));
                    continue;
                }
                if (AudioFormats.IsAudio(name))
                {
                    var info = isLink ? new FileInfo(entry.FullName) : (FileInfo)entry;
                    long size;
                    DateTime mtime;
                    try { size = info.Length; mtime = info.LastWriteTimeUtc; }
                    catch (IOException e) { result.Errors.Add(new ScanError(entry.FullName, e.Message)); continue; }
                    result.Files.Add(new WalkedFile(entry.FullName, size, new DateTimeOffset(mtime).ToUnixTimeMilliseconds(), rootId, dir));
                    progress.Found();
                }
                else if (Playlists.PlaylistFiles.IsPlaylist(name))
                {
                    var info = isLink ? new FileInfo(entry.FullName) : (FileInfo)entry;
                    try { result.PlaylistFiles.Add(new Playlists.WalkedPlaylist(entry.FullName, info.Length, new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeMilliseconds())); }
                    catch (IOException e) { result.Errors.Add(new ScanError(entry.FullName, e.Message)); }
                }
                else if (AudioFormats.IsImage(name))
                {
                    var rank = coverNames.Rank(name);
                    if (rank < bestRank) (bestRank, bestCover) = (rank, name);
                }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            result.UnreadableFolders.Add(dir);
            result.Errors.Add(new ScanError(dir, e is UnauthorizedAccessException ? "permission denied: folder skipped, its tracks are kept" : $"cannot list folder: {e.Message}"));
            if (parent is null) throw; // the root itself: the caller decides what that means
            return [];
        }
        result.Folders.Add(new WalkedFolder(dir, parent, rootId, bestCover));
        subdirs.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return subdirs;
    }

    /// <summary>Marks a real folder as visited; false when it was already (a loop, or two links to one folder).</summary>
    private static bool Visit(HashSet<string> visited, string real)
    {
        lock (visited) return visited.Add(real);
    }

    /// <summary>The canonical path with every symlink resolved (POSIX realpath), or null when it does not resolve.</summary>
    internal static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return Path.GetFullPath(new DirectoryInfo(path).ResolveLinkTarget(true)?.FullName ?? path);
        var ptr = realpath(path, IntPtr.Zero);
        if (ptr == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(ptr); }
        finally { free(ptr); }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void free(IntPtr ptr);
}

/// <summary>
/// The configured folder-image priority, e.g. "cover.*, folder.*, front.*": a lower rank wins.
/// A pattern is a file name with '*' wildcards, compared without case.
/// </summary>
public sealed class CoverArtNames(IReadOnlyList<string> patterns)
{
    public static readonly string[] Default = ["cover.*", "folder.*", "front.*", "album.*", "albumart.*", "*"];

    public int Rank(string fileName)
    {
        for (var i = 0; i < patterns.Count; i++)
            if (Matches(fileName, patterns[i])) return i;
        return int.MaxValue;
    }

    private static bool Matches(string name, string pattern) =>
        System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, name, ignoreCase: true);
}
