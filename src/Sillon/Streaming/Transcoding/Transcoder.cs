using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Sillon.Observability;

namespace Sillon.Streaming.Transcoding;

/// <summary>What the transcoder hands a request: a finished file, a live transcode to follow, or why not.</summary>
public abstract record TranscodeResult
{
    public sealed record Cached(string Path) : TranscodeResult;
    /// <summary>The caller owns one listener slot and must call <see cref="LiveTranscode.RemoveListener"/> with <paramref name="JoinedAt"/>, and dispose the reader.</summary>
    public sealed record Live(LiveTranscode Transcode, FileStream Reader, long JoinedAt) : TranscodeResult;
    public sealed record Busy(int RetryAfterSeconds) : TranscodeResult;
    public sealed record Unavailable(string Message) : TranscodeResult;
}

/// <summary>
/// Runs ffmpeg (arguments as a list, never through a shell) behind an admission limit and the
/// on-disk cache. Requests for the same track, mtime, format, bitrate, offset and gain share one
/// process; above the limit a request waits a bounded moment, then is refused rather than queued.
/// Admitted processes are run or paused by the <see cref="EncoderScheduler"/>.
/// </summary>
public sealed partial class Transcoder
{
    private readonly TranscodeOptions _options;
    private readonly TranscodeCache _cache;
    private readonly SillonMetrics _metrics;
    private readonly EncoderScheduler _scheduler;
    private readonly WarmEncoders _warm;
    private readonly TimeProvider _time;
    private readonly ILogger<Transcoder> _log;
    private readonly SemaphoreSlim _slots;
    private readonly Dictionary<string, LiveTranscode> _live = new();
    private readonly Lock _gate = new();

    public Transcoder(IOptions<TranscodeOptions> options, TranscodeCache cache, EncoderScheduler scheduler, WarmEncoders warm, SillonMetrics metrics, TimeProvider time, ILogger<Transcoder> log)
    {
        _options = options.Value;
        _cache = cache;
        _scheduler = scheduler;
        _warm = warm;
        _metrics = metrics;
        _time = time;
        _log = log;
        _slots = new SemaphoreSlim(_options.EffectiveMaxProcesses, _options.EffectiveMaxProcesses);
        FfmpegPath = Resolve(_options.Ffmpeg);
        if (FfmpegPath is null) LogNoFfmpeg(_options.Ffmpeg);
    }

    /// <summary>The resolved encoder, or null when it is not on this machine.</summary>
    public string? FfmpegPath { get; }
    public bool Available => FfmpegPath is not null;
    public string UnavailableReason => $"transcoding needs ffmpeg, which was not found (Transcoding:Ffmpeg = '{_options.Ffmpeg}'); install it (apt-get install ffmpeg) or stream the original with format=raw";
    public int MaxProcesses => _options.EffectiveMaxProcesses;
    public TranscodeCache Cache => _cache;
    public EncoderScheduler Scheduler => _scheduler;
    public WarmEncoders Warm => _warm;

    public int ActiveProcesses
    {
        get { lock (_gate) return _live.Count; }
    }

    public IReadOnlyList<int> ProcessIds
    {
        get { lock (_gate) return _live.Values.Select(l => l.ProcessId).OfType<int>().ToList(); }
    }

    public async Task<TranscodeResult> OpenAsync(SourceTrack source, StreamPlan.Transcode plan, CancellationToken ct)
    {
        if (FfmpegPath is null) return new TranscodeResult.Unavailable(UnavailableReason);
        var key = TranscodeCache.Key(source, plan);
        var haveSlot = false;
        while (true)
        {
            lock (_gate)
            {
                if (_cache.Find(key) is { } cached)
                {
                    if (haveSlot) _slots.Release();
                    _metrics.TranscodeCacheHit();
                    return new TranscodeResult.Cached(cached);
                }
                var now = _time.GetTimestamp();
                if (_live.TryGetValue(key, out var running) && running.AddListener(now))
                {
                    if (haveSlot) _slots.Release();
                    return new TranscodeResult.Live(running, running.OpenReader(), now);
                }
                if (haveSlot || _slots.Wait(0)) return Start(key, source, plan);
            }
            // Every slot is busy: wait a bounded moment outside the lock, then look again (the
            // same transcode may have been started, or finished into the cache, meanwhile).
            if (!await _slots.WaitAsync(_options.SlotWait, ct)) return new TranscodeResult.Busy(_options.RetryAfterSeconds);
            haveSlot = true;
        }
    }

