using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// One ffmpeg process encoding into a part file that any number of listeners read while it grows.
/// The <see cref="EncoderScheduler"/> decides when it runs and when it is paused. Listeners are
/// counted: when the last one leaves before the end, the process is killed and the part file
/// deleted. Invariant: <see cref="Written"/> bytes of the part file are written and readable.
/// </summary>
public sealed class LiveTranscode
{
    private readonly CancellationTokenSource _stop = new();
    // When each current listener joined: the earliest one has played the most, so it sets the pace.
    private readonly List<long> _joins = [];
    private readonly Lock _processLock = new();
    private TaskCompletionSource _progress = NewSignal();
    private long _written;
    private bool _closed;
    private volatile bool _finished;
    // Signals go only to a process that is alive and not yet handed back to the runtime (no pid reuse).
    private Process? _process;
    private bool _outputEnded;
    private volatile string? _stopReason;

    public string Key { get; }
    public string PartPath { get; }
    public OutputFormat Format { get; }
    /// <summary>How many output bytes make one second of audio, to turn bytes into time.</summary>
    public double BytesPerSecond { get; }
    /// <summary>When the transcode was admitted (a <see cref="TimeProvider"/> timestamp).</summary>
    public long StartedAt { get; }
    /// <summary>Runs on a warm encoder: its start-up was paid earlier, its first bytes are some 20 ms away.</summary>
    public bool Warm { get; }
    public long Written => Interlocked.Read(ref _written);
    public bool Finished => _finished;
    public int? ProcessId { get; private set; }
    public Task Completion { get; private set; } = Task.CompletedTask;

    // Owned by the scheduler's loop, which alone reads and writes them.
    internal bool Paused;
    internal long WrittenAtLastPass;
    internal TimeSpan SilentRunning;

    public LiveTranscode(string key, string partPath, OutputFormat format, double bytesPerSecond, long startedAt, bool warm)
    {
        Warm = warm;
        Key = key;
        PartPath = partPath;
        Format = format;
        BytesPerSecond = bytesPerSecond;
        StartedAt = startedAt;
        // Created before anyone can join, so a listener can always open it.
        using var _ = new FileStream(partPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>
    /// Starts ffmpeg through <paramref name="launch"/> (a cold start, or a warm encoder handed its
    /// input); <paramref name="finish"/> runs once, with true when the output is complete and valid.
    /// </summary>
    public void Start(Func<Process> launch, Func<bool, string, Task> finish) =>
        Completion = Task.Run(() => PumpAsync(launch, finish));

    /// <summary>Joins as a listener at <paramref name="joinedAt"/>; false when the transcode is already stopping.</summary>
    public bool AddListener(long joinedAt)
    {
        lock (_joins)
        {
            if (_closed) return false;
            _joins.Add(joinedAt);
            return true;
        }
    }

    /// <summary>Leaves; the last listener of an unfinished transcode stops it.</summary>
    public void RemoveListener(long joinedAt)
    {
        lock (_joins)
        {
            _joins.Remove(joinedAt);
            if (_joins.Count > 0 || _finished) return;
            _closed = true;
        }
        _stop.Cancel();
    }

    /// <summary>When the listener who has played the most joined; null without listeners.</summary>
    public long? EarliestListener
    {
        get { lock (_joins) return _joins.Count == 0 ? null : _joins.Min(); }
    }

    /// <summary>
    /// Seconds of audio written beyond what the earliest listener has played, counting that
    /// listener as playing from the moment it joined. Players read a live stream as fast as it
    /// comes, so their read position says nothing about playback; the clock does.
    /// </summary>
    public double Lead(TimeProvider time, long now) =>
        Written / BytesPerSecond - time.GetElapsedTime(EarliestListener ?? now, now).TotalSeconds;

    /// <summary>Output complete, or the transcode is being stopped: it needs no run slot, and must not stay paused.</summary>
    public bool Settling
    {
        get { lock (_processLock) return _outputEnded || _stop.IsCancellationRequested || _process is null && ProcessId is not null; }
    }

    /// <summary>SIGSTOP; false when there is no process to pause (not started, ending, or gone).</summary>
    internal bool Pause()
    {
        lock (_processLock)
            return _process is { } p && !_outputEnded && !_stop.IsCancellationRequested && !p.HasExited && EncoderSignals.Stop(p.Id);
    }

    /// <summary>SIGCONT; false when there is no process to resume.</summary>
    internal bool Resume()
    {
        lock (_processLock)
            return _process is { } p && !p.HasExited && EncoderSignals.Continue(p.Id);
    }

    /// <summary>Stops the transcode with a reason for the log (the watchdog, shutdown).</summary>
    internal void Abort(string reason)
    {
        _stopReason ??= reason;
        _stop.Cancel();
    }

    public FileStream OpenReader() =>
        new(PartPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);

    /// <summary>Waits until more than <paramref name="position"/> bytes exist; false when the output ended before that.</summary>
    public async Task<bool> WaitForDataAsync(long position, CancellationToken ct)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _progress).Task;
            if (Written > position) return true;
            if (_finished) return Written > position;
            await signal.WaitAsync(ct);
        }
    }

    private async Task PumpAsync(Func<Process> launch, Func<bool, string, Task> finish)
    {
        var ok = false;
        var error = new StringBuilder();
        Process? process = null;
        try
        {
            process = launch();
            lock (_processLock)
            {
                _process = process;
                ProcessId = process.Id;
            }
            var stderr = DrainAsync(process.StandardError, error);
            // ffmpeg writes 32 KiB blocks (-flush_packets 0); a synchronous pwrite of one into the
            // page cache costs less than a trip through the thread pool.
            using (SafeFileHandle output = File.OpenHandle(PartPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
                var stdout = process.StandardOutput.BaseStream;
                var buffer = new byte[64 * 1024];
                while (true)
                {
                    // WaitAsync: a pipe read does not always honour its token, and a leaving listener must not wait.
                    var n = await stdout.ReadAsync(buffer, _stop.Token).AsTask().WaitAsync(_stop.Token);
                    if (n == 0) break;
                    RandomAccess.Write(output, buffer.AsSpan(0, n), Written);
                    Interlocked.Add(ref _written, n);
                    Signal();
                }
            }
            // Output done: the process only has to exit now, so it must never sit paused.
            lock (_processLock) _outputEnded = true;
            Resume();
            await process.WaitForExitAsync(_stop.Token);
            await stderr;
            // ffmpeg gets through damaged input with exit code 0 but says so on stderr (at -loglevel
            // error): the listener got what could be decoded, the cache must not keep it.
            ok = process.ExitCode == 0 && Written > 0 && error.Length == 0;
            if (!ok && error.Length == 0) error.Append($"ffmpeg exited with code {process.ExitCode}");
        }
        catch (OperationCanceledException)
        {
            error.Append(_stopReason ?? "stopped: the last listener left");
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            error.Append(e.Message);
        }
        finally
        {
            if (process is not null)
            {
                lock (_processLock) _process = null;
                if (!process.HasExited)
                {
                    // SIGKILL ends a stopped process too: no SIGCONT needed first.
                    try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                }
                // Reap it: no zombie left behind.
                try { await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
                process.Dispose();
            }
            try
            {
                await finish(ok, error.ToString().Trim());
            }
            finally
            {
                _finished = true;
                Signal();
            }
        }
    }

    private static async Task DrainAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[1024];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            lock (into) if (into.Length < 4096) into.Append(buffer, 0, n);
    }

    private void Signal() => Interlocked.Exchange(ref _progress, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
