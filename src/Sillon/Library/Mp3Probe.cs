using System.Buffers.Binary;

namespace Sillon.Library;

/// <summary>
/// Checks that an MP3 really holds MPEG audio frames, and reads its true duration from the LAME/Xing
/// "Xing"/"Info" or Fraunhofer "VBRI" header. TagLibSharp recognises only "Xing", so for the very
/// common CBR files whose first frame says "Info" it estimates the duration from that first
/// (often lower-bitrate) frame and can be off by a factor of two.
/// </summary>
internal static class Mp3Probe
{
    private static readonly int[] V1L1 = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448];
    private static readonly int[] V1L2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
    private static readonly int[] V1L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    private static readonly int[] V2L1 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256];
    private static readonly int[] V2L23 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

    public readonly record struct Frame(int Version, int Layer, int Bitrate, int SampleRate, bool Mono, int Length, int Samples);

    public readonly record struct Result(double? Duration, int? Bitrate);

    /// <summary>
    /// Finds the first frame followed by a second valid frame in the first 64 KiB of the audio, or
    /// returns null: such a file is not MP3 audio, whatever its name says.
    /// </summary>
    public static Result? Probe(FileStream stream, long audioStart, long audioEnd)
    {
        audioEnd = Math.Min(audioEnd <= 0 ? stream.Length : audioEnd, stream.Length);
        if (audioStart < 0 || audioStart >= audioEnd) return null;
        // Audio nearly always starts right after the tags: look at 8 KiB first, and search further
        // (up to 64 KiB of junk) only when that finds nothing. The scan reads every file this way.
        return Search(stream, audioStart, audioEnd, 8 * 1024) ?? (audioEnd - audioStart > 8 * 1024 ? Search(stream, audioStart, audioEnd, 64 * 1024) : null);
    }

    private static Result? Search(FileStream stream, long audioStart, long audioEnd, int limit)
    {
        var size = (int)Math.Min(limit + 4096, audioEnd - audioStart);
        var window = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            stream.Position = audioStart;
            var read = stream.ReadAtLeast(window.AsSpan(0, size), size, throwOnEndOfStream: false);
            return Find(window.AsSpan(0, read), audioStart, audioEnd, limit);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(window);
        }
    }

    private static Result? Find(ReadOnlySpan<byte> span, long audioStart, long audioEnd, int limit)
    {
        for (var i = 0; i + 4 <= span.Length && i < limit; i++)
        {
            if (span[i] != 0xFF || !TryParse(span[i..], out var frame)) continue;
            var next = i + frame.Length;
            var endsFile = audioStart + next >= audioEnd;
            Frame second = default;
            if (!endsFile && (next + 4 > span.Length || !TryParse(span[next..], out second) || second.SampleRate != frame.SampleRate))
                continue;
            var audioBytes = audioEnd - audioStart - i;
            var (frames, constant) = VbrFrames(span[i..Math.Min(span.Length, i + frame.Length)], frame);
            var duration = frames is > 0 ? (double)frames.Value * frame.Samples / frame.SampleRate : (double?)null;
            // "Info" marks a constant-bitrate file: the audio frames' own bitrate is exact, where
            // size / duration would count the Info frame and tags as audio.
            int? bitrate = constant && !endsFile ? second.Bitrate
                : duration is > 0 ? (int)Math.Round(audioBytes * 8 / duration.Value / 1000) : null;
            return new Result(duration, bitrate);
        }
        return null;
    }

    public static bool TryParse(ReadOnlySpan<byte> b, out Frame frame)
    {
        frame = default;
        if (b.Length < 4 || b[0] != 0xFF || (b[1] & 0xE0) != 0xE0) return false;
        var versionBits = (b[1] >> 3) & 3;
        var layerBits = (b[1] >> 1) & 3;
        var bitrateIndex = b[2] >> 4;
        var rateIndex = (b[2] >> 2) & 3;
        if (versionBits == 1 || layerBits == 0 || bitrateIndex is 0 or 15 || rateIndex == 3) return false;
        var version = versionBits switch { 3 => 1, 2 => 2, _ => 25 };
        var layer = 4 - layerBits;
        var table = (version, layer) switch
        {
            (1, 1) => V1L1, (1, 2) => V1L2, (1, 3) => V1L3, (_, 1) => V2L1, _ => V2L23,
        };
        var bitrate = table[bitrateIndex];
        var baseRate = rateIndex switch { 0 => 44100, 1 => 48000, _ => 32000 };
        var sampleRate = version switch { 1 => baseRate, 2 => baseRate / 2, _ => baseRate / 4 };
        var padding = (b[2] >> 1) & 1;
        var length = layer == 1
            ? (12 * bitrate * 1000 / sampleRate + padding) * 4
            : (layer == 3 && version != 1 ? 72 : 144) * bitrate * 1000 / sampleRate + padding;
        var samples = layer == 1 ? 384 : layer == 3 && version != 1 ? 576 : 1152;
        if (length < 21) return false;
        frame = new Frame(version, layer, bitrate, sampleRate, (b[3] >> 6) == 3, length, samples);
        return true;
    }

    /// <summary>The frame count from a Xing/Info or VBRI header inside the first frame, if any, and whether it says "Info" (CBR).</summary>
    private static (long? Frames, bool Constant) VbrFrames(ReadOnlySpan<byte> first, Frame frame)
    {
        var sideInfo = frame.Version == 1 ? (frame.Mono ? 17 : 32) : (frame.Mono ? 9 : 17);
        var xing = 4 + sideInfo;
        if (first.Length >= xing + 12)
        {
            var tag = first.Slice(xing, 4);
            if (tag.SequenceEqual("Xing"u8) || tag.SequenceEqual("Info"u8))
            {
                var flags = BinaryPrimitives.ReadUInt32BigEndian(first[(xing + 4)..]);
                var constant = tag.SequenceEqual("Info"u8);
                return ((flags & 1) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(first[(xing + 8)..]) : null, constant);
            }
        }
        const int vbri = 4 + 32;
        if (first.Length >= vbri + 18 && first.Slice(vbri, 4).SequenceEqual("VBRI"u8))
            return (BinaryPrimitives.ReadUInt32BigEndian(first[(vbri + 14)..]), false);
        return (null, false);
    }
}