    /// <summary>Starts a transcode in a slot already taken. Called under the gate.</summary>
    private TranscodeResult.Live Start(string key, SourceTrack source, StreamPlan.Transcode plan)
    {
        var now = _time.GetTimestamp();
        var (launch, warm) = Launcher(source, plan);
        var live = new LiveTranscode(key, _cache.PartPath(key, plan.Format), plan.Format, BytesPerSecond(source, plan), now, warm);
        live.AddListener(now);
        _live[key] = live;
        var reader = live.OpenReader();
        _metrics.TranscodeStarted();
        live.Start(launch, (ok, error) => FinishAsync(live, source, plan, ok, error));
        _scheduler.Add(live);
        return new TranscodeResult.Live(live, reader, now);
    }

    /// <summary>
    /// How the transcode's ffmpeg starts: a warm encoder of the same profile when one is ready,
    /// else a cold start (which also tells the pool the profile is in use). Called under the gate;
    /// the process itself is started or handed its input on the pump's thread.
    /// </summary>
    private (Func<Process> Launch, bool Warm) Launcher(SourceTrack source, StreamPlan.Transcode plan)
    {
        // A ReplayGain volume differs from track to track, so each gain would be a profile of its
        // own whose warm encoders would seldom be used: gained transcodes start cold.
        if (plan.GainDb is null && WarmEncoders.ConcatScript(source.Path, plan.Offset) is { } script
            && _warm.Take(WarmStartInfo(FfmpegPath!, plan)) is { } warm)
            return (() => WarmEncoders.Hand(warm, script), true);
        var cold = StartInfo(FfmpegPath!, source, plan);
        return (() => Process.Start(cold) ?? throw new InvalidOperationException("ffmpeg did not start"), false);
    }

    private Task FinishAsync(LiveTranscode live, SourceTrack source, StreamPlan.Transcode plan, bool ok, string error)
    {
        // ffmpeg stops quietly, exit code 0, where a damaged file's audio ends: an output far shorter
        // than the catalogued duration is a damaged source, not a transcode worth keeping.
        var expected = TranscodeDecision.EstimateBytes(plan, source.Duration);
        if (ok && expected > 0 && live.Written < expected / 2)
            (ok, error) = (false, $"output ended early ({live.Written} of about {expected} bytes): the source file looks damaged");
        try
        {
            lock (_gate)
            {
                _live.Remove(live.Key);
                _scheduler.Remove(live);
                if (ok) _cache.Commit(live.Key, live.PartPath);
                else TryDelete(live.PartPath);
            }
            // "stopped: …" is a listener leaving or a shutdown, not a failure.
            if (!ok && !error.StartsWith("stopped:", StringComparison.Ordinal)) LogFailed(source.Path, error);
        }
        finally
        {
            _slots.Release();
            _metrics.TranscodeEnded();
        }
        return Task.CompletedTask;
    }

    /// <summary>Output bytes per second of audio: the bitrate, or for lossless output the source's (CD audio when unknown).</summary>
    private static double BytesPerSecond(SourceTrack source, StreamPlan.Transcode plan) =>
        (plan.Format.Lossless ? (source.BitRate > 0 ? source.BitRate : 1411) : plan.BitRate) * 1000 / 8.0;

