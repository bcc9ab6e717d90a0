using System.Diagnostics;
using System.Text;

namespace Sillon.Streaming.Transcoding;

/// <summary>
/// One ffmpeg process encoding at full speed into a part file that any number of listeners read
/// while it grows. Listeners are counted: when the last one leaves before the end, the process is
/// killed and the part file deleted. Invariant: <see cref="Written"/> bytes of the part file are
/// flushed and readable.
/// </summary>
public sealed class LiveTranscode
{
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _progress = NewSignal();
    private long _written;
    private int _listeners;
    private volatile bool _finished;

    public string Key { get; }
    public string PartPath { get; }
    public OutputFormat Format { get; }
    public long Written => Interlocked.Read(ref _written);
    public bool Finished => _finished;
    public int? ProcessId { get; private set; }
    public Task Completion { get; private set; } = Task.CompletedTask;

    public LiveTranscode(string key, string partPath, OutputFormat format)
    {
        Key = key;
        PartPath = partPath;
        Format = format;
        // Created before anyone can join, so a listener can always open it.
        using var _ = new FileStream(partPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>Starts ffmpeg; <paramref name="finish"/> runs once, with true when the output is complete and valid.</summary>
    public void Start(ProcessStartInfo psi, TimeSpan watchdog, Func<bool, string, Task> finish) =>
        Completion = Task.Run(() => PumpAsync(psi, watchdog, finish));

    /// <summary>Joins as a listener; false when the transcode is already stopping.</summary>
    public bool AddListener()
    {
        while (true)
        {
            var n = Volatile.Read(ref _listeners);
            if (n < 0) return false;
            if (Interlocked.CompareExchange(ref _listeners, n + 1, n) == n) return true;
        }
    }

    /// <summary>Leaves; the last listener of an unfinished transcode stops it.</summary>
    public void RemoveListener()
    {
        if (Interlocked.Decrement(ref _listeners) == 0 && !_finished &&
            Interlocked.CompareExchange(ref _listeners, -1, 0) == 0)
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

    private async Task PumpAsync(ProcessStartInfo psi, TimeSpan watchdog, Func<bool, string, Task> finish)
    {
        var ok = false;
        var error = new StringBuilder();
        Process? process = null;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
            ProcessId = process.Id;
            var stderr = DrainAsync(process.StandardError, error);
            await using (var output = new FileStream(PartPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous))
            {
                var stdout = process.StandardOutput.BaseStream;
                var buffer = new byte[64 * 1024];
                while (true)
                {
                    int n;
                    try
                    {
                        n = await stdout.ReadAsync(buffer, _stop.Token).AsTask().WaitAsync(watchdog, _stop.Token);
                    }
                    catch (TimeoutException)
                    {
                        error.Append($"no output for {watchdog.TotalSeconds:0} s: stopped by the watchdog");
                        return;
                    }
                    if (n == 0) break;
                    await output.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                    await output.FlushAsync(_stop.Token);
                    Interlocked.Add(ref _written, n);
                    Signal();
                }
            }
            await process.WaitForExitAsync(_stop.Token);
            await stderr;
            // ffmpeg gets through damaged input with exit code 0 but says so on stderr (at -loglevel
            // error): the listener got what could be decoded, the cache must not keep it.
            ok = process.ExitCode == 0 && Written > 0 && error.Length == 0;
            if (!ok && error.Length == 0) error.Append($"ffmpeg exited with code {process.ExitCode}");
        }
        catch (OperationCanceledException)
        {
            error.Append("stopped: the last listener left");
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            error.Append(e.Message);
        }
        finally
        {
            if (process is not null)
            {
                if (!process.HasExited)
                {
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
