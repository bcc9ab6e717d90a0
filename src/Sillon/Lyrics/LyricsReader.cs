using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Sillon.Data;
using TagLib;

namespace Sillon.Lyrics;

/// <summary>One set of lyrics of a track: its language (ISO 639 as tagged, "xxx" when unknown), lines, and where it came from.</summary>
public sealed record TrackLyrics(string Lang, bool Synced, long? Offset, IReadOnlyList<LyricLine> Lines, string Source);

public sealed record LyricsOfTrack(string Artist, string Title, IReadOnlyList<TrackLyrics> Lyrics);

/// <summary>
/// Every set of lyrics a track has: sidecar files next to it (<c>Song.lrc</c>, <c>Song.fr.lrc</c>,
/// <c>Song.eng.lrc</c>) and its embedded tags (ID3 USLT and SYLT frames of each language, Vorbis
/// LYRICS and UNSYNCEDLYRICS, MP4/ASF/APE lyrics). Read when asked rather than at scan time: a
/// sidecar added or edited beside an unchanged audio file is seen at once, without a rescan, at the
/// cost of one tag read per request. Synced sets come first, then plain ones; sidecars before tags.
/// </summary>
public sealed partial class LyricsReader(Database db, ILogger<LyricsReader> log)
{
    public const string Unknown = "xxx";
    private const long MaxSidecarBytes = 512 * 1024;
    private const int MaxSidecars = 16;

    private sealed record Row(string Path, string Artist, string Title, string? Lyrics);

    public async Task<LyricsOfTrack?> ForTrackAsync(long trackId, CancellationToken ct)
    {
        Row? row;
        await using (var c = await db.OpenAsync(ct))
            row = await c.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                "SELECT path AS Path, display_artist AS Artist, title AS Title, lyrics AS Lyrics FROM tracks WHERE id = @trackId",
                new { trackId }, cancellationToken: ct));
        if (row is null) return null;
        var found = new List<TrackLyrics>();
        found.AddRange(await SidecarsAsync(row.Path, ct));
        var embedded = Embedded(row.Path);
        // The file could not be read now (moved, unmounted): what the last scan stored still stands.
        if (embedded is null && !string.IsNullOrWhiteSpace(row.Lyrics)) embedded = [FromText(row.Lyrics, Unknown, "embedded")];
        found.AddRange(embedded ?? []);
        var distinct = new List<TrackLyrics>();
        foreach (var l in found.Where(l => l.Lines.Count > 0))
            if (!distinct.Any(d => d.Synced == l.Synced && d.Lines.SequenceEqual(l.Lines))) distinct.Add(l);
        return new LyricsOfTrack(row.Artist, row.Title, [.. distinct.OrderBy(l => l.Synced ? 0 : 1)]);
    }

    private static TrackLyrics FromText(string text, string lang, string source)
    {
        var parsed = LrcParser.Parse(text);
        return new TrackLyrics(lang, parsed.Synced, parsed.Offset, parsed.Lines, source);
    }

    private async Task<List<TrackLyrics>> SidecarsAsync(string audioPath, CancellationToken ct)
    {
        var result = new List<TrackLyrics>();
        var dir = Path.GetDirectoryName(audioPath);
        var stem = Path.GetFileNameWithoutExtension(audioPath);
        if (dir is null || !Directory.Exists(dir)) return result;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(dir)
                .Where(f => Path.GetFileName(f) is var name && name.StartsWith(stem, StringComparison.OrdinalIgnoreCase)
                    && name.EndsWith(".lrc", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).Take(MaxSidecars).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { LogUnreadable(log, dir, e.Message); return result; }
        foreach (var file in candidates)
        {
            var middle = Path.GetFileName(file)[stem.Length..^4];
            string lang;
            if (middle.Length == 0) lang = Unknown;
            else if (SidecarLanguage().Match(middle) is { Success: true } m) lang = m.Groups[1].Value.ToLowerInvariant();
            else continue; // "Song (live).lrc" belongs to another track
            try
            {
                var info = new FileInfo(file);
                if (info.Length > MaxSidecarBytes) { LogTooBig(log, file, info.Length); continue; }
                result.Add(FromText(await System.IO.File.ReadAllTextAsync(file, Encoding.UTF8, ct), lang, "sidecar"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { LogUnreadable(log, file, e.Message); }
        }
        return result;
    }

    /// <summary>The lyrics in the file's tags, or null when the file cannot be read.</summary>
    private List<TrackLyrics>? Embedded(string path)
    {
        TagLib.File file;
        try { file = TagLib.File.Create(path, ReadStyle.None); }
        // TagLibSharp throws a zoo of exception types on damaged files (see TagReader): any of them means "unreadable now".
        catch (Exception e)
        {
            LogUnreadable(log, path, e.Message);
            return null;
        }
        using (file)
        {
            var result = new List<TrackLyrics>();
            if (file.GetTag(TagTypes.Id3v2, false) is TagLib.Id3v2.Tag id3)
            {
                foreach (var frame in id3.GetFrames<TagLib.Id3v2.SynchronisedLyricsFrame>())
                {
                    // Times in MPEG frames would need the frame duration; every tagger we know writes milliseconds.
                    if (frame.Format != TagLib.Id3v2.TimestampFormat.AbsoluteMilliseconds || frame.Type is not (TagLib.Id3v2.SynchedTextType.Lyrics or TagLib.Id3v2.SynchedTextType.TextTranscription)) continue;
                    var lines = frame.Text.OrderBy(t => t.Time).Select(t => new LyricLine(t.Time, t.Text.Trim('\r', '\n', ' '))).ToList();
                    result.Add(new TrackLyrics(Language(frame.Language), true, null, lines, "embedded"));
                }
                foreach (var frame in id3.GetFrames<TagLib.Id3v2.UnsynchronisedLyricsFrame>())
                    if (!string.IsNullOrWhiteSpace(frame.Text)) result.Add(FromText(frame.Text, Language(frame.Language), "embedded"));
            }
            if (file.GetTag(TagTypes.Xiph, false) is TagLib.Ogg.XiphComment xiph)
                foreach (var field in (string[])["LYRICS", "UNSYNCEDLYRICS"])
                    foreach (var text in xiph.GetField(field).Where(t => !string.IsNullOrWhiteSpace(t)))
                        result.Add(FromText(text, Unknown, "embedded"));
            if (result.Count == 0 && !string.IsNullOrWhiteSpace(file.Tag.Lyrics)) result.Add(FromText(file.Tag.Lyrics, Unknown, "embedded"));
            return result;
        }
    }

    // ID3 languages are ISO 639-2 codes; taggers write "XXX" or blanks when they do not know.
    private static string Language(string? code) =>
        code is { Length: 3 } && code.All(char.IsAsciiLetter) ? code.ToLowerInvariant() : Unknown;

    [GeneratedRegex(@"^\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)$")]
    private static partial Regex SidecarLanguage();

    [LoggerMessage(Level = LogLevel.Information, Message = "Lyrics: {Path} could not be read: {Reason}")]
    private static partial void LogUnreadable(ILogger log, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lyrics: sidecar {Path} ignored, {Bytes} bytes is more than lyrics ever need")]
    private static partial void LogTooBig(ILogger log, string path, long bytes);
}
