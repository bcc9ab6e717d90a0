using System.Globalization;

namespace Sillon.Streaming.Transcoding;

/// <summary>What a stream request asked for, before any decision.</summary>
public sealed record StreamRequest(string? Format, int? MaxBitRate, double? TimeOffset, bool EstimateContentLength, string? Client);

/// <summary>The limits an administrator set for the user and for the client (player) they stream with.</summary>
public sealed record StreamLimits(int? UserMaxBitRate, string? UserFormat, int? PlayerMaxBitRate, string? PlayerFormat, string ReplayGain)
{
    public static readonly StreamLimits None = new(null, null, null, null, "off");
}

/// <summary>The source as the catalog knows it.</summary>
public sealed record SourceTrack(long Id, string Path, string Suffix, string Codec, long BitRate, double Duration, long MtimeMs,
    double? TrackGain, double? TrackPeak, double? AlbumGain, double? AlbumPeak);

public abstract record StreamPlan
{
    public sealed record Original : StreamPlan;
    public sealed record Transcode(OutputFormat Format, int BitRate, double Offset, double? GainDb) : StreamPlan
    {
        /// <summary>Everything that changes the output bytes, for the cache key.</summary>
        public string Variant => string.Create(CultureInfo.InvariantCulture, $"{Format.Name}-{BitRate}-{Offset:0.###}-{GainDb:0.##}");
    }
    public sealed record Invalid(string Message) : StreamPlan;
}

/// <summary>
/// The Subsonic rules for "what do we send": `format=raw` sends the original; otherwise the
/// tightest of the request's, the player's and the user's maximum bitrate applies, in the
/// request's format, else the player's, else the user's, else MP3; a source already within the
/// limits and in the wanted format is sent as it is.
/// </summary>
public static class TranscodeDecision
{
    /// <summary>Codecs each output format can pass through untouched.</summary>
    private static readonly Dictionary<string, string[]> SameCodec = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mp3"] = ["MP3"], ["opus"] = ["Opus"], ["aac"] = ["AAC"], ["m4a"] = ["AAC"], ["flac"] = ["FLAC"],
    };

    public static StreamPlan Decide(SourceTrack source, StreamRequest request, StreamLimits limits)
    {
        if (request.MaxBitRate is < 0) return new StreamPlan.Invalid($"maxBitRate must be 0 (no limit) or a positive number of kbps, not {request.MaxBitRate}");
        if (request.TimeOffset is { } t && (t < 0 || double.IsNaN(t) || double.IsInfinity(t)))
            return new StreamPlan.Invalid("timeOffset must be a number of seconds from 0");
        var requested = string.IsNullOrWhiteSpace(request.Format) ? null : request.Format.Trim();
        if (requested is not null && !requested.Equals(OutputFormat.Raw, StringComparison.OrdinalIgnoreCase) && !OutputFormat.All.ContainsKey(requested))
            return new StreamPlan.Invalid($"unknown format '{requested}'; use one of raw, mp3, opus, aac, m4a, flac");
        if (string.Equals(requested, OutputFormat.Raw, StringComparison.OrdinalIgnoreCase)) return new StreamPlan.Original();

        var max = Tightest(request.MaxBitRate, limits.PlayerMaxBitRate, limits.UserMaxBitRate);
        var formatName = requested ?? Known(limits.PlayerFormat) ?? Known(limits.UserFormat);
        var offset = request.TimeOffset ?? 0;
        if (offset > 0 && source.Duration > 0 && offset >= source.Duration)
            return new StreamPlan.Invalid($"timeOffset {offset.ToString(CultureInfo.InvariantCulture)} is past the end of the track ({source.Duration.ToString("0.#", CultureInfo.InvariantCulture)} s)");

        var withinLimit = max is null || (source.BitRate > 0 && source.BitRate <= max);
        var sameFormat = formatName is null || (SameCodec.TryGetValue(formatName, out var codecs) && codecs.Contains(source.Codec, StringComparer.OrdinalIgnoreCase));
        var gain = Gain(source, limits.ReplayGain);
        // An offset only means something for a transcode (clients seek in originals with Range).
        if (withinLimit && sameFormat && gain is null) return new StreamPlan.Original();

        var format = formatName is null ? OutputFormat.Mp3 : OutputFormat.All[formatName];
        var bitrate = format.ClampBitrate(max ?? format.DefaultBitrate);
        return new StreamPlan.Transcode(format, bitrate, offset, gain);
    }

    private static int? Tightest(params int?[] limits)
    {
        int? best = null;
        foreach (var l in limits)
            if (l is > 0 && (best is null || l < best)) best = l;
        return best;
    }

    private static string? Known(string? format) =>
        format is not null && OutputFormat.All.ContainsKey(format) ? format : null;

    /// <summary>ReplayGain in dB, limited by the peak so the result does not clip.</summary>
    private static double? Gain(SourceTrack s, string mode)
    {
        var (gain, peak) = mode switch
        {
            "track" => (s.TrackGain ?? s.AlbumGain, s.TrackPeak ?? s.AlbumPeak),
            "album" => (s.AlbumGain ?? s.TrackGain, s.AlbumPeak ?? s.TrackPeak),
            _ => (null, null),
        };
        if (gain is null) return null;
        if (peak is > 0) gain = Math.Min(gain.Value, -20 * Math.Log10(peak.Value));
        return Math.Round(gain.Value, 2);
    }

    /// <summary>What Content-Length to announce when a client asks for an estimate.</summary>
    public static long EstimateBytes(StreamPlan.Transcode plan, double duration) =>
        plan.Format.Lossless ? 0 : (long)Math.Ceiling(Math.Max(0, duration - plan.Offset) * plan.BitRate * 1000 / 8);
}
