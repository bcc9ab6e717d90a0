using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Sillon.Accounts;

namespace Sillon.Subsonic;

public enum AuthFailure { None, Missing, WrongCredentials, TokenNotSupported, Conflicting, InvalidApiKey, Throttled, Disabled }

/// <summary>
/// Subsonic authentication: u+p (plain or "enc:" hex), u+t+s (t = md5(password + s)) and apiKey.
/// Credentials come with every request, so a success is remembered for 30 seconds under a hash of
/// the credentials (PBKDF2 on every range request would cost more than the streaming). Failures
/// count toward <see cref="LoginThrottle"/>. Nothing here logs a credential.
/// </summary>
public sealed class SubsonicAuth
{
    private readonly Users users;
    private readonly ApiKeys apiKeys;
    private readonly LoginThrottle throttle;
    private readonly TimeProvider time;

    public SubsonicAuth(Users users, ApiKeys apiKeys, LoginThrottle throttle, TimeProvider time)
    {
        (this.users, this.apiKeys, this.throttle, this.time) = (users, apiKeys, throttle, time);
        // Any account change made through this process (REST or Subsonic) is seen at once.
        users.Changed += Forget;
    }

    // Changes made through this server (password, user removal) clear the memory at once; a change
    // made by another process (`sillon user passwd`) is seen within this time.
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (User User, DateTimeOffset Until)> _recent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<(User?, AuthFailure)>>> _inflight = new(StringComparer.Ordinal);

    public bool ViaApiKey(SubsonicParams p) => p.Get("apiKey") is not null;

    public async Task<(User? User, AuthFailure Failure, int RetryAfter)> AuthenticateAsync(SubsonicParams p, string address, CancellationToken ct)
    {
        var name = p.Get("u");
        var password = p.Get("p");
        var token = p.Get("t");
        var salt = p.Get("s");
        var apiKey = p.Get("apiKey");
        if (apiKey is not null && (name is not null || password is not null || token is not null)) return (null, AuthFailure.Conflicting, 0);
        if (apiKey is null && (name is null || (password is null && (token is null || salt is null)))) return (null, AuthFailure.Missing, 0);

        if (throttle.RetryAfter(name, address) is { } wait) return (null, AuthFailure.Throttled, wait);
        var key = CacheKey(name, password, token, salt, apiKey);
        var now = time.GetUtcNow();
        if (_recent.TryGetValue(key, out var hit) && hit.Until > now) return hit.User.Disabled ? (null, AuthFailure.Disabled, 0) : (hit.User, AuthFailure.None, 0);

        // Single flight: a client opening 50 connections at once (or every client when the memory
        // expires) triggers one PBKDF2 check, not 50 that starve the thread pool.
        var check = _inflight.GetOrAdd(key, _ => new Lazy<Task<(User?, AuthFailure)>>(() =>
            apiKey is not null ? ApiKeyAsync(apiKey, CancellationToken.None)
            : password is not null ? PasswordAsync(name!, password, CancellationToken.None)
            : TokenAsync(name!, token!, salt!, CancellationToken.None)));
        (User? user, AuthFailure failure) result;
        try { result = await check.Value.WaitAsync(ct); }
        finally { _inflight.TryRemove(KeyValuePair.Create(key, check)); }
        var (user, failure) = result;
        if (user is null)
        {
            if (failure is AuthFailure.WrongCredentials or AuthFailure.InvalidApiKey) throttle.Failed(name, address);
            return (null, failure, 0);
        }
        if (_recent.Count > 10_000) _recent.Clear();
        _recent[key] = (user, now + CacheFor);
        // Right credentials of a disabled account: refused, and said so (not counted as a failed guess).
        return user.Disabled ? (null, AuthFailure.Disabled, 0) : (user, AuthFailure.None, 0);
    }

    /// <summary>After a password change, key deletion, user removal, disabling or a role change: old credentials are checked again at once.</summary>
    public void Forget() => _recent.Clear();

    private async Task<(User?, AuthFailure)> ApiKeyAsync(string apiKey, CancellationToken ct) =>
        await apiKeys.FindAsync(apiKey, ct) is { } user ? (user, AuthFailure.None) : (null, AuthFailure.InvalidApiKey);

    private async Task<(User?, AuthFailure)> PasswordAsync(string name, string password, CancellationToken ct)
    {
        if (password.StartsWith("enc:", StringComparison.Ordinal))
        {
            try { password = Encoding.UTF8.GetString(Convert.FromHexString(password.AsSpan(4))); }
            catch (FormatException) { return (null, AuthFailure.WrongCredentials); }
        }
        if (name.Length > 64 || password.Length > 1024) return (null, AuthFailure.WrongCredentials);
        return await users.VerifyAsync(name, password, ct) is { } user ? (user, AuthFailure.None) : (null, AuthFailure.WrongCredentials);
    }

    private async Task<(User?, AuthFailure)> TokenAsync(string name, string token, string salt, CancellationToken ct)
    {
        if (name.Length > 64 || token.Length != 32 || salt.Length > 256) return (null, AuthFailure.WrongCredentials);
        var found = await users.RecoverablePasswordAsync(name, ct);
        if (found is not { } f) return (null, AuthFailure.WrongCredentials);
        if (f.Password is null) return (null, AuthFailure.TokenNotSupported);
        var expected = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(f.Password + salt)));
        byte[] given;
        try { given = Convert.FromHexString(token); }
        catch (FormatException) { return (null, AuthFailure.WrongCredentials); }
        return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(expected), given) ? (f.User, AuthFailure.None) : (null, AuthFailure.WrongCredentials);
    }

    private static string CacheKey(string? name, string? password, string? token, string? salt, string? apiKey) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', name, password, token, salt, apiKey))));
}
