namespace Sillon.Scrobbling;

/// <summary>Options of scrobbling, under "Scrobbling" in configuration. The base URLs exist so tests (and mirrors) can point elsewhere.</summary>
public sealed class ScrobbleOptions
{
    public Uri ListenBrainzUrl { get; set; } = new("https://api.listenbrainz.org/");
    public Uri LastFmUrl { get; set; } = new("https://ws.audioscrobbler.com/2.0/");
    /// <summary>Where a listener authorises Sillon's Last.fm token.</summary>
    public Uri LastFmAuthUrl { get; set; } = new("https://www.last.fm/api/auth/");
    /// <summary>The operator's Last.fm API account (last.fm/api/account/create). Without both, Last.fm is not offered.</summary>
    public string? LastFmApiKey { get; set; }
    public string? LastFmSecret { get; set; }

    /// <summary>How often the sender looks for due listens when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>First retry delay; doubles with each failed attempt up to RetryMax.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromHours(6);
    /// <summary>A listen still failing this long after it was queued is given up (Last.fm refuses scrobbles older than 14 days).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(14);
    /// <summary>How long a sender owns a claimed listen; past it, a crashed sender's claim is taken over.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);
    public int BatchSize { get; set; } = 50;

    public bool LastFmConfigured => !string.IsNullOrWhiteSpace(LastFmApiKey) && !string.IsNullOrWhiteSpace(LastFmSecret);

    public bool IsValid() => PollInterval > TimeSpan.Zero && RetryBase > TimeSpan.Zero && RetryMax >= RetryBase && Lease > RequestTimeout
        && RequestTimeout > TimeSpan.Zero && BatchSize > 0 && GiveUpAfter > TimeSpan.Zero;
}
