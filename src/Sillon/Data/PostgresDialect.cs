using System.Data.Common;
using Dapper;
using Npgsql;

namespace Sillon.Data;

/// <summary>A --database value that names no PostgreSQL database we can use.</summary>
public sealed class DatabaseUrlException(string message) : ArgumentException(message);

/// <summary>The SQL that is particular to PostgreSQL (through Npgsql).</summary>
public sealed class PostgresDialect : ISqlDialect
{
    public static readonly PostgresDialect Instance = new();

    // Advisory lock keys: any two fixed numbers, the same in every Sillon process sharing a database.
    private const long ScanLockKey = 7_351_001;
    private const long MigrationLockKey = 7_351_002;

    public string Name => "Postgres";

    public DbConnection NewConnection(string connectionString) => new NpgsqlConnection(connectionString);

    public Task PrepareConnectionAsync(DbConnection connection, CancellationToken ct) => Task.CompletedTask;

    // Named "value" like json_each's column, so `FROM ({IdList}) p` reads p.value on both databases.
    public string IdList(string parameter) => $"SELECT unnest({parameter}) AS value";

    public object Ids(IEnumerable<long> ids) => ids as long[] ?? ids.ToArray();

    public string IdListWithPosition(string parameter) => $"SELECT ordinality - 1 AS position, id FROM unnest({parameter}) WITH ORDINALITY AS u(id, ordinality)";

    public string SkipLocked => "FOR UPDATE SKIP LOCKED";

    public string OnePlanForTheBatch => "SELECT set_config('plan_cache_mode', 'force_generic_plan', true);\n";

    public string JsonPairs(string id, string name, string orderBy) => $"COALESCE(json_agg(json_build_array({id}, {name}) ORDER BY {orderBy})::text, '[]')";

    public bool SeeksRowValuesOnExpressions => true;

    public bool JoinsPageRows => true;

    public bool NumbersRowsInDatabase => true;

    /// <summary>PostgreSQL's disk_full (53100).</summary>
    public bool IsDiskFull(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.DiskFull } || e.InnerException is PostgresException { SqlState: PostgresErrorCodes.DiskFull };

