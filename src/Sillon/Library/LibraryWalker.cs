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

    public void Walk(string root, long rootId, WalkResult result, ScanProgress progress, CancellationToken ct)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var rootReal = RealPath(root) ?? root;
        visited.Add(rootReal);
        var stack = new Stack<(string Path, string? Parent, string Real)>();
        stack.Push((root, null, rootReal));
        while (stack.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (dir, parent, real) = stack.Pop();
            string? bestCover = null;
            var bestRank = int.MaxValue;
            var subdirs = new List<(string, string)>();
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
                            if (!visited.Add(target))
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
                        if (visited.Add(childReal)) subdirs.Add((entry.FullName, childReal));
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
                continue;
            }
            result.Folders.Add(new WalkedFolder(dir, parent, rootId, bestCover));
            // Reverse so that the stack pops children in name order: a stable, readable scan order.
            subdirs.Sort((a, b) => string.CompareOrdinal(b.Item1, a.Item1));
            foreach (var (path, childReal) in subdirs) stack.Push((path, dir, childReal));
        }
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
