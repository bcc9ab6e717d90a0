using System.Globalization;

namespace Sillon.Streaming;

public readonly record struct ByteRange(long Start, long End)
{
    public long Length => End - Start + 1;
}

/// <summary>
/// Parses a "Range: bytes=…" header (RFC 9110 §14.1.2) against a representation's length.
/// Syntax errors mean "ignore the header" (serve 200); valid but unsatisfiable ranges mean 416.
/// </summary>
public static class RangeRequest
{
    /// <summary>More ranges than this in one request is abuse, not a player: served as a whole instead.</summary>
    public const int MaxRanges = 16;

    public enum Outcome { None, Satisfiable, Unsatisfiable }

    public static (Outcome Outcome, List<ByteRange> Ranges) Parse(string? header, long length)
    {
        var ranges = new List<ByteRange>();
        if (string.IsNullOrWhiteSpace(header)) return (Outcome.None, ranges);
        var value = header.AsSpan().Trim();
        if (!value.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return (Outcome.None, ranges);
        value = value["bytes=".Length..];
        var count = 0;
        foreach (var part in value.Split(','))
        {
            var spec = value[part].Trim();
            if (spec.IsEmpty) continue;
            if (++count > MaxRanges) return (Outcome.None, []);
            var dash = spec.IndexOf('-');
            if (dash < 0) return (Outcome.None, []);
            var first = spec[..dash].Trim();
            var last = spec[(dash + 1)..].Trim();
            if (first.IsEmpty)
            {
                // Suffix range: the last N bytes.
                if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix)) return (Outcome.None, []);
                if (suffix == 0 || length == 0) continue;
                ranges.Add(new ByteRange(Math.Max(0, length - suffix), length - 1));
                continue;
            }
            if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start)) return (Outcome.None, []);
            long end;
            if (last.IsEmpty) end = length - 1;
            else if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start) return (Outcome.None, []);
            if (start >= length) continue; // unsatisfiable on its own; others may still be fine
            ranges.Add(new ByteRange(start, Math.Min(end, length - 1)));
        }
        if (count == 0) return (Outcome.None, ranges);
        return ranges.Count == 0 ? (Outcome.Unsatisfiable, ranges) : (Outcome.Satisfiable, Coalesce(ranges));
    }

    /// <summary>Overlapping or touching ranges are merged, as RFC 9110 allows, so no byte is sent twice.</summary>
    private static List<ByteRange> Coalesce(List<ByteRange> ranges)
    {
        if (ranges.Count < 2) return ranges;
        var sorted = ranges.OrderBy(r => r.Start).ToList();
        var merged = new List<ByteRange> { sorted[0] };
        foreach (var r in sorted.Skip(1))
        {
            var lastRange = merged[^1];
            if (r.Start <= lastRange.End + 1) merged[^1] = lastRange with { End = Math.Max(lastRange.End, r.End) };
            else merged.Add(r);
        }
        return merged;
    }
}