    /// <summary>A session lock, released when the migration connection (a session of its own, outside the pool) closes.</summary>
    public async Task BeginMigrationAsync(DbConnection connection, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = MigrationLockKey }, cancellationToken: ct));

    /// <summary>
    /// Nothing to copy: a PostgreSQL server is backed up by its operator (pg_dump, base backups),
    /// and each script runs in a transaction (DDL included), so a failed one leaves the schema as it was.
    /// </summary>
    public Task BackupAsync(DbConnection connection, Database db, int fromVersion, TimeProvider time, CancellationToken ct) => Task.CompletedTask;

    // SHARE ROW EXCLUSIVE conflicts with itself and with every writer, not with readers.
    public Task LockForCheckedInsertAsync(DbConnection connection, DbTransaction tx, string table, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition($"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE", transaction: tx, cancellationToken: ct));

    public async Task<IAsyncDisposable?> TryScanLockAsync(Database db, CancellationToken ct)
    {
        // The lock belongs to this session: it is held as long as this connection stays open, and
        // the server drops it when the process or its network connection dies, so a killed scanner
        // never leaves a stale lock. The connection is kept out of the pool so closing it really
        // ends the session.
        var connection = await db.OpenOwnSessionAsync(ct);
        var held = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key = ScanLockKey }, cancellationToken: ct));
        if (held) return new HeldScanLock(connection);
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>
    /// The scan lock, given back explicitly: closing the connection alone frees it only once the
    /// server's backend process has exited, a moment later, and another server asking at that
    /// moment was told a scan was running (seen in CI).
    /// </summary>
    private sealed class HeldScanLock(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = ScanLockKey }));
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone, and its lock with it.
            }
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// A libpq-style URL (<c>postgres://user:password@host:port/database?sslmode=require</c>) or an
    /// Npgsql connection string (<c>Host=…;Database=…</c>) as an Npgsql connection string.
    /// </summary>
    public static string ConnectionString(string database)
    {
        if (!database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            if (!database.Contains('=')) throw new DatabaseUrlException($"--database: expected postgres://user:password@host:port/database, got '{database}'");
            var given = new DbConnectionStringBuilder { ConnectionString = database };
            return WithDefaults(new NpgsqlConnectionStringBuilder(database), given.ContainsKey).ConnectionString;
        }
        if (!Uri.TryCreate(database, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new DatabaseUrlException("--database: expected postgres://user:password@host:port/database");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } name ? name
                
                : throw new DatabaseUrlException("--database: the URL names no database (postgres://…/DATABASE)"),
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            b.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) b.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            // libpq spellings of the common ones; anything else is taken as an Npgsql keyword.
            key = key switch { "sslmode" => "SSL Mode", "connect_timeout" => "Timeout", "application_name" => "Application Name", _ => key };
            b[key] = value;
            keys.Add(key);
        }
        return WithDefaults(b, keys.Contains).ConnectionString;
    }

    /// <summary>
    /// Statements a connection runs again and again are prepared on the server (Npgsql's automatic
    /// preparation, from their second use): PostgreSQL then parses and analyses them once per
    /// connection instead of on every request. At a million tracks that cut the database's CPU per
    /// album or artist page by a quarter and per search by a third (docs/benchmarks.md). Plans are
    /// PostgreSQL's choice (plan_cache_mode=auto: a generic plan once it costs no more than the
    /// custom ones). Until migration 0015 every execution was planned for its own values, because a
    /// generic plan served a tsquery for "lo" and one for "xq" alike; the posting lists have no
    /// such statement, and planning each execution cost 40 % of getAlbum's CPU at 13 M tracks
    /// (docs/benchmarks.md, session 10).
    /// A connection given back to the pool is not reset (No Reset On Close): Npgsql would otherwise
    /// run seven reset statements (RESET ALL, DISCARD TEMP, pg_advisory_unlock_all…) before the next
    /// request's first query, a quarter of PostgreSQL's CPU for an album page (session 11). Sillon
    /// leaves no session state on a pooled connection: no SET, temporary table or LISTEN, and its
    /// session locks live on connections of their own (<see cref="Database.OpenOwnSessionAsync"/>);
    /// an open transaction is still rolled back. Each setting the operator gives wins
    /// (Max Auto Prepare=0 for a pooler that cannot keep prepared statements).
    /// A database on this machine shares its cores with Sillon, so the pool holds at most two
    /// connections per core (<see cref="LocalPoolSize"/>); Npgsql's default is 100.
    /// </summary>
    private static NpgsqlConnectionStringBuilder WithDefaults(NpgsqlConnectionStringBuilder b, Func<string, bool> given)
    {
        if (!given("Max Auto Prepare")) b.MaxAutoPrepare = 128;
        if (!given("Auto Prepare Min Usages")) b.AutoPrepareMinUsages = 2;
        if (!given("No Reset On Close")) b.NoResetOnClose = true;
        if (!given("Maximum Pool Size") && !given("MaxPoolSize") && IsLocal(b.Host))
            b.MaxPoolSize = Math.Max(b.MinPoolSize, LocalPoolSize);
        return b;
    }

    /// <summary>
    /// The pool's size for a PostgreSQL server on this machine. Past two backends per core, more
    /// requests in the database only wait in the kernel's run queue, where 32 backends share two
    /// cores unfairly; in the pool's queue they wait first come, first served. At 13 M tracks on
    /// two cores, 32 clients: getAlbum's p99 140–176 ms with 100 connections, 21–22 ms with 4, at
    /// the same throughput; search as you type 212–284 → 69–95 ms (docs/benchmarks.md, session 12).
    /// A server elsewhere has cores of its own, and a round trip over the network holds each
    /// connection longer: Npgsql's default stays, and the operator sizes it.
    /// </summary>
    public static int LocalPoolSize => Math.Max(4, 2 * Environment.ProcessorCount);

    private static bool IsLocal(string? host) =>
        string.IsNullOrEmpty(host) || host.StartsWith('/') || host is "localhost" or "::1" || host.StartsWith("127.", StringComparison.Ordinal);
}
