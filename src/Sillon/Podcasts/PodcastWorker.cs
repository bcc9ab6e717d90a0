using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Sillon.Podcasts;

/// <summary>
/// Runs downloads one at a time (a podcast server is not ours to hammer, and our disk is not
/// unbounded), refreshes every channel on schedule, and resumes downloads a stopped server left
/// unfinished. Requests are queued in memory; the 'downloading' status in the database is what survives.
/// </summary>
public sealed partial class PodcastWorker(PodcastLibrary library, IOptions<PodcastOptions> options, TimeProvider time, ILogger<PodcastWorker> log) : BackgroundService
{
    private readonly Channel<long> _downloads = Channel.CreateUnbounded<long>();
    private readonly Channel<bool> _refresh = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Download(long episodeId) => _downloads.Writer.TryWrite(episodeId);

    public void RefreshAll() => _refresh.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            foreach (var id in await library.UnfinishedDownloadsAsync(stop)) Download(id);
        }
        catch (Exception e) when (e is not OperationCanceledException) { LogFailed(log, e); }
        await Task.WhenAll(DownloadLoopAsync(stop), RefreshLoopAsync(stop));
    }

    private async Task DownloadLoopAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var id in _downloads.Reader.ReadAllAsync(stop))
            {
                try { await library.DownloadAsync(id, stop); }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested) { LogFailed(log, e); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    private async Task RefreshLoopAsync(CancellationToken stop)
    {
        var interval = options.Value.RefreshInterval;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(stop))
                {
                    var asked = _refresh.Reader.ReadAsync(either.Token).AsTask();
                    var due = interval > TimeSpan.Zero ? Task.Delay(interval, time, either.Token) : Task.Delay(Timeout.Infinite, either.Token);
                    await Task.WhenAny(asked, due);
                    await either.CancelAsync();
                }
                stop.ThrowIfCancellationRequested();
                try { await library.RefreshAllAsync(stop); }
                catch (Exception e) when (e is not OperationCanceledException) { LogFailed(log, e); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Podcast worker step failed")]
    private static partial void LogFailed(ILogger log, Exception e);
}
