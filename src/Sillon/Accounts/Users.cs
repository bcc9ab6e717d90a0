using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Sillon.Data;

namespace Sillon.Accounts;

/// <summary>An account. Settable properties (not a positional record) so Dapper can turn SQLite's 0/1 into a bool.</summary>
public sealed record User
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public bool IsAdmin { get; init; }
    public string CreatedAt { get; init; } = "";
}

/// <summary>An account with the settings an administrator manages.</summary>
public sealed record UserDetails
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public bool IsAdmin { get; init; }
    public string? Email { get; init; }
    public int? MaxBitrate { get; init; }
}

public enum UserResult { Ok, NotFound, AlreadyExists, InvalidName, InvalidPassword }

/// <summary>
/// Accounts. Logins check ASP.NET Core Identity's PBKDF2 hash (salted, 100,000+ iterations,
/// versioned so that the hasher can be strengthened later and old hashes still verify). Subsonic
/// token auth needs the password itself, so a copy is kept encrypted by <see cref="PasswordVault"/>.
/// </summary>
public sealed class Users(Database db, TimeProvider time, PasswordVault vault)
{
    private static readonly PasswordHasher<string> Hasher = new();
    public const int MinPasswordLength = 4;

    public static UserResult Validate(string name, string? password)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || name.Any(c => char.IsControl(c) || c is ':' or '/' or '\\')) return UserResult.InvalidName;
        if (password is null || password.Length < MinPasswordLength || password.Length > 1024) return UserResult.InvalidPassword;
        return UserResult.Ok;
    }

    public Task<(UserResult Result, User? User)> AddAsync(string name, string password, bool isAdmin, CancellationToken ct) =>
        InsertAsync(name, password, isAdmin, onlyIfNoAccount: false, ct);

    /// <summary>
    /// Creates an administrator only while there is no account at all (the browser's first run).
    /// The emptiness check and the insert are one statement, so two browsers racing on a fresh
    /// server cannot both win.
    /// </summary>
    public Task<(UserResult Result, User? User)> AddFirstAdminAsync(string name, string password, CancellationToken ct) =>
        InsertAsync(name, password, isAdmin: true, onlyIfNoAccount: true, ct);

    // The one statement that creates accounts, so every way in stores the password the same way.
    private async Task<(UserResult Result, User? User)> InsertAsync(string name, string password, bool isAdmin, bool onlyIfNoAccount, CancellationToken ct)
    {
        name = name.Trim();
        var valid = Validate(name, password);
        if (valid != UserResult.Ok) return (valid, null);
        await using var connection = await db.OpenAsync(ct);
        var now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO users (name, password_hash, password_enc, is_admin, created_at)
            SELECT @name, @hash, @enc, @isAdmin, @now WHERE @onlyIfNoAccount = 0 OR NOT EXISTS (SELECT 1 FROM users)
            ON CONFLICT (name) DO NOTHING RETURNING id
            """, new { name, hash = Hasher.HashPassword(name, password), enc = vault.Encrypt(password), isAdmin, now, onlyIfNoAccount }, cancellationToken: ct));
        return id is null ? (UserResult.AlreadyExists, null) : (UserResult.Ok, new User { Id = id.Value, Name = name, IsAdmin = isAdmin, CreatedAt = now });
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<User>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, is_admin AS IsAdmin, created_at AS CreatedAt FROM users ORDER BY name", cancellationToken: ct))).ToList();
    }

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users", cancellationToken: ct));
    }

    public async Task<UserResult> SetPasswordAsync(string name, string password, CancellationToken ct)
    {
        if (Validate(name, password) is var valid and not UserResult.Ok) return valid;
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @hash, password_enc = @enc WHERE name = @name",
            new { name, hash = Hasher.HashPassword(name, password), enc = vault.Encrypt(password) }, tx, cancellationToken: ct));
        // A new password ends every session opened with the old one.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = @name)", new { name }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return changed == 0 ? UserResult.NotFound : UserResult.Ok;
    }

    public async Task<UserResult> RemoveAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var removed = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM users WHERE name = @name", new { name }, cancellationToken: ct));
        return removed == 0 ? UserResult.NotFound : UserResult.Ok;
    }

    /// <summary>The user when the password is right; null otherwise (unknown name or wrong password alike).</summary>
    public async Task<User?> VerifyAsync(string name, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, string Name, long IsAdmin, string CreatedAt, string Hash)>(new CommandDefinition(
            "SELECT id, name, is_admin, created_at, password_hash FROM users WHERE name = @name", new { name }, cancellationToken: ct));
        if (row.Hash is null)
        {
            // Same cost as a real check, so response time does not tell which names exist.
            Hasher.VerifyHashedPassword(name, DummyHash, password);
            return null;
        }
        var result = Hasher.VerifyHashedPassword(row.Name, row.Hash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET password_hash = @hash WHERE id = @Id",
                new { hash = Hasher.HashPassword(row.Name, password), row.Id }, cancellationToken: ct));
        return new User { Id = row.Id, Name = row.Name, IsAdmin = row.IsAdmin != 0, CreatedAt = row.CreatedAt };
    }

    private const string DetailsSelect = "SELECT id AS Id, name AS Name, is_admin AS IsAdmin, email AS Email, max_bitrate AS MaxBitrate FROM users";

    public async Task<UserDetails?> DetailsAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<UserDetails>(new CommandDefinition($"{DetailsSelect} WHERE name = @name", new { name }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<UserDetails>> ListDetailsAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<UserDetails>(new CommandDefinition($"{DetailsSelect} ORDER BY name", cancellationToken: ct))).ToList();
    }

    /// <summary>Changes the given settings; null leaves one as it is. maxBitrate 0 means no limit.</summary>
    public async Task<UserResult> UpdateAsync(string name, bool? isAdmin, string? email, int? maxBitrate, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users SET is_admin = COALESCE(@isAdmin, is_admin), email = COALESCE(@email, email),
                max_bitrate = CASE WHEN @maxBitrate IS NULL THEN max_bitrate WHEN @maxBitrate = 0 THEN NULL ELSE @maxBitrate END
            WHERE name = @name
            """, new { name, isAdmin, email, maxBitrate }, cancellationToken: ct));
        return changed == 0 ? UserResult.NotFound : UserResult.Ok;
    }

    /// <summary>The password for Subsonic token auth: null when the user is unknown or has no recoverable copy (set before 0003).</summary>
    public async Task<(User User, string? Password)?> RecoverablePasswordAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, string Name, long IsAdmin, string CreatedAt, string? Enc)>(new CommandDefinition(
            "SELECT id, name, is_admin, created_at, password_enc FROM users WHERE name = @name", new { name }, cancellationToken: ct));
        if (row.Name is null) return null;
        var user = new User { Id = row.Id, Name = row.Name, IsAdmin = row.IsAdmin != 0, CreatedAt = row.CreatedAt };
        return (user, row.Enc is null ? null : vault.Decrypt(row.Enc));
    }

    private static readonly string DummyHash = Hasher.HashPassword("", Guid.NewGuid().ToString());
}
