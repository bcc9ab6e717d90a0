using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Sillon.Data;

/// <summary>
/// Opens connections to the catalog database. SQLite is the embedded default; the SQL that differs
/// between databases lives in <see cref="SqliteDialect"/> so a PostgreSQL dialect can sit beside it.
/// </summary>
public sealed class Database
{
    public string ConnectionString { get; }
    public string FilePath { get; }

    public Database(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        FilePath = Path.GetFullPath(Path.Combine(dataDir, "sillon.db"));
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Another process (a `sillon scan` beside `sillon serve`) may hold the write lock.
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = SqliteDialect.ConnectionPragmas;
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>Open, migrate (after a backup when there is something to migrate), and return the applied version.</summary>
    public Task<int> MigrateAsync(TimeProvider time, CancellationToken ct = default) =>
        new Migrator(this, time).RunAsync(ct);

    /// <summary>SQLite's "database or disk is full" (13) and I/O error (10), named so callers can say so plainly.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is SqliteException { SqliteErrorCode: 13 } || e.InnerException is SqliteException { SqliteErrorCode: 13 };
}

/// <summary>The SQL that is particular to SQLite. Keep every dialect difference here, named.</summary>
public static class SqliteDialect
{
    // WAL lets readers (the API) go on while the scanner writes; synchronous=NORMAL is durable
    // across process crashes in WAL mode (only an OS crash can lose the last transactions).
    // cache_size is per connection and the pool keeps one connection per concurrent request: 4 MB
    // each keeps 32 busy clients near 130 MB of page cache (the OS caches the file beyond that).
    // The scanner's writer asks for more (ScannerCacheSize).
    public const string ConnectionPragmas =
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-4000; PRAGMA temp_store=MEMORY;";

    /// <summary>The scanner's one writing connection: a bigger cache for its batched transactions.</summary>
    public const string ScannerCacheSize = "PRAGMA cache_size=-32000;";

    /// <summary>Persistent settings of the database file, applied once at migration.</summary>
    public const string DatabasePragmas = "PRAGMA journal_mode=WAL;";

    /// <summary>A list of ids bound as one parameter (a JSON array in SQLite, an array in PostgreSQL).</summary>
    public static string IdList(string parameter) => $"SELECT value FROM json_each({parameter})";

    public static string Ids(IEnumerable<long> ids) => System.Text.Json.JsonSerializer.Serialize(ids);

    /// <summary>
    /// The ids of an <see cref="Ids"/> list with their 0-based place in it (columns position, id), to
    /// insert an ordered list in one statement rather than one per row. PostgreSQL:
    /// <c>SELECT ordinality - 1 AS position, id FROM unnest(@p) WITH ORDINALITY AS u(id, ordinality)</c>.
    /// </summary>
    public static string IdListWithPosition(string parameter) => $"SELECT key AS position, value AS id FROM json_each({parameter})";

    /// <summary>Copies the whole database into a new file, consistently, while others may read it.</summary>
    public static string BackupInto(string path) => $"VACUUM INTO '{path.Replace("'", "''")}'";
}
