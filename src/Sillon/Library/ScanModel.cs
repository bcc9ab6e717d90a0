using System.Text.Json.Serialization;

namespace Sillon.Library;

public sealed record ScanError(string Path, string Reason);

/// <summary>What a finished scan reports: the CLI prints it, the API returns it, scan_runs keeps it.</summary>
public sealed record ScanSummary
{
    public required string Status { get; init; }
    public bool FullScan { get; init; }
    public int Added { get; init; }
    public int Updated { get; init; }
    public int Removed { get; init; }
    public int Unchanged { get; init; }
    public int Moved { get; init; }
    /// <summary>Playlists imported from, updated from or removed with playlist files.</summary>
    public int Playlists { get; init; }
    /// <summary>Seconds per phase (walking, comparing, reading, removing, albums).</summary>
    public IReadOnlyDictionary<string, double> PhaseSeconds { get; init; } = new Dictionary<string, double>();
    public long Tracks { get; init; }
    public long Albums { get; init; }
    public long Artists { get; init; }
    public double Seconds { get; init; }
    public required IReadOnlyList<ScanError> Errors { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>True when not one music folder could be scanned: the only case the CLI exits non-zero.</summary>
    [JsonIgnore] public bool LibraryUnavailable => Status == ScanStatus.Failed;
}

public static class ScanStatus
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Busy = "busy";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// Live progress of the running scan. Written by the scanner's threads with Interlocked and read by
/// anyone (the CLI's progress bar, the API) without locks; figures may be a moment stale, never torn.
/// </summary>
public sealed class ScanProgress(DateTimeOffset startedAt, bool full)
{
    private int _found, _processed, _added, _updated, _unchanged, _errors;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public bool FullScan { get; } = full;
    public volatile string Phase = "walking";
    public volatile bool WalkDone;

    public int FilesFound => Volatile.Read(ref _found);
    public int FilesProcessed => Volatile.Read(ref _processed);
    public int Added => Volatile.Read(ref _added);
    public int Updated => Volatile.Read(ref _updated);
    public int Unchanged => Volatile.Read(ref _unchanged);
    public int Errors => Volatile.Read(ref _errors);

    internal void Found(int n = 1) => Interlocked.Add(ref _found, n);
    internal void Processed(int n = 1) => Interlocked.Add(ref _processed, n);
    internal void CountAdded() => Interlocked.Increment(ref _added);
    internal void CountUpdated() => Interlocked.Increment(ref _updated);
    internal void CountUnchanged(int n) => Interlocked.Add(ref _unchanged, n);
    internal void CountError() => Interlocked.Increment(ref _errors);

    public double FilesPerSecond(DateTimeOffset now)
    {
        var seconds = (now - StartedAt).TotalSeconds;
        return seconds <= 0 ? 0 : FilesProcessed / seconds;
    }

    /// <summary>Seconds left at the current rate, or null while the walk has not counted every file.</summary>
    public double? EtaSeconds(DateTimeOffset now)
    {
        var rate = FilesPerSecond(now);
        if (!WalkDone || rate <= 0) return null;
        return Math.Max(0, (FilesFound - FilesProcessed) / rate);
    }
}
