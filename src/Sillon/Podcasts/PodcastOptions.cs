namespace Sillon.Podcasts;

/// <summary>Options of podcasts, under "Podcasts" in configuration. The limits are what keeps a hostile feed from harming the server.</summary>
public sealed class PodcastOptions
{
    /// <summary>Refresh every channel on this schedule; zero turns it off.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(6);
    /// <summary>Downloaded episodes kept per channel (unless the channel says otherwise); older downloads are deleted.</summary>
    public int KeepEpisodes { get; set; } = 10;
    public long MaxFeedBytes { get; set; } = 10 * 1024 * 1024;
    public long MaxEpisodeBytes { get; set; } = 1024L * 1024 * 1024;
    /// <summary>Episodes read from one feed at most (the newest, in feed order).</summary>
    public int MaxEpisodesPerFeed { get; set; } = 2000;
    public int MaxRedirects { get; set; } = 5;
    /// <summary>A whole feed must arrive within this time.</summary>
    public TimeSpan FeedTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>An episode download fails when no byte arrives for this long.</summary>
    public TimeSpan DownloadIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromHours(1);

    public bool IsValid() => RefreshInterval >= TimeSpan.Zero && KeepEpisodes > 0 && MaxFeedBytes > 0 && MaxEpisodeBytes > 0 && MaxEpisodesPerFeed > 0
        && MaxRedirects >= 0 && FeedTimeout > TimeSpan.Zero && DownloadIdleTimeout > TimeSpan.Zero && DownloadTimeout > TimeSpan.Zero;
}

/// <summary>An expected failure of a feed or a download, with a message for the person who asked.</summary>
public sealed class PodcastException(string message, Exception? inner = null) : Exception(message, inner);