    /// <summary>The ffmpeg command line of a cold start, as an argument list.</summary>
    public static ProcessStartInfo StartInfo(string ffmpeg, SourceTrack source, StreamPlan.Transcode plan)
    {
        var psi = Encoder(ffmpeg, redirectInput: false);
        var args = psi.ArgumentList;
        if (plan.Offset > 0) { args.Add("-ss"); args.Add(plan.Offset.ToString("0.###", CultureInfo.InvariantCulture)); }
        // "file:" so that no name inside the library is ever taken for an ffmpeg protocol.
        args.Add("-i"); args.Add("file:" + source.Path);
        AddOutput(args, plan, trimBeforeStart: false);
        return psi;
    }

    /// <summary>
    /// The command line of a warm encoder: the same output as <see cref="StartInfo"/>, but the
    /// input is a concat script (<see cref="WarmEncoders.ConcatScript"/>) read from standard input,
    /// so nothing on it depends on the track or the offset. The concat demuxer opens and seeks the
    /// real file (whitelisted: only files, and the pipe the script comes through).
    /// </summary>
    public static ProcessStartInfo WarmStartInfo(string ffmpeg, StreamPlan.Transcode plan)
    {
        var psi = Encoder(ffmpeg, redirectInput: true);
        var args = psi.ArgumentList;
        // An in point seeks to the packet before it, and the concat demuxer gives the audio before
        // the in point negative timestamps. -copyts keeps them negative so "atrim=start=0" drops
        // them: the output is then the same, byte for byte, as a cold start's input -ss (measured
        // with MP3, AAC, M4A and FLAC; Ogg differs only by its random stream serial).
        foreach (var a in new[] { "-copyts", "-f", "concat", "-safe", "0", "-protocol_whitelist", "pipe,file", "-i", "pipe:0" }) args.Add(a);
        AddOutput(args, plan, trimBeforeStart: true);
        return psi;
    }

    internal static ProcessStartInfo Encoder(string ffmpeg, bool redirectInput)
    {
        var psi = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        // Whose encoder this is: a server that starts after this one was killed ends it (OrphanEncoders).
        psi.Environment[OrphanEncoders.Variable] = OrphanEncoders.Owner;
        // -nostdin: no keyboard commands read from standard input (a warm encoder's input comes
        // through "pipe:0", which -nostdin leaves alone). One thread: the scheduler's run slots
        // then are what a process can use, and each paused process holds less memory.
        foreach (var a in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1" }) psi.ArgumentList.Add(a);
        return psi;
    }

    private static void AddOutput(IList<string> args, StreamPlan.Transcode plan, bool trimBeforeStart)
    {
        foreach (var a in new[] { "-map", "0:a:0", "-vn", "-sn", "-map_metadata", "-1" }) args.Add(a);
        var filters = new List<string>();
        if (trimBeforeStart) filters.Add("atrim=start=0");
        if (plan.GainDb is { } gain) filters.Add(string.Create(CultureInfo.InvariantCulture, $"volume={gain:0.##}dB"));
        if (filters.Count > 0) { args.Add("-af"); args.Add(string.Join(',', filters)); }
        args.Add("-c:a"); args.Add(plan.Format.Codec);
        if (!plan.Format.Lossless) { args.Add("-b:a"); args.Add(string.Create(CultureInfo.InvariantCulture, $"{plan.BitRate}k")); }
        foreach (var a in plan.Format.ExtraArgs) args.Add(a);
        // Without this ffmpeg writes every MP3 frame (418 bytes) to the pipe on its own: 2,300
        // writes and wake-ups per minute of audio instead of 30 blocks of 32 KiB.
        args.Add("-flush_packets"); args.Add("0");
        args.Add("-f"); args.Add(plan.Format.Muxer);
        args.Add("pipe:1");
    }

    private static string? Resolve(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? program : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transcoding is unavailable: '{Program}' was not found. Originals still stream.")]
    private partial void LogNoFfmpeg(string program);

    [LoggerMessage(Level = LogLevel.Error, Message = "Transcoding {Path} failed: {Error}")]
    private partial void LogFailed(string path, string error);
}
