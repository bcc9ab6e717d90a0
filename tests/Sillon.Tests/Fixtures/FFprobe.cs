using System.Globalization;
using System.Text.Json;

namespace Sillon.Tests.Fixtures;

public sealed record ProbeResult(string Codec, string Format, double Duration, long BitRate, int SampleRate);

/// <summary>What ffprobe (not our code) says a file is.</summary>
public static class FFprobe
{
    public static async Task<ProbeResult> ProbeAsync(string path)
    {
        var json = await AudioFiles.RunAsync("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]);
        var root = JsonDocument.Parse(json).RootElement;
        var stream = root.GetProperty("streams").EnumerateArray().First(s => s.GetProperty("codec_type").GetString() == "audio");
        var format = root.GetProperty("format");
        return new ProbeResult(
            stream.GetProperty("codec_name").GetString()!,
            format.GetProperty("format_name").GetString()!,
            format.TryGetProperty("duration", out var d) ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : await DecodedDurationAsync(path),
            format.TryGetProperty("bit_rate", out var br) ? long.Parse(br.GetString()!, CultureInfo.InvariantCulture) : 0,
            int.Parse(stream.GetProperty("sample_rate").GetString()!, CultureInfo.InvariantCulture));
    }

    /// <summary>For streams that do not announce a length (FLAC written to a pipe): decode and time it.</summary>
    private static async Task<double> DecodedDurationAsync(string path)
    {
        var json = await AudioFiles.RunAsync("ffprobe", ["-v", "error", "-print_format", "json", "-show_entries", "packet=pts_time,duration_time", "-select_streams", "a:0", path]);
        var last = JsonDocument.Parse(json).RootElement.GetProperty("packets").EnumerateArray().Last();
        return double.Parse(last.GetProperty("pts_time").GetString()!, CultureInfo.InvariantCulture)
            + double.Parse(last.GetProperty("duration_time").GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Mean volume in dB, as ffmpeg's volumedetect measures it.</summary>
    public static async Task<double> MeanVolumeAsync(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-hide_banner", "-i", path, "-af", "volumedetect", "-f", "null", "-" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var line = err.Split('\n').First(l => l.Contains("mean_volume:"));
        var value = line[(line.IndexOf("mean_volume:", StringComparison.Ordinal) + 12)..].Replace("dB", "").Trim();
        return double.Parse(value, CultureInfo.InvariantCulture);
    }
}
