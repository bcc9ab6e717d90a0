using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// ffmpeg processes started ahead of time, a few per recently used output profile (everything on
/// the command line but the input), each blocked reading its input from standard input. Debian's
/// ffmpeg spends 130–230 ms loading its libraries before its first byte; one started earlier and
/// handed a concat script (the file and its in point) gives its first byte 20–40 ms later.
/// Invariants: at most <see cref="MaxProfiles"/> profiles × <see cref="TranscodeOptions.WarmEncoders"/>
/// processes are alive here; a process here was never handed input, so it uses no CPU and is not
/// an admitted transcode. Once <see cref="Take"/> returns it, it belongs to a
/// <see cref="LiveTranscode"/> like any encoder (admission slot, scheduler, watchdog, kill).
/// </summary>
public sealed partial class WarmEncoders : IAsyncDisposable
{
    // MP3 for phones, Opus, a second MP3 bitrate: a server rarely serves more profiles at once,
    // and each idle ffmpeg holds about 10 MB.
    public const int MaxProfiles = 3;
    // One start-up per core of this 2-core target: a burst of sequential requests then finds a
    // warm encoder about twice as often as with one at a time.
    private const int MaxStartups = 2;

    private sealed class Profile(string key, ProcessStartInfo startInfo)
    {
        public string Key { get; } = key;
        public ProcessStartInfo StartInfo { get; } = startInfo;
        public Queue<Process> Idle { get; } = new();
        public long LastUsed;
    }

    private readonly TranscodeOptions _options;
    private readonly TimeProvider _time;
    private readonly EncoderScheduler _scheduler;
    private readonly ILogger<WarmEncoders> _log;
    private readonly Lock _gate = new();
    private readonly List<Profile> _profiles = [];
    private readonly ITimer? _sweeper;
    private bool _closed;
    // One filler at a time (see FillAsync); under the gate.
    private bool _filling;
    private long _served;

    public WarmEncoders(IOptions<TranscodeOptions> options, TimeProvider time, EncoderScheduler scheduler, IHostApplicationLifetime lifetime, ILogger<WarmEncoders> log)
    {
        _options = options.Value;
        _time = time;
        _scheduler = scheduler;
        _log = log;
        if (_options.WarmEncoders > 0)
        {
            var period = TimeSpan.FromTicks(Math.Min(_options.WarmIdle.Ticks / 2, TimeSpan.FromMinutes(1).Ticks));
            _sweeper = time.CreateTimer(_ => Sweep(), null, period, period);
        }
        // With the encoders: nothing pre-started outlives the server.
        lifetime.ApplicationStopping.Register(Close);
    }

    public bool Enabled => _options.WarmEncoders > 0;

    /// <summary>Transcodes that were given a warm encoder since start.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Idle warm encoders now.</summary>
    public int Count
    {
        get { lock (_gate) return _profiles.Sum(p => p.Idle.Count); }
    }

    public IReadOnlyList<int> ProcessIds
    {
        get { lock (_gate) return _profiles.SelectMany(p => p.Idle).Select(p => p.Id).ToList(); }
    }

    /// <summary>
    /// A warm encoder started with <paramref name="startInfo"/>, or null (none ready: start one
    /// cold). Either way the profile is marked used and topped up in the background.
    /// </summary>
    public Process? Take(ProcessStartInfo startInfo)
    {
        if (!Enabled) return null;
        var key = string.Join('\n', [startInfo.FileName, .. startInfo.ArgumentList]);
        Process? taken = null;
        List<Process> dead = [];
        Profile profile;
        bool fill;
        lock (_gate)
        {
            if (_closed) return null;
            profile = _profiles.Find(p => p.Key == key) ?? Add(key, startInfo, dead);
            profile.LastUsed = _time.GetTimestamp();
            while (taken is null && profile.Idle.TryDequeue(out var p))
            {
                if (p.HasExited) dead.Add(p);
                else taken = p;
            }
            fill = !_filling;
            _filling = true;
        }
        if (taken is not null) Interlocked.Increment(ref _served);
        // The caller holds the transcoder's lock: reaping waits elsewhere.
        if (dead.Count > 0) _ = Task.Run(() => dead.ForEach(Kill));
        if (fill) _ = Task.Run(FillAsync);
        return taken;
    }

    /// <summary>A new profile, in place of the least recently used one past <see cref="MaxProfiles"/>. Under the gate.</summary>
    private Profile Add(string key, ProcessStartInfo startInfo, List<Process> dead)
    {
        if (_profiles.Count >= MaxProfiles)
        {
            var oldest = _profiles.MinBy(p => p.LastUsed)!;
            _profiles.Remove(oldest);
            dead.AddRange(oldest.Idle);
            oldest.Idle.Clear();
        }
        var profile = new Profile(key, startInfo);
        _profiles.Add(profile);
        return profile;
    }

