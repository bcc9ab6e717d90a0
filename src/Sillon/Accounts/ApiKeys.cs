using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Sillon.Data;

namespace Sillon.Accounts;

public sealed record ApiKeyInfo(long Id, string Name, string CreatedAt, string? LastUsed);

/// <summary>
/// API keys for the OpenSubsonic apiKeyAuthentication extension: 256 random bits shown once, kept
/// only as a SHA-256 hash (like bearer tokens), each belonging to one user.
/// </summary>
public sealed class ApiKeys(Database db, TimeProvider time)
{
    public async Task<(string Key, ApiKeyInfo Info)> CreateAsync(long userId, string name, CancellationToken ct)
    {
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        await using var c = await db.OpenAsync(ct);
        var id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO api_keys (user_id, key_hash, name, created_at) VALUES (@userId, @hash, @name, @now) RETURNING id",
            new { userId, hash = Hash(key), name, now }, cancellationToken: ct));
        return (key, new ApiKeyInfo(id, name, now, null));
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<ApiKeyInfo>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, created_at AS CreatedAt, last_used AS LastUsed FROM api_keys WHERE user_id = @userId ORDER BY id",
            new { userId }, cancellationToken: ct))).ToList();
    }

    public async Task<bool> DeleteAsync(long userId, long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM api_keys WHERE id = @id AND user_id = @userId", new { id, userId }, cancellationToken: ct)) > 0;
    }

    public async Task<User?> FindAsync(string key, CancellationToken ct)
    {
        if (key.Length is < 16 or > 256) return null;
        await using var c = await db.OpenAsync(ct);
        var hash = Hash(key);
        var user = await c.QuerySingleOrDefaultAsync<User>(new CommandDefinition($"""
            SELECT {User.Columns}
            FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = @hash
            """, new { hash }, cancellationToken: ct));
        if (user is not null)
            await c.ExecuteAsync(new CommandDefinition("UPDATE api_keys SET last_used = @now WHERE key_hash = @hash",
                new { hash, now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) }, cancellationToken: ct));
        return user;
    }

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
