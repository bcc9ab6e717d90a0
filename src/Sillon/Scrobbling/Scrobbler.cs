using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Sillon.Scrobbling;

/// <summary>
/// What the rest of Sillon calls when a play is recorded or a track starts. A play is queued in the
/// caller's transaction (durable, sent by <see cref="ScrobbleSender"/>); now playing is best-effort,
/// kept in memory only: a bounded queue that drops the oldest notice, because a stale one is worthless.
/// </summary>
public sealed class Scrobbler(ScrobbleOutbox outbox)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<(long UserId, long TrackId)> _nowPlaying =
        Channel.CreateBounded<(long, long)>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>Queue the play for every service the user linked, in the transaction that records it. Call <see cref="Wake"/> after the commit.</summary>
    public Task<int> EnqueueAsync(DbConnection c, DbTransaction tx, long userId, long trackId, DateTimeOffset startedAt, long? heardMs, CancellationToken ct) =>
        outbox.EnqueueAsync(c, tx, userId, trackId, startedAt, heardMs, ct);

    /// <summary>Tell the sender that committed listens are waiting (otherwise it finds them at its next poll).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    public void NowPlaying(long userId, long trackId) => _nowPlaying.Writer.TryWrite((userId, trackId));

    internal ValueTask<bool> WaitForWakeAsync(CancellationToken ct) => _wake.Reader.ReadAsync(ct);
    internal ChannelReader<(long UserId, long TrackId)> NowPlayingRequests => _nowPlaying.Reader;
}

/// <summary>
/// Sends the outbox. Each round claims due listens, sends them one by one, and records each outcome:
/// sent, retry later (exponential back-off from RetryBase, or the service's Retry-After), or given up
/// with the reason. Between rounds it sleeps until woken, until the next listen falls due, or PollInterval.
/// </summary>
public sealed partial class ScrobbleSender(Scrobbler scrobbler, ScrobbleOutbox outbox, ScrobbleAccounts accounts, ListenBrainzClient listenBrainz,
    LastFmClient lastFm, IOptions<ScrobbleOptions> options, TimeProvider time, ILogger<ScrobbleSender> log) : BackgroundService
{
    // Finished listens are kept a month (the settings page shows the last failures), then forgotten.
    private static readonly TimeSpan KeepFinished = TimeSpan.FromDays(30);
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var nowPlaying = NowPlayingLoopAsync(stop);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (time.GetUtcNow() - _pruned > TimeSpan.FromHours(1))
                {
                    await outbox.PruneAsync(KeepFinished, stop);
                    _pruned = time.GetUtcNow();
                }
                var claimed = await SendDueAsync(stop);
                if (claimed == options.Value.BatchSize) continue;
                await WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                LogRoundFailed(log, e);
                try { await Task.Delay(options.Value.PollInterval, time, stop); } catch (OperationCanceledException) { break; }
            }
        }
        await nowPlaying;
    }

    /// <summary>One round: claim, send, record. Returns how many listens were claimed.</summary>
    internal async Task<int> SendDueAsync(CancellationToken stop)
    {
        var (claim, listens) = await outbox.ClaimAsync(options.Value.BatchSize, stop);
        var credentials = new Dictionary<(long, string), string?>();
        for (var i = 0; i < listens.Count; i++)
        {
            var listen = listens[i];
            SendOutcome outcome;
            try
            {
                if (!credentials.TryGetValue((listen.UserId, listen.Service), out var credential))
                    credentials[(listen.UserId, listen.Service)] = credential = (await accounts.GetAsync(listen.UserId, listen.Service, stop))?.Credential;
                outcome = credential is null ? SendOutcome.GiveUp("account unlinked before it was sent")
                    : listen.Service == ScrobbleServices.ListenBrainz ? await listenBrainz.SubmitAsync(credential, listen, stop)
                    : await lastFm.ScrobbleAsync(credential, listen, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopping: hand back this listen and the rest. Whether this one reached the service is unknown;
                // it is sent again after the restart with the same timestamp, which both services deduplicate.
                foreach (var rest in listens.Skip(i)) await outbox.ReleaseAsync(rest, claim);
                throw;
            }
            if (!await outbox.FinishAsync(listen, claim, outcome, stop)) LogClaimLost(log, listen.Id);
            else if (outcome.Status == SendStatus.Sent) LogSent(log, listen.Id, listen.Service);
            else if (outcome.Status == SendStatus.Retry) LogRetry(log, listen.Id, listen.Service, listen.Attempts, outcome.Error);
            else LogGaveUp(log, listen.Id, listen.Service, outcome.Error);
        }
        return listens.Count;
    }

    private async Task WaitAsync(CancellationToken stop)
    {
        var o = options.Value;
        var wait = o.PollInterval;
        if (await outbox.NextDueAsync(stop) is { } due)
            wait = TimeSpan.FromTicks(Math.Clamp((due - time.GetUtcNow()).Ticks, TimeSpan.FromMilliseconds(10).Ticks, o.PollInterval.Ticks));
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var woken = scrobbler.WaitForWakeAsync(either.Token).AsTask();
        var slept = Task.Delay(wait, time, either.Token);
        await Task.WhenAny(woken, slept);
        await either.CancelAsync();
        stop.ThrowIfCancellationRequested();
    }

    private async Task NowPlayingLoopAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var (userId, trackId) in scrobbler.NowPlayingRequests.ReadAllAsync(stop))
            {
                try { await SendNowPlayingAsync(userId, trackId, stop); }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested) { LogNowPlayingFailed(log, e.Message); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }

    private async Task SendNowPlayingAsync(long userId, long trackId, CancellationToken stop)
    {
        var linked = await accounts.GetAsync(userId, stop);
        if (!linked.Values.Any(a => a.Credential is not null)) return;
        var listen = await outbox.TrackListenAsync(trackId, stop);
        if (listen is null) return;
        foreach (var account in linked.Values.Where(a => a.Credential is not null))
        {
            var outcome = account.Service == ScrobbleServices.ListenBrainz
                ? await listenBrainz.NowPlayingAsync(account.Credential!, listen, stop)
                : options.Value.LastFmConfigured ? await lastFm.NowPlayingAsync(account.Credential!, listen, stop) : SendOutcome.Sent;
            if (outcome.Status != SendStatus.Sent) LogNowPlayingFailed(log, outcome.Error);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scrobble {Id} sent to {Service}")]
    private static partial void LogSent(ILogger log, long id, string service);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scrobble {Id} to {Service} will be retried (attempt {Attempts}): {Error}")]
    private static partial void LogRetry(ILogger log, long id, string service, long attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scrobble {Id} to {Service} given up: {Error}")]
    private static partial void LogGaveUp(ILogger log, long id, string service, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scrobble {Id}: the claim expired during the send; another sender owns it now")]
    private static partial void LogClaimLost(ILogger log, long id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Now playing not sent: {Error}")]
    private static partial void LogNowPlayingFailed(ILogger log, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scrobble sender round failed; trying again after the poll interval")]
    private static partial void LogRoundFailed(ILogger log, Exception e);
}