    /// <summary>
    /// Tops up the profiles, most recently used first, with at most <see cref="MaxStartups"/>
    /// processes in start-up at once (not yet waiting for their input). ffmpeg's start-up is
    /// 100–200 ms of a core outside the scheduler's control, so a burst of new profiles must not
    /// start a dozen at once beside the encoders listeners are waiting for; and no start begins
    /// while the scheduler says a listener needs the CPU (<see cref="EncoderScheduler.Urgent"/>:
    /// a warm start is a guess, that listener is real).
    /// </summary>
    private async Task FillAsync()
    {
        var startingUp = new List<(Profile Profile, Process Process, int Pid, long Since)>();
        while (true)
        {
            startingUp.RemoveAll(s => Ready(s.Profile, s.Process, s.Pid, s.Since));
            // A warm start is a guess and its 100–200 ms of start-up take a core: none while a
            // listener is short of audio, nor while an encoder already waits paused for a core
            // (with them, 150 listeners on two cores tipped into the admission limit in 3 runs of 6).
            var urgent = _scheduler.Urgent || _scheduler.Paused > 0;
            Profile? profile = null;
            lock (_gate)
            {
                var needy = _profiles.Where(p => p.Idle.Count < _options.WarmEncoders).MaxBy(p => p.LastUsed);
                if (_closed || needy is null && startingUp.Count == 0)
                {
                    _filling = false;
                    return;
                }
                if (startingUp.Count < MaxStartups && !urgent) profile = needy;
            }
            if (profile is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), _time);
                continue;
            }
            Process? started = null;
            try
            {
                started = Process.Start(profile.StartInfo);
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                LogStartFailed(e.Message);
            }
            bool kept;
            lock (_gate)
            {
                // Not kept when it failed (tried again at the next take), or when the pool closed or
                // dropped the profile while it started.
                kept = started is not null && !_closed && _profiles.Contains(profile);
                if (kept) profile.Idle.Enqueue(started!);
                else _filling = false;
            }
            if (!kept)
            {
                if (started is not null) Kill(started);
                return;
            }
            startingUp.Add((profile, started!, started!.Id, _time.GetTimestamp()));
        }
    }

    /// <summary>
    /// Out of start-up: waiting on its input pipe (Linux shows it in /proc/PID/wchan), taken,
    /// dropped or exited; or a second has passed (a quarter where /proc is missing).
    /// </summary>
    private bool Ready(Profile profile, Process process, int pid, long since)
    {
        lock (_gate)
            if (!profile.Idle.Contains(process)) return true;
        var elapsed = _time.GetElapsedTime(since);
        if (!OperatingSystem.IsLinux()) return elapsed > TimeSpan.FromSeconds(0.25);
        try
        {
            return File.ReadAllText($"/proc/{pid}/wchan").Contains("pipe_read", StringComparison.Ordinal) || elapsed > TimeSpan.FromSeconds(1);
        }
        catch (IOException)
        {
            return true; // exited
        }
    }

    /// <summary>Profiles unused for <see cref="TranscodeOptions.WarmIdle"/> are dropped with their processes; so are processes that died idle.</summary>
    private void Sweep()
    {
        List<Process> dead = [];
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            foreach (var profile in _profiles.ToList())
            {
                if (_time.GetElapsedTime(profile.LastUsed, now) > _options.WarmIdle)
                {
                    _profiles.Remove(profile);
                    dead.AddRange(profile.Idle);
                    profile.Idle.Clear();
                    continue;
                }
                var alive = profile.Idle.Where(p => !p.HasExited).ToList();
                dead.AddRange(profile.Idle.Except(alive));
                profile.Idle.Clear();
                foreach (var p in alive) profile.Idle.Enqueue(p);
            }
        }
        foreach (var p in dead) Kill(p);
    }

    /// <summary>
    /// Hands a taken process its input: the concat script, then end of input. A process that died
    /// in between is killed and reaped here (the pump never gets it), and the error says why.
    /// </summary>
    public static Process Hand(Process process, string script)
    {
        try
        {
            var input = process.StandardInput.BaseStream;
            input.Write(Encoding.UTF8.GetBytes(script));
            input.Flush();
            process.StandardInput.Close();
            return process;
        }
        catch (IOException e)
        {
            Kill(process);
            throw new IOException($"the warm encoder had ended before it was given its input ({e.Message})", e);
        }
    }

    /// <summary>
    /// The ffconcat script that makes a warm encoder read <paramref name="path"/> from
    /// <paramref name="offset"/> seconds; null when the path cannot be written in one (a line
    /// break: the script is read line by line), so that transcode starts cold.
    /// </summary>
    public static string? ConcatScript(string path, double offset)
    {
        if (path.Contains('\n') || path.Contains('\r') || path.Contains('\0')) return null;
        // Inside single quotes everything is literal up to the next quote, so a quote is closed,
        // escaped and reopened: ' becomes '\''. "file:" so no name is taken for another protocol.
        var script = new StringBuilder("ffconcat version 1.0\nfile 'file:")
            .Append(path.Replace("'", @"'\''", StringComparison.Ordinal)).Append("'\n");
        if (offset > 0) script.Append("inpoint ").Append(offset.ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
        return script.ToString();
    }

    private void Close()
    {
        List<Process> all;
        lock (_gate)
        {
            _closed = true;
            all = [.. _profiles.SelectMany(p => p.Idle)];
            foreach (var p in _profiles) p.Idle.Clear();
            _profiles.Clear();
        }
        foreach (var p in all) Kill(p);
    }

    /// <summary>SIGKILL and reap: no zombie left behind.</summary>
    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException) { }
        catch (Win32Exception) { }
        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _sweeper?.Dispose();
        Close();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A warm encoder could not be started: {Error}")]
    private partial void LogStartFailed(string error);
}
