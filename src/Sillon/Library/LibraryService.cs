using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Sillon.Library;

/// <summary>Asks the library service for a scan. Requests made while one is queued or running collapse into one.</summary>
public sealed class ScanTrigger(Scanner scanner)
{
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public bool Request(bool full)
    {
        if (scanner.IsScanning) return false;
        _requests.Writer.TryWrite(full);
        return true;
    }

    /// <summary>For file-system events: queue a scan even while one runs, so changes made during it are not missed.</summary>
    public void RequestSoon() => _requests.Writer.TryWrite(false);

    internal ChannelReader<bool> Requests => _requests.Reader;
}

/// <summary>
/// Keeps the catalog in step with the music folders while `serve` runs: a scan at start, a scan after
/// file-system changes settle (debounced), and a scan on a schedule to catch what watching missed
/// (network mounts, inotify limits).
/// </summary>
public sealed partial class LibraryService(
    Scanner scanner, ScanTrigger trigger, SillonOptions options, IOptions<LibraryOptions> libraryOptions,
    TimeProvider time, ILogger<LibraryService> log) : BackgroundService
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private ITimer? _debounce;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = libraryOptions.Value;
        await Task.Yield();
        if (settings.Watch) StartWatching(settings.WatchDebounce);
        if (settings.ScanOnStart) trigger.RequestSoon();

        var interval = settings.ScanInterval > TimeSpan.Zero ? settings.ScanInterval : Timeout.InfiniteTimeSpan;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool full;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                if (interval != Timeout.InfiniteTimeSpan) wait.CancelAfter(interval);
                try { full = await trigger.Requests.ReadAsync(wait.Token); }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { full = false; } // scheduled rescan
                catch (OperationCanceledException) { return; }
            }
            try
            {
                await scanner.ScanAsync(full, stoppingToken);
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
        }
    }

    private void StartWatching(TimeSpan debounce)
    {
        _debounce = time.CreateTimer(_ => trigger.RequestSoon(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var root in options.Music.Where(Directory.Exists))
        {
            try
            {
                var watcher = new FileSystemWatcher(root)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                    InternalBufferSize = 64 * 1024,
                };
                FileSystemEventHandler changed = (_, _) => _debounce.Change(debounce, Timeout.InfiniteTimeSpan);
                watcher.Created += changed;
                watcher.Changed += changed;
                watcher.Deleted += changed;
                watcher.Renamed += (_, _) => _debounce.Change(debounce, Timeout.InfiniteTimeSpan);
                // Overflow means events were lost: a scan finds out what changed.
                watcher.Error += (_, e) => { LogWatchError(root, e.GetException().Message); _debounce.Change(debounce, Timeout.InfiniteTimeSpan); };
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                LogWatchError(root, e.Message);
            }
        }
    }

    public override void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _debounce?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Library scan failed; the catalog is unchanged")]
    private partial void LogScanFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot watch {Root} for changes ({Reason}); relying on scheduled rescans")]
    private partial void LogWatchError(string root, string reason);
}
