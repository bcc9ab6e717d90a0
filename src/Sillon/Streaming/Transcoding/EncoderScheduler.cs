using Microsoft.Extensions.Options;
using Sillon.Observability;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// Deadline scheduling of the live encoders. Many transcodes may be admitted, but only
/// <see cref="RunSlots"/> ffmpeg processes run at a time; the others are paused (SIGSTOP). Every
/// tick, and at once when a transcode starts or ends, the processes whose listeners have the least
/// audio ahead of them run: a new transcode first (its listener hears nothing yet), then the
/// smallest lead — earliest deadline first. A slot nobody needs lets a transcode finish early into
/// the cache, unless <see cref="TranscodeOptions.MaxLead"/> says to stop it sooner. The watchdog
/// lives here too, because only the scheduler knows whether a silent process was allowed to run.
/// </summary>
public sealed partial class EncoderScheduler : IAsyncDisposable
{
    // A running process keeps its slot until a paused one is this much more in need, so two
    // processes with nearly equal leads do not swap places every tick.
    private const double KeepRunningBonus = 1.0;

    private readonly TranscodeOptions _options;
    private readonly TimeProvider _time;
    private readonly SillonMetrics _metrics;
    private readonly ILogger<EncoderScheduler> _log;
    private readonly List<LiveTranscode> _live = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _wake = NewSignal();
    private Task? _loop;
    private int _running, _paused;
    private long _pauses;

    public EncoderScheduler(IOptions<TranscodeOptions> options, TimeProvider time, SillonMetrics metrics, IHostApplicationLifetime lifetime, ILogger<EncoderScheduler> log)
    {
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _log = log;
        metrics.ObserveEncoders(() => Running, () => Paused);
        // Before Kestrel waits for requests to drain: ending the encoders ends the live streams.
        lifetime.ApplicationStopping.Register(StopAll);
    }

    /// <summary>Processes allowed to run at once; without SIGSTOP every admitted one runs.</summary>
    public int RunSlots => EncoderSignals.Supported ? _options.EffectiveRunningProcesses : int.MaxValue;
    public int Running => Volatile.Read(ref _running);
    public int Paused => Volatile.Read(ref _paused);
    /// <summary>Times an encoder was paused since start.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>
    /// A listener needs the CPU now: a cold start has not given its first bytes yet, or a
    /// transcode is less than a second ahead of its listener. Warm encoders start only when not.
    /// A warm encoder's own first bytes do not count: they are some 20 ms of work away.
    /// </summary>
    public bool Urgent
    {
        get
        {
            var now = _time.GetTimestamp();
            lock (_gate)
                return _live.Any(l => !l.Settling && (l.Written == 0 ? !l.Warm : l.Lead(_time, now) < 1.0));
        }
    }

    public void Add(LiveTranscode live)
    {
        lock (_gate)
        {
            _live.Add(live);
            _loop ??= Task.Run(LoopAsync);
        }
        Wake();
    }

    public void Remove(LiveTranscode live)
    {
        lock (_gate) _live.Remove(live);
        Wake();
    }

    private void Wake() => Interlocked.Exchange(ref _wake, NewSignal()).TrySetResult();

    private async Task LoopAsync()
    {
        var last = _time.GetTimestamp();
        while (!_stopping.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake).Task;
            bool idle;
            lock (_gate) idle = _live.Count == 0;
            // Idle, it sleeps until a transcode arrives; busy, it also wakes every tick.
            await (idle ? Task.WhenAny(wake, Task.Delay(Timeout.Infinite, _stopping.Token))
                        : Task.WhenAny(wake, Task.Delay(_options.SchedulerTick, _time, _stopping.Token)));
            var now = _time.GetTimestamp();
            try
            {
                Pass(_time.GetElapsedTime(last, now), now);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A scheduler that died would leave paused encoders paused for ever: log, go on.
                LogPassFailed(e);
            }
            last = now;
        }
    }

    /// <summary>One decision: the watchdog, then who runs and who waits.</summary>
    private void Pass(TimeSpan sinceLast, long now)
    {
        List<LiveTranscode> all;
        lock (_gate) all = [.. _live];
        var candidates = new List<(LiveTranscode Live, bool New, double Key)>(all.Count);
        foreach (var live in all)
        {
            if (live.Settling)
            {
                // Ending: it needs no slot, but a paused process cannot exit.
                if (live.Paused && live.Resume()) live.Paused = false;
                continue;
            }
            Watch(live, sinceLast);
            var isNew = live.Written == 0;
            var lead = live.Lead(_time, now);
            candidates.Add((live, isNew, live.Paused ? lead : lead - KeepRunningBonus));
        }
        // New transcodes first, the oldest of them first (its lead is the most negative); then the
        // smallest lead.
        candidates.Sort((a, b) => a.New != b.New ? (a.New ? -1 : 1) : a.Key.CompareTo(b.Key));

        var slots = RunSlots;
        var maxLead = _options.MaxLead.TotalSeconds;
        int running = 0, paused = 0;
        foreach (var (live, _, key) in candidates)
        {
            var lead = live.Paused ? key : key + KeepRunningBonus;
            // Far enough ahead: paused at MaxLead, resumed at half of it.
            var farAhead = maxLead > 0 && lead > (live.Paused ? maxLead / 2 : maxLead);
            var run = running < slots && !farAhead;
            if (run && live.Paused && live.Resume()) live.Paused = false;
            else if (!run && !live.Paused && live.Pause())
            {
                live.Paused = true;
                Interlocked.Increment(ref _pauses);
                _metrics.TranscodePaused();
            }
            if (live.Paused) paused++;
            else running++;
        }
        Volatile.Write(ref _running, running);
        Volatile.Write(ref _paused, paused);
    }

    /// <summary>Only time spent running counts: a paused encoder is silent because we said so.</summary>
    private void Watch(LiveTranscode live, TimeSpan sinceLast)
    {
        var written = live.Written;
        if (written != live.WrittenAtLastPass)
        {
            live.WrittenAtLastPass = written;
            live.SilentRunning = TimeSpan.Zero;
            return;
        }
        if (live.Paused) return;
        live.SilentRunning += sinceLast;
        if (live.SilentRunning > _options.Watchdog)
            live.Abort($"no output for {_options.Watchdog.TotalSeconds:0.#} s: stopped by the watchdog");
    }

    /// <summary>Shutdown: every encoder is killed (SIGKILL ends a paused one too) and reaped by its pump.</summary>
    private void StopAll()
    {
        List<LiveTranscode> all;
        lock (_gate) all = [.. _live];
        foreach (var live in all) live.Abort("stopped: the server is shutting down");
    }

    public async ValueTask DisposeAsync()
    {
        StopAll();
        List<LiveTranscode> all;
        lock (_gate) all = [.. _live];
        try { await Task.WhenAll(all.Select(l => l.Completion)).WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        _stopping.Cancel();
        if (_loop is not null) await _loop;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Error, Message = "The encoder scheduler's pass failed")]
    private partial void LogPassFailed(Exception e);
}
