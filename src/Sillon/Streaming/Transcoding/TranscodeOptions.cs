namespace Sillon.Streaming.Transcoding;

/// <summary>Options of transcoding, under "Transcoding" in configuration.</summary>
public sealed class TranscodeOptions
{
    /// <summary>The encoder program: a name looked up on PATH, or a full path.</summary>
    public string Ffmpeg { get; set; } = "ffmpeg";
    /// <summary>
    /// Live transcodes admitted at once (ffmpeg processes alive, running or paused); 0 means 32 per
    /// core. Above it requests get 503 + Retry-After. Each paused ffmpeg holds about 10 MB.
    /// </summary>
    public int MaxProcesses { get; set; }
    /// <summary>
    /// ffmpeg processes allowed to run at once, the rest paused (Linux); 0 means one per core. Two
    /// per core measured worse: a newcomer shared its core with three others while it started
    /// (docs/benchmarks.md).
    /// </summary>
    public int RunningProcesses { get; set; }
    /// <summary>How often the scheduler re-decides which encoders run.</summary>
    public TimeSpan SchedulerTick { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>
    /// Pause an encoder this far ahead of its listeners even when a run slot is free (resumed at
    /// half of it); zero (the default) lets free slots finish transcodes early into the cache.
    /// </summary>
    public TimeSpan MaxLead { get; set; }
    /// <summary>
    /// ffmpeg processes kept started ahead of time per recently used output profile (at most
    /// <see cref="WarmEncoders.MaxProfiles"/> profiles), so a live transcode skips ffmpeg's own
    /// start-up; 0 turns the pool off. They are not admitted transcodes until handed one.
    /// </summary>
    public int WarmEncoders { get; set; } = 2;
    /// <summary>A profile unused this long loses its warm encoders.</summary>
    public TimeSpan WarmIdle { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Transcoded files kept on disk, least recently used evicted first.</summary>
    public long CacheBytes { get; set; } = 1L << 30;
    /// <summary>An encoder that produces nothing for this long while running (paused time does not count) is considered hung and killed.</summary>
    public TimeSpan Watchdog { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>
    /// How long a request may wait for a free encoder slot before it is refused. Transcodes take a
    /// second or two, so a short, bounded wait absorbs bursts (an album queued at once) without
    /// ever becoming an unbounded queue.
    /// </summary>
    public TimeSpan SlotWait { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>How long a refused client is told to wait.</summary>
    public int RetryAfterSeconds { get; set; } = 2;

    public int EffectiveRunningProcesses => RunningProcesses > 0 ? RunningProcesses : Environment.ProcessorCount;

    /// <summary>Without a way to pause processes every admitted one runs, so admission falls back to the run slots.</summary>
    public int EffectiveMaxProcesses =>
        !EncoderSignals.Supported ? EffectiveRunningProcesses : MaxProcesses > 0 ? MaxProcesses : 32 * Environment.ProcessorCount;
}

/// <summary>An output format: how ffmpeg makes it, what we call it on the wire, and its bitrate bounds.</summary>
public sealed record OutputFormat(
    string Name, string Suffix, string ContentType, string Codec, string Muxer, int DefaultBitrate, int MinBitrate, int MaxBitrate,
    bool Lossless, string[] ExtraArgs)
{
    public static readonly OutputFormat Mp3 = new("mp3", "mp3", "audio/mpeg", "libmp3lame", "mp3", 192, 32, 320, false, ["-compression_level", "5", "-write_xing", "0"]);
    public static readonly OutputFormat Opus = new("opus", "opus", "audio/ogg; codecs=opus", "libopus", "ogg", 128, 16, 256, false, ["-ar", "48000", "-vbr", "constrained"]);
    public static readonly OutputFormat Aac = new("aac", "aac", "audio/aac", "aac", "adts", 192, 32, 320, false, []);
    // Fragmented MP4 can be written to a pipe and played while it grows.
    public static readonly OutputFormat M4a = new("m4a", "m4a", "audio/mp4", "aac", "mp4", 192, 32, 320, false, ["-movflags", "frag_keyframe+empty_moov+default_base_moof"]);
    public static readonly OutputFormat Flac = new("flac", "flac", "audio/flac", "flac", "flac", 0, 0, 0, true, []);

    public static readonly IReadOnlyDictionary<string, OutputFormat> All = new Dictionary<string, OutputFormat>(StringComparer.OrdinalIgnoreCase)
    {
        ["mp3"] = Mp3, ["opus"] = Opus, ["ogg"] = Opus, ["aac"] = Aac, ["m4a"] = M4a, ["mp4"] = M4a, ["flac"] = Flac,
    };

    public const string Raw = "raw";

    /// <summary>Snap a requested bitrate into what the encoder accepts.</summary>
    public int ClampBitrate(int kbps) => Lossless ? 0 : Math.Clamp(kbps, MinBitrate, MaxBitrate);
}
