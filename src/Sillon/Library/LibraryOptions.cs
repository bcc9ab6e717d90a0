namespace Sillon.Library;

/// <summary>Options of the library capability, under "Library" in configuration.</summary>
public sealed class LibraryOptions
{
    /// <summary>Folder image names in order of preference; "embedded" pictures are used when none matches.</summary>
    public List<string> CoverArtPriority { get; set; } = [.. CoverArtNames.Default];
    /// <summary>Rescan on this schedule as well as on file-system events; zero turns it off.</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Quiet time after the last file-system event before a rescan starts.</summary>
    public TimeSpan WatchDebounce { get; set; } = TimeSpan.FromMilliseconds(500);
    public bool Watch { get; set; } = true;
    public bool ScanOnStart { get; set; } = true;
    /// <summary>Tag-reading threads; 0 means one per core.</summary>
    public int ReadThreads { get; set; }
    /// <summary>Tracks written per transaction: bounds what a crash can lose and how long readers wait.</summary>
    public int BatchSize { get; set; } = 500;
}
