using System.Data.Common;
using Dapper;

namespace Sillon.Catalog;

/// <summary>
/// The change counters of migration 0009: the catalog's, moved by every writer of catalog rows in the
/// same transaction as its writes, and each listener's (listening_changes, moved by triggers on
/// annotations). Together they say whether an answer built earlier can still be served.
/// </summary>
public static class CatalogChanges
{
    /// <summary>Run inside the transaction that writes catalog rows, before it commits.</summary>
    public const string BumpSql = """
        INSERT INTO catalog_changes (id, counter) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET counter = catalog_changes.counter + 1
        """;

    public static Task BumpAsync(DbConnection c, DbTransaction? tx, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(BumpSql, transaction: tx, cancellationToken: ct));

    public static Task<long> CatalogAsync(DbConnection c, CancellationToken ct) =>
        c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COALESCE((SELECT counter FROM catalog_changes WHERE id = 1), 0)", cancellationToken: ct));

    /// <summary>The catalog's counter and this user's, in one round trip.</summary>
    public static Task<(long Catalog, long User)> ReadAsync(DbConnection c, long userId, CancellationToken ct) =>
        c.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            SELECT COALESCE((SELECT counter FROM catalog_changes WHERE id = 1), 0),
                   COALESCE((SELECT counter FROM listening_changes WHERE user_id = @userId), 0)
            """, new { userId }, cancellationToken: ct));
}
