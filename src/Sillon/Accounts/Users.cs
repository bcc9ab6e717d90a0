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
    /// <summary>A disabled account keeps its data but every way in (password, token, API key, session) is refused.</summary>
    public bool Disabled { get; init; }
    public bool StreamRole { get; init; } = true;
    public bool DownloadRole { get; init; } = true;
    public bool PlaylistRole { get; init; } = true;
    public bool ShareRole { get; init; } = true;
    public bool SettingsRole { get; init; } = true;

    /// <summary>Administrators hold every role, whatever their stored flags say.</summary>
    public bool Can(Role role) => IsAdmin || role switch
    {
        Role.Stream => StreamRole,
        Role.Download => DownloadRole,
        Role.Playlist => PlaylistRole,
        Role.Share => ShareRole,
        Role.Settings => SettingsRole,
        _ => false,
    };

    /// <summary>The user's columns, for any query that reads the users table as "u".</summary>
    internal const string Columns = """
        u.id AS Id, u.name AS Name, u.is_admin AS IsAdmin, u.created_at AS CreatedAt, u.disabled AS Disabled,
        u.stream_role AS StreamRole, u.download_role AS DownloadRole, u.playlist_role AS PlaylistRole,
        u.share_role AS ShareRole, u.settings_role AS SettingsRole
        """;
}

/// <summary>
/// The Subsonic roles Sillon enforces. Stream: play audio (REST and Subsonic stream, podcast episodes);
/// download: Subsonic download (the original file); playlist: create, change and delete playlists;
/// share: create and change share links; settings: change one's own password.
/// </summary>
public enum Role { Stream, Download, Playlist, Share, Settings }

/// <summary>An account with the settings an administrator manages.</summary>
public sealed record UserDetails
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public bool IsAdmin { get; init; }
    public string? Email { get; init; }
    public int? MaxBitrate { get; init; }
    public bool Disabled { get; init; }
    public bool StreamRole { get; init; } = true;
    public bool DownloadRole { get; init; } = true;
    public bool PlaylistRole { get; init; } = true;
    public bool ShareRole { get; init; } = true;
    public bool SettingsRole { get; init; } = true;
}

/// <summary>What an administrator changes on an account; null leaves a setting as it is. MaxBitrate 0 means no limit.</summary>
public sealed record UserChange
{
    public bool? IsAdmin { get; init; }
    public string? Email { get; init; }
    public int? MaxBitrate { get; init; }
    public bool? Disabled { get; init; }
    public bool? StreamRole { get; init; }
    public bool? DownloadRole { get; init; }
    public bool? PlaylistRole { get; init; }
    public bool? ShareRole { get; init; }
    public bool? SettingsRole { get; init; }
}

public enum UserResult { Ok, NotFound, AlreadyExists, InvalidName, InvalidPassword, LastAdmin }

/// <summary>
/// Accounts. Logins check ASP.NET Core Identity's PBKDF2 hash (salted, 100,000+ iterations,
/// versioned so that the hasher can be strengthened later and old hashes still verify). Subsonic
/// token auth needs the password itself, so a copy is kept encrypted by <see cref="PasswordVault"/>.
/// </summary>
public sealed class Users(Database db, TimeProvider time, PasswordVault vault)
{
    private static readonly PasswordHasher<string> Hasher = new();
    public const int MinPasswordLength = 4;

