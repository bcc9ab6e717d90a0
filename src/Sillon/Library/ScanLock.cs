namespace Sillon.Library;

/// <summary>
/// One scan at a time per data folder, across processes: an exclusive lock on data/scan.lock that the
/// operating system releases when the holder dies, so a killed scan never leaves a stale lock.
/// (On PostgreSQL the lock is an advisory lock in the database instead: <see cref="Data.PostgresDialect"/>.)
/// </summary>
public sealed class ScanLock : IDisposable, IAsyncDisposable
{
    private readonly FileStream _stream;

    private ScanLock(FileStream stream) => _stream = stream;

    public static ScanLock? TryAcquire(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        try
        {
            var stream = new FileStream(Path.Combine(dataDir, "scan.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(Environment.ProcessId);
            return new ScanLock(stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

/// <summary>The scan in progress and the last finished one, for the API, the CLI and metrics.</summary>
public sealed class ScanState
{
    private volatile ScanProgress? _current;
    private volatile ScanSummary? _last;

    public ScanProgress? Current { get => _current; internal set => _current = value; }
    public ScanSummary? Last { get => _last; internal set => _last = value; }
}
