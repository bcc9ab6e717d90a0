using System.Collections.Concurrent;

namespace Sillon.Accounts;

/// <summary>
/// Slows password guessing on APIs that send credentials with every request (Subsonic): after
/// <see cref="MaxFailures"/> failures within <see cref="Window"/> for a user name or for an address,
/// further attempts for it are refused until the window has passed. Successes do not reset the
/// address count (a guesser with one valid account must not get unlimited tries on others).
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset Since)> _failures = new(StringComparer.Ordinal);

    /// <summary>Seconds to wait when the user or the address is locked out; null when an attempt may proceed.</summary>
    public int? RetryAfter(string? user, string address)
    {
        var now = time.GetUtcNow();
        var wait = Math.Max(Locked("a:" + address, now), user is null ? 0 : Locked("u:" + user.ToLowerInvariant(), now));
        return wait > 0 ? wait : null;
    }

    public void Failed(string? user, string address)
    {
        var now = time.GetUtcNow();
        Count("a:" + address, now);
        if (user is not null) Count("u:" + user.ToLowerInvariant(), now);
        if (_failures.Count > 100_000) Prune(now);
    }

    private int Locked(string key, DateTimeOffset now) =>
        _failures.TryGetValue(key, out var f) && f.Count >= MaxFailures && now - f.Since < Window
            ? (int)Math.Ceiling((Window - (now - f.Since)).TotalSeconds) : 0;

    private void Count(string key, DateTimeOffset now) =>
        _failures.AddOrUpdate(key, _ => (1, now), (_, f) => now - f.Since >= Window ? (1, now) : (f.Count + 1, f.Since));

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, f) in _failures)
            if (now - f.Since >= Window) _failures.TryRemove(key, out _);
    }
}
