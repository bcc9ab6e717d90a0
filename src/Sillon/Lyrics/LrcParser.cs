using System.Globalization;
using System.Text.RegularExpressions;

namespace Sillon.Lyrics;

public sealed record LyricLine(long? Start, string Value);

/// <summary>Lyrics text as parsed: synced lines with times (ms), or plain lines; the LRC [offset:] in ms.</summary>
public sealed record ParsedLyrics(bool Synced, long? Offset, IReadOnlyList<LyricLine> Lines);

public static partial class LrcParser
{
    /// <summary>
    /// LRC when any line carries a [mm:ss.xx] time (several times per line allowed, [offset:±ms]
    /// honoured as a field, [ar:]-style tags dropped); otherwise plain lines without times.
    /// </summary>
    public static ParsedLyrics Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var synced = new List<LyricLine>();
        long? offset = null;
        foreach (var line in lines)
        {
            var rest = line;
            var times = new List<long>();
            while (TimeTag().Match(rest) is { Success: true } m)
            {
                var ms = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60_000 + long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * 1000;
                if (m.Groups[3].Success) ms += long.Parse(m.Groups[3].Value.PadRight(3, '0')[..3], CultureInfo.InvariantCulture);
                times.Add(ms);
                rest = rest[m.Length..];
            }
            if (times.Count > 0) { synced.AddRange(times.Select(t => new LyricLine(t, rest.Trim()))); continue; }
            if (OffsetTag().Match(line) is { Success: true } o && long.TryParse(o.Groups[1].Value, CultureInfo.InvariantCulture, out var off)) offset = off;
        }
        if (synced.Count > 0) return new ParsedLyrics(true, offset, synced.OrderBy(l => l.Start).ToList());
        var plain = lines.Where(l => !MetaTag().IsMatch(l)).Select(l => new LyricLine(null, l.TrimEnd())).ToList();
        while (plain.Count > 0 && plain[^1].Value.Length == 0) plain.RemoveAt(plain.Count - 1);
        while (plain.Count > 0 && plain[0].Value.Length == 0) plain.RemoveAt(0);
        return new ParsedLyrics(false, null, plain);
    }

    [GeneratedRegex(@"^\s*\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]")]
    private static partial Regex TimeTag();

    [GeneratedRegex(@"^\s*\[offset:\s*([+-]?\d{1,9})\s*\]\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex OffsetTag();

    [GeneratedRegex(@"^\s*\[(ar|ti|al|au|by|length|offset|re|ve|la|lang|#):.*\]\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex MetaTag();
}