    /// <summary>
    /// Raised after a password change, an account update (disabled, roles, admin) or a removal, so
    /// that the memories of recent logins (<see cref="Sessions"/>, Subsonic auth) forget at once.
    /// </summary>
    public event Action? Changed;

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
    /// The emptiness check and the insert are one statement (on PostgreSQL behind a table lock, see
    /// <see cref="ISqlDialect.LockForCheckedInsertAsync"/>), so two browsers racing on a fresh
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
        var (hash, enc) = (Hasher.HashPassword(name, password), vault.Encrypt(password));
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (onlyIfNoAccount) await db.Dialect.LockForCheckedInsertAsync(connection, tx, "users", ct);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO users (name, password_hash, password_enc, is_admin, created_at)
            SELECT @name, @hash, @enc, @isAdmin, @now WHERE @onlyIfNoAccount = 0 OR NOT EXISTS (SELECT 1 FROM users)
            ON CONFLICT (name) DO NOTHING RETURNING id
            """, new { name, hash, enc, isAdmin, now, onlyIfNoAccount }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
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
        if (changed == 0) return UserResult.NotFound;
        Changed?.Invoke();
        return UserResult.Ok;
    }

    public async Task<UserResult> RemoveAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        // The guard is part of the statement: the last enabled administrator is never removed.
        var removed = await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM users WHERE name = @name AND {KeepsAnAdmin}",
            new { name, isAdmin = (bool?)false, disabled = (bool?)null }, cancellationToken: ct));
        if (removed > 0) { Changed?.Invoke(); return UserResult.Ok; }
        return await ExistsAsync(connection, name, ct) ? UserResult.LastAdmin : UserResult.NotFound;
    }

    // True unless the change (@isAdmin, @disabled; null = unchanged) turns the last enabled
    // administrator into something else. A server without any enabled administrator (accounts made
    // by `sillon user add` without --admin) is not blocked.
    private const string KeepsAnAdmin = """
        (NOT (users.is_admin = 1 AND users.disabled = 0)
         OR (COALESCE(@isAdmin, users.is_admin) = 1 AND COALESCE(@disabled, users.disabled) = 0)
         OR EXISTS (SELECT 1 FROM users o WHERE o.id <> users.id AND o.is_admin = 1 AND o.disabled = 0))
        """;

    private static async Task<bool> ExistsAsync(System.Data.Common.DbConnection connection, string name, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users WHERE name = @name", new { name }, cancellationToken: ct)) > 0;

    /// <summary>
    /// The user when the password is right; null otherwise (unknown name or wrong password alike). A
    /// disabled account is returned (with Disabled set) so that the caller can say why it is refused,
    /// but only to whoever knows its password.
    /// </summary>
    public async Task<User?> VerifyAsync(string name, string password, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var hash = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT password_hash FROM users WHERE name = @name", new { name }, cancellationToken: ct));
        if (hash is null)
        {
            // Same cost as a real check, so response time does not tell which names exist.
            Hasher.VerifyHashedPassword(name, DummyHash, password);
            return null;
        }
        var user = await connection.QuerySingleAsync<User>(new CommandDefinition($"SELECT {User.Columns} FROM users u WHERE u.name = @name", new { name }, cancellationToken: ct));
        var result = Hasher.VerifyHashedPassword(user.Name, hash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET password_hash = @hash WHERE id = @Id",
                new { hash = Hasher.HashPassword(user.Name, password), user.Id }, cancellationToken: ct));
        return user;
    }

    private const string DetailsSelect = """
        SELECT id AS Id, name AS Name, is_admin AS IsAdmin, email AS Email, max_bitrate AS MaxBitrate, disabled AS Disabled,
            stream_role AS StreamRole, download_role AS DownloadRole, playlist_role AS PlaylistRole, share_role AS ShareRole, settings_role AS SettingsRole
        FROM users
        """;

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
    public Task<UserResult> UpdateAsync(string name, bool? isAdmin, string? email, int? maxBitrate, CancellationToken ct) =>
        UpdateAsync(name, new UserChange { IsAdmin = isAdmin, Email = email, MaxBitrate = maxBitrate }, ct);

    /// <summary>
    /// Changes the given settings. Refused with <see cref="UserResult.LastAdmin"/> when it would
    /// leave the server without an enabled administrator (demoting or disabling the last one).
    /// </summary>
    public async Task<UserResult> UpdateAsync(string name, UserChange change, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE users SET is_admin = COALESCE(@isAdmin, is_admin), email = COALESCE(@email, email),
                max_bitrate = CASE WHEN @maxBitrate IS NULL THEN max_bitrate WHEN @maxBitrate = 0 THEN NULL ELSE @maxBitrate END,
                disabled = COALESCE(@disabled, disabled),
                stream_role = COALESCE(@streamRole, stream_role), download_role = COALESCE(@downloadRole, download_role),
                playlist_role = COALESCE(@playlistRole, playlist_role), share_role = COALESCE(@shareRole, share_role),
                settings_role = COALESCE(@settingsRole, settings_role)
            WHERE name = @name AND {KeepsAnAdmin}
            """, new
            {
                name, isAdmin = change.IsAdmin, email = change.Email, maxBitrate = change.MaxBitrate, disabled = change.Disabled,
                streamRole = change.StreamRole, downloadRole = change.DownloadRole, playlistRole = change.PlaylistRole,
                shareRole = change.ShareRole, settingsRole = change.SettingsRole,
            }, cancellationToken: ct));
        if (changed > 0) { Changed?.Invoke(); return UserResult.Ok; }
        return await ExistsAsync(connection, name, ct) ? UserResult.LastAdmin : UserResult.NotFound;
    }

    /// <summary>The password for Subsonic token auth: null when the user is unknown or has no recoverable copy (set before 0003).</summary>
    public async Task<(User User, string? Password)?> RecoverablePasswordAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var user = await connection.QuerySingleOrDefaultAsync<User>(new CommandDefinition($"SELECT {User.Columns} FROM users u WHERE u.name = @name", new { name }, cancellationToken: ct));
        if (user is null) return null;
        var enc = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition("SELECT password_enc FROM users WHERE id = @Id", new { user.Id }, cancellationToken: ct));
        return (user, enc is null ? null : vault.Decrypt(enc));
    }

    private static readonly string DummyHash = Hasher.HashPassword("", Guid.NewGuid().ToString());
}
