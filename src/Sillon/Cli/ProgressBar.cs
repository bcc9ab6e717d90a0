using Sillon.Library;

namespace Sillon.Cli;

/// <summary>A one-line live progress bar on standard error, only when that is a terminal.</summary>
public sealed class ProgressBar : IDisposable
{
    private readonly ScanState _state;
    private readonly Timer _timer;
    private bool _drawn;

    private ProgressBar(ScanState state)
    {
        _state = state;
        _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
    }

    public static ProgressBar? StartIfTerminal(ScanState state) => Console.IsErrorRedirected ? null : new ProgressBar(state);

    public static string Render(ScanProgress p, DateTimeOffset now, int width = 30)
    {
        var total = Math.Max(p.FilesFound, 1);
        var fraction = p.WalkDone ? Math.Clamp((double)p.FilesProcessed / total, 0, 1) : 0;
        var filled = (int)Math.Round(fraction * width);
        var eta = p.EtaSeconds(now) is { } s ? TimeSpan.FromSeconds(Math.Ceiling(s)).ToString(@"mm\:ss") : "--:--";
        return $"[{new string('#', filled)}{new string('.', width - filled)}] {p.FilesProcessed}/{p.FilesFound} files  {p.FilesPerSecond(now),6:0} files/s  ETA {eta}  {p.Phase}";
    }

    private void Draw()
    {
        if (_state.Current is not { } p) return;
        lock (_timer)
        {
            Console.Error.Write("\r\u001b[K" + Render(p, DateTimeOffset.UtcNow));
            _drawn = true;
        }
    }

    public void Finish()
    {
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        lock (_timer) if (_drawn) Console.Error.Write("\r\u001b[K");
    }

    public void Dispose() => _timer.Dispose();
}
