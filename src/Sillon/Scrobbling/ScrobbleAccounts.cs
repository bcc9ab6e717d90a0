using Dapper;
using Sillon.Accounts;
using Sillon.Data;

namespace Sillon.Scrobbling;

public sealed record ScrobbleAccount(string Service, string? Credential, string? RemoteUser, string? PendingToken);

/// <summary>Each user's linked scrobbling accounts. Credentials are kept encrypted by <see cref="PasswordVault"/>, like passwords.</summary>
public sealed class ScrobbleAccounts(Database db, TimeProvider time, PasswordVault vault)
{
    private sealed record Row(string Service, string? CredentialEnc, string? RemoteUser, string? PendingToken);

    public async Task<IReadOnlyDictionary<string, ScrobbleAccount>> GetAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition("""
            SELECT service AS Service, credential_enc AS CredentialEnc, remote_user AS RemoteUser, pending_token AS PendingToken
            FROM scrobble_accounts WHERE user_id = @userId
            """, new { userId }, cancellationToken: ct));
        return rows.ToDictionary(r => r.Service, r => new ScrobbleAccount(r.Service,
            r.CredentialEnc is null ? null : vault.Decrypt(r.CredentialEnc), r.RemoteUser, r.PendingToken));
    }

    public async Task<ScrobbleAccount?> GetAsync(long userId, string service, CancellationToken ct) =>
        (await GetAsync(userId, ct)).GetValueOrDefault(service);

    public async Task LinkAsync(long userId, string service, string credential, string? remoteUser, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO scrobble_accounts (user_id, service, credential_enc, remote_user, pending_token, updated_at)
            VALUES (@userId, @service, @enc, @remoteUser, NULL, @now)
            ON CONFLICT (user_id, service) DO UPDATE SET credential_enc = excluded.credential_enc, remote_user = excluded.remote_user,
                pending_token = NULL, updated_at = excluded.updated_at
            """, new { userId, service, enc = vault.Encrypt(credential), remoteUser, now = ScrobbleOutbox.Iso(time.GetUtcNow()) }, cancellationToken: ct));
    }

    /// <summary>Last.fm's desktop flow: the token waits here between "start" and "finish"; an existing link stays until then.</summary>
    public async Task SetPendingAsync(long userId, string service, string token, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO scrobble_accounts (user_id, service, pending_token, updated_at) VALUES (@userId, @service, @token, @now)
            ON CONFLICT (user_id, service) DO UPDATE SET pending_token = excluded.pending_token, updated_at = excluded.updated_at
            """, new { userId, service, token, now = ScrobbleOutbox.Iso(time.GetUtcNow()) }, cancellationToken: ct));
    }

    public async Task UnlinkAsync(long userId, string service, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM scrobble_accounts WHERE user_id = @userId AND service = @service",
            new { userId, service }, tx, cancellationToken: ct));
        await ScrobbleOutbox.AbandonAsync(c, tx, userId, service, ScrobbleOutbox.Iso(time.GetUtcNow()), ct);
        await tx.CommitAsync(ct);
    }
}
