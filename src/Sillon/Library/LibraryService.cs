using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Sillon.Library;

/// <summary>
/// Asks the library service for a scan. Requests made while one is queued or running merge into
/// the next one: folders named by file-system events accumulate, and a request for the whole
/// library (or a full re-read) absorbs them.
/// </summary>
public sealed class ScanTrigger(Scanner scanner)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _lock = new();
    private bool _pending, _whole, _full;
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal);

    /// <summary>For the API: false when a scan is already running.</summary>
    public bool Request(bool full)
    {
        if (scanner.IsScanning) return false;
        Merge(whole: true, full, null);
        return true;
    }

    /// <summary>Queue a scan of the whole library even while one runs, so that nothing is missed.</summary>
    public void RequestSoon() => Merge(whole: true, full: false, null);

    /// <summary>Queue a scan of these folders (and below).</summary>
    public void RequestFolders(IEnumerable<string> folders) => Merge(whole: false, full: false, folders);

    private void Merge(bool whole, bool full, IEnumerable<string>? folders)
    {
        lock (_lock)
        {
            _pending = true;
            _whole |= whole;
            _full |= full;
            if (folders is not null) _folders.UnionWith(folders);
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Waits for a request; null folders mean the whole library.</summary>
    internal async Task<(bool Full, IReadOnlyCollection<string>? Folders)> NextAsync(CancellationToken ct)
    {
        while (true)
        {
            await _wake.Reader.ReadAsync(ct);
            lock (_lock)
            {
                if (!_pending) continue;
                var request = (_full, _whole ? null : (IReadOnlyCollection<string>)[.. _folders]);
                (_pending, _whole, _full) = (false, false, false);
                _folders.Clear();
                return request;
            }
        }
    }
}

/// <summary>
/// Keeps the catalog in step with the music folders while `serve` runs: a scan at start, a scan after
/// file-system changes settle (debounced), and a scan on a schedule to catch what watching missed
/// (network mounts, inotify limits).
/// </summary>
public sealed partial class LibraryService(
    Scanner scanner, ScanTrigger trigger, LibraryFolders libraryFolders, IOptions<LibraryOptions> libraryOptions,
    TimeProvider time, ILogger<LibraryService> log) : BackgroundService
{
    // Guarded by itself: the watcher set follows folders added and removed from the admin page.
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private ITimer? _debounce;
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = libraryOptions.Value;
        _stopping = stoppingToken;
        await Task.Yield();
        if (settings.Watch)
        {
            _debounce = time.CreateTimer(_ => FlushChanges(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            libraryFolders.Changed += FoldersChanged;
            await WatchAsync(settings.WatchDebounce, stoppingToken);
        }
        // Without music folders (a generated or delivered catalog) there is nothing to scan on a
        // schedule; a scan asked for by hand still runs and says why it cannot.
        var folders = (await libraryFolders.RootsAsync(stoppingToken)).Count > 0;
        if (settings.ScanOnStart && folders) trigger.RequestSoon();

        while (!stoppingToken.IsCancellationRequested)
        {
            // Read each time: a folder added from the admin page turns the schedule on.
            var interval = settings.ScanInterval > TimeSpan.Zero && folders ? settings.ScanInterval : Timeout.InfiniteTimeSpan;
            (bool Full, IReadOnlyCollection<string>? Folders) request;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                if (interval != Timeout.InfiniteTimeSpan) wait.CancelAfter(interval);
                try { request = await trigger.NextAsync(wait.Token); }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { request = (false, null); } // scheduled rescan
                catch (OperationCanceledException) { return; }
            }
            try
            {
                await scanner.ScanAsync(request.Full, stoppingToken, request.Folders);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed scan must not stop the server: the catalog stays as it was and the next trigger retries.
                LogScanFailed(e);
            }
            try { folders = (await libraryFolders.RootsAsync(stoppingToken)).Count > 0; }
            catch (Exception e) when (e is not OperationCanceledException) { LogScanFailed(e); }
        }
    }

    private void FoldersChanged() => _ = WatchAsync(libraryOptions.Value.WatchDebounce, _stopping);

    /// <summary>Watches every music folder that exists and stops watching folders no longer in the library.</summary>
    private async Task WatchAsync(TimeSpan debounce, CancellationToken ct)
    {
        IReadOnlyList<string> roots;
        try { roots = await libraryFolders.RootsAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException) { LogWatchError("(library folders)", e.Message); return; }
        catch (OperationCanceledException) { return; }
        lock (_watchers)
        {
            foreach (var gone in _watchers.Keys.Except(roots).ToList())
            {
                _watchers[gone].Dispose();
                _watchers.Remove(gone);
            }
            foreach (var root in roots.Where(r => !_watchers.ContainsKey(r) && Directory.Exists(r)))
                if (Watch(root, debounce) is { } watcher) _watchers[root] = watcher;
        }
    }

    private FileSystemWatcher? Watch(string root, TimeSpan debounce)
    {
        try
        {
            var watcher = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                InternalBufferSize = 64 * 1024,
            };
            FileSystemEventHandler changed = (_, e) => Changed(e.FullPath, debounce);
            watcher.Created += changed;
            watcher.Changed += changed;
            watcher.Deleted += changed;
            watcher.Renamed += (_, e) => { Changed(e.OldFullPath, debounce); Changed(e.FullPath, debounce); };
            // Overflow means events were lost: the whole library is rescanned.
            watcher.Error += (_, e) =>
            {
                LogWatchError(root, e.GetException().Message);
                lock (_changed) _overflow = true;
                _debounce!.Change(debounce, Timeout.InfiniteTimeSpan);
            };
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogWatchError(root, e.Message);
            return null;
        }
    }

    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private bool _overflow;

    /// <summary>An event names a file or folder: its parent folder is what gets rescanned.</summary>
    private void Changed(string path, TimeSpan debounce)
    {
        if (Path.GetDirectoryName(path) is { } parent)
            lock (_changed) _changed.Add(parent);
        _debounce!.Change(debounce, Timeout.InfiniteTimeSpan);
    }

    private void FlushChanges()
    {
        string[] folders;
        bool overflow;
        lock (_changed)
        {
            (folders, overflow) = ([.. _changed], _overflow);
            _changed.Clear();
            _overflow = false;
        }
        if (overflow) trigger.RequestSoon();
        else if (folders.Length > 0) trigger.RequestFolders(folders);
    }

    public override void Dispose()
    {
        libraryFolders.Changed -= FoldersChanged;
        lock (_watchers) foreach (var w in _watchers.Values) w.Dispose();
        _debounce?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Library scan failed; the catalog is unchanged")]
    private partial void LogScanFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot watch {Root} for changes ({Reason}); relying on scheduled rescans")]
    private partial void LogWatchError(string root, string reason);
}
