using System.Diagnostics;
using Sillon.Streaming.Transcoding;

namespace Sillon.Tests.Fixtures;

/// <summary>The bytes the server's own cold ffmpeg command line writes for a plan: what a live transcode must match.</summary>
public static class ColdTranscode
{
    public static async Task<byte[]> BytesAsync(SourceTrack source, StreamPlan.Transcode plan)
    {
        using var process = Process.Start(Transcoder.StartInfo("ffmpeg", source, plan))!;
        using var bytes = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(bytes);
        await process.WaitForExitAsync();
        Assert.Equal("", await stderr);
        return bytes.ToArray();
    }
}
