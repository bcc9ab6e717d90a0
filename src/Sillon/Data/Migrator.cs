using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Sillon.Data;

/// <summary>
/// Runs the numbered scripts in Data/Migrations/{dialect}/ that the database has not seen, each in
/// its own transaction. Before touching a SQLite database that already holds data, it is copied into
/// backups/ so a failed or regretted upgrade can be undone by hand (PostgreSQL is its operator's to back up).
/// </summary>
public sealed partial class Migrator(Database db, TimeProvider time, IReadOnlyList<(int Version, string Name, string Sql)>? scripts = null, ILogger? log = null)
{
    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts(string dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{typeof(Migrator).Namespace}.Migrations.{dialect}.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var name = n[prefix.Length..^4];
                var version = int.Parse(name.AsSpan(0, name.IndexOf('_')));
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (version, name, reader.ReadToEnd());
            })
            .OrderBy(s => s.version)
            .ToList();
    }

    /// <summary>
    /// A script kept only so that both databases number their migrations alike: comments and a
    /// <c>SELECT 1;</c> (the other database's script of that number does the work).
    /// </summary>
    public static bool ChangesNothing(string sql)
    {
        var code = Code(sql);
        return code is "" or "SELECT 1;" or "SELECT 1";
    }

    /// <summary>
    /// A script of CREATE INDEX statements only: it cannot lose a row, and a failure rolls it back,
    /// so there is nothing a backup would save. Copying the 11 GB file of a 13 M catalog before one
    /// such index (0016) would have taken 1.7 hours on a slow disk; the index, 85 s.
    /// </summary>
    public static bool AddsOnlyIndexes(string sql)
    {
        var statements = Code(sql).Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return statements.Length > 0 && statements.All(st => IndexOnly().IsMatch(st));
    }

    private static string Code(string sql) =>
        string.Join(' ', sql.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith("--", StringComparison.Ordinal)));

    [System.Text.RegularExpressions.GeneratedRegex(@"^CREATE\s+(UNIQUE\s+)?INDEX\s", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex IndexOnly();

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var all = scripts ?? Scripts(db.Dialect.Name);
        if (all.Count == 0) throw new InvalidOperationException("no migration scripts are embedded in this build");
        await using var connection = await db.OpenOwnSessionAsync(ct);
        // PostgreSQL: the advisory lock taken here also makes a second server wait until the first has migrated.
        await db.Dialect.BeginMigrationAsync(connection, ct);
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToHashSet();
        var pending = all.Where(s => !applied.Contains(s.Version)).ToList();
        if (pending.Count == 0) return applied.Count == 0 ? 0 : applied.Max();

        // A migration of a catalog of millions takes minutes: the operator is told why the server is not up yet.
        if (log is not null) LogMigrating(log, applied.Count == 0 ? 0 : applied.Max(), pending[^1].Version);

        // A copy of a 10 GB catalog takes minutes: none when the scripts change nothing on this
        // database, or only add indexes.
        if (applied.Count > 0 && !pending.All(s => ChangesNothing(s.Sql) || AddsOnlyIndexes(s.Sql)))
            await db.Dialect.BackupAsync(connection, db, applied.Max(), time, ct);

        foreach (var (version, name, sql) in pending)
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            // No time limit: a script that rebuilds an index or refills a table takes minutes on a
            // catalog of millions, and the default 30 s cancelled one at 13 M tracks on PostgreSQL.
            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: tx, commandTimeout: 0, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                new { version, name, at = time.GetUtcNow().ToString("O") }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }
        // PostgreSQL's search index is built by code, not SQL (it folds words as SQLite does): after
        // the script that made its tables, and still under the migration lock, so one server builds it.
        if (db.Dialect is PostgresDialect && pending.Any(s => s.Version == Search.PostgresSearch.IndexVersion))
        {
            if (log is not null) LogBuildingSearch(log);
            await Search.SearchIndex.RebuildAsync(connection, ct);
        }
        return pending[^1].Version;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrating the database from schema version {From} to {To}")]
    private static partial void LogMigrating(ILogger log, int from, int to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Building the search index from the catalog (about 3 minutes for 13 million tracks)")]
    private static partial void LogBuildingSearch(ILogger log);
}
