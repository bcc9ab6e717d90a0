namespace Sillon.Scrobbling;

public static class ScrobbleServices
{
    public const string ListenBrainz = "listenbrainz", LastFm = "lastfm";
}

/// <summary>A listen as queued in the outbox (and, without an id, a now-playing notice).</summary>
public sealed record Listen
{
    public long Id { get; init; }
    public long UserId { get; init; }
    public string Service { get; init; } = "";
    public string Artist { get; init; } = "";
    public string Title { get; init; } = "";
    public string? Album { get; init; }
    public string? AlbumArtist { get; init; }
    public long? TrackNumber { get; init; }
    public long? DurationMs { get; init; }
    public string? MbzTrackId { get; init; }
    public string? MbzAlbumId { get; init; }
    /// <summary>Unix seconds when the listen started.</summary>
    public long ListenedAt { get; init; }
    public long Attempts { get; init; }
    public string CreatedAt { get; init; } = "";
}

public enum SendStatus { Sent, Retry, GiveUp }

/// <summary>What a service said: delivered, try again later (network, 5xx, 429), or never (a permanent 4xx, with the reason).</summary>
public readonly record struct SendOutcome(SendStatus Status, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly SendOutcome Sent = new(SendStatus.Sent);
    public static SendOutcome Retry(string error, TimeSpan? after = null) => new(SendStatus.Retry, error, after);
    public static SendOutcome GiveUp(string error) => new(SendStatus.GiveUp, error);
}

/// <summary>The services' shared rule for what counts as a listen.</summary>
public static class ScrobbleRules
{
    public const double MinTrackSeconds = 30;
    public const long EnoughMs = 240_000;

    /// <summary>
    /// Tracks under 30 s are never scrobbled; a longer one counts once half of it or 4 minutes were heard.
    /// Without a heard duration (a Subsonic client's submission) the client is trusted to have applied the rule.
    /// </summary>
    public static bool Counts(double durationSeconds, long? heardMs) =>
        durationSeconds >= MinTrackSeconds && (heardMs is null || heardMs >= Math.Min((long)(durationSeconds * 500), EnoughMs));
}
