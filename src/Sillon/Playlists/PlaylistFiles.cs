using System.Globalization;
using System.Text;

namespace Sillon.Playlists;

/// <summary>A playlist file that cannot be imported, and why.</summary>
public sealed class PlaylistFileException(string message) : Exception(message);

public sealed record ParsedPlaylist(string? Name, IReadOnlyList<string> Entries);

/// <summary>
/// Reading and writing playlist files: M3U/M3U8 (plain or extended, <c>#EXTM3U</c>, <c>#EXTINF</c>,
/// <c>#PLAYLIST</c>) and PLS (<c>FileN=</c>). Parsing is pure; resolving an entry to a path is
/// lexical only — the importer then looks the path up in the catalog and never opens it, so an
/// entry can only ever name a track of the library.
/// </summary>
public static class PlaylistFiles
{
    public const long MaxBytes = 4 * 1024 * 1024;
    public const int MaxEntries = 10_000;

    public static bool IsPlaylist(ReadOnlySpan<char> fileName) =>
        fileName.EndsWith(".m3u", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase)
        || fileName.EndsWith(".pls", StringComparison.OrdinalIgnoreCase);

    public static ParsedPlaylist Parse(byte[] bytes, string fileName)
    {
        if (bytes.Length > MaxBytes) throw new PlaylistFileException($"larger than {MaxBytes / (1024 * 1024)} MB: not imported");
        if (Array.IndexOf(bytes, (byte)0) >= 0) throw new PlaylistFileException("binary data, not a text playlist: not imported");
        var text = Decode(bytes);
        var lines = text.Split(["\r\n", "\n", "\r"], StringSplitOptions.None);
        var parsed = fileName.EndsWith(".pls", StringComparison.OrdinalIgnoreCase) ? ParsePls(lines) : ParseM3u(lines);
        if (parsed.Entries.Count > MaxEntries) throw new PlaylistFileException($"more than {MaxEntries} entries: not imported");
        return parsed;
    }

    /// <summary>UTF-8 (BOM or not) when the bytes are valid UTF-8; otherwise Latin-1, what old .m3u writers used.</summary>
    private static string Decode(byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(span); }
        catch (DecoderFallbackException) { return Encoding.Latin1.GetString(span); }
    }

    private static ParsedPlaylist ParseM3u(string[] lines)
    {
        string? name = null;
        var entries = new List<string>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                if (line.StartsWith("#PLAYLIST:", StringComparison.OrdinalIgnoreCase) && line.Length > 10) name = line[10..].Trim();
                continue; // #EXTM3U, #EXTINF and other directives describe the entry that follows; the path is what matters
            }
            entries.Add(line);
        }
        return new ParsedPlaylist(name, entries);
    }

    private static ParsedPlaylist ParsePls(string[] lines)
    {
        var files = new SortedDictionary<int, string>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (!line.StartsWith("File", StringComparison.OrdinalIgnoreCase)) continue;
            var eq = line.IndexOf('=');
            if (eq < 5 || !int.TryParse(line.AsSpan(4, eq - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) continue;
            var value = line[(eq + 1)..].Trim();
            if (value.Length > 0) files[n] = value;
        }
        return new ParsedPlaylist(null, files.Values.ToList());
    }

    /// <summary>
    /// The absolute, normalized path an entry names (relative entries against the playlist's folder,
    /// <c>file://</c> URLs decoded, Windows separators turned), or an explanation of why it names none.
    /// </summary>
    public static (string? Path, string? Problem) Resolve(string entry, string playlistFolder)
    {
        var value = entry;
        if (value.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || !uri.IsFile) return (null, "not a valid file URL");
            value = uri.LocalPath;
        }
        else if (value.Contains("://", StringComparison.Ordinal)) return (null, "not a local file (a URL)");
        value = value.Replace('\\', '/');
        try
        {
            var full = Path.GetFullPath(Path.IsPathRooted(value) ? value : Path.Combine(playlistFolder, value));
            return (full, null);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return (null, "not a valid path");
        }
    }

    /// <summary>Whether a resolved path lies inside one of the music folders (after ".." has been folded away).</summary>
    public static bool IsInside(string path, IEnumerable<string> roots) =>
        roots.Any(r => path.StartsWith(Path.TrimEndingDirectorySeparator(r) + "/", StringComparison.Ordinal));

    public static string WriteM3u8(string name, IEnumerable<ExportTrack> tracks, bool absolute)
    {
        var sb = new StringBuilder("#EXTM3U\n");
        sb.Append("#PLAYLIST:").Append(OneLine(name)).Append('\n');
        foreach (var t in tracks)
        {
            sb.Append("#EXTINF:").Append(((long)Math.Round(t.Duration)).ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(OneLine(t.Artist)).Append(" - ").Append(OneLine(t.Title)).Append('\n');
            sb.Append(absolute ? t.Path : Path.GetRelativePath(t.RootPath, t.Path)).Append('\n');
        }
        return sb.ToString();
    }

    private static string OneLine(string s) => s.Replace('\r', ' ').Replace('\n', ' ');

    /// <summary>A download name without path separators or control characters.</summary>
    public static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['\\', '/', ':', '"', '*', '?', '<', '>', '|']).ToHashSet();
        var safe = new string(name.Select(c => invalid.Contains(c) || char.IsControl(c) ? '_' : c).ToArray()).Trim().TrimStart('.');
        return safe.Length == 0 ? "playlist" : safe.Length > 100 ? safe[..100] : safe;
    }
}
