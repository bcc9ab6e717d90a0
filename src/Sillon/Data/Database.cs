using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sillon.Data;

/// <summary>
/// Opens connections to the catalog database: SQLite in the data folder (the embedded default), or
/// PostgreSQL when a <c>postgres://</c> URL is configured (<c>--database</c>, <c>SILLON_DATABASE</c>).
/// Everything written differently for the two lives behind <see cref="Dialect"/>.
/// </summary>
public sealed class Database : IDisposable
{
    /// <summary>SQLite only: open connections with their prepared statements (<see cref="SqliteStatementPool"/>).</summary>
    private readonly SqliteStatementPool? _sqlitePool;

    public string ConnectionString { get; }
    public ISqlDialect Dialect { get; }
    public string DataDir { get; }

    /// <summary>The SQLite file (data/sillon.db); on PostgreSQL there is none.</summary>
    public string FilePath { get; }

    public bool IsPostgres => Dialect is PostgresDialect;

    // Booleans are stored as 0/1 integers on both databases (SQLite has no other kind), so a C#
    // bool parameter is sent as 1 or 0, and a PostgreSQL boolean expression (x IS NOT NULL) reads
    // back into a bool like SQLite's 0/1 does.
    // Numbers the same way: SQLite hands every integer back as 64 bits, PostgreSQL as the type of
    // the expression (a literal 0 is int4, SUM of bigints numeric), and Dapper maps a row to a record
    // only when each column's type is exactly the constructor parameter's, unless a handler converts.
    // Dapper consults its built-in type map before handlers: bool leaves it, so parameters go through
    // the handler; long and int stay, so parameters (nulls included) keep their type and only
    // reading goes through the handler.
    static Database()
    {
        Dapper.SqlMapper.RemoveTypeMap(typeof(bool));
        Dapper.SqlMapper.RemoveTypeMap(typeof(bool?));
        Dapper.SqlMapper.AddTypeHandler(new BoolAsInteger());
        Dapper.SqlMapper.AddTypeHandler(new Number<long>(System.Data.DbType.Int64));
        Dapper.SqlMapper.AddTypeHandler(new Number<int>(System.Data.DbType.Int32));
    }

    public Database(string dataDir, string? database = null)
    {
        Directory.CreateDirectory(dataDir);
        DataDir = Path.GetFullPath(dataDir);
        if (!string.IsNullOrWhiteSpace(database))
        {
            Dialect = PostgresDialect.Instance;
            ConnectionString = PostgresDialect.ConnectionString(database);
            FilePath = "";
            return;
        }
        Dialect = SqliteDialect.Instance;
        FilePath = Path.Combine(DataDir, "sillon.db");
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Another process (a `sillon scan` beside `sillon serve`) may hold the write lock.
            DefaultTimeout = 30,
        }.ToString();
        _sqlitePool = new SqliteStatementPool(ConnectionString);
    }

    public static Database For(SillonOptions options) => new(options.Data, options.Database);

    /// <summary>Where the catalog is, for a log line: the SQLite file, or PostgreSQL's host/database (never the password).</summary>
    public string Describe() => IsPostgres
        ? new NpgsqlConnectionStringBuilder(ConnectionString) is var b ? $"PostgreSQL {b.Host}:{b.Port}/{b.Database}" : ""
        : $"SQLite {FilePath}";

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_sqlitePool is not null)
        {
            var pooled = await _sqlitePool.OpenAsync(ct);
            try
            {
                Hold(pooled);
            }
            catch
            {
                await pooled.DisposeAsync();
                throw;
            }
            return pooled;
        }
        var connection = Dialect.NewConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await Dialect.PrepareConnectionAsync(connection, ct);
            Hold(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One connection at a time per request. PostgreSQL's pool is bounded (Npgsql's Maximum Pool
    /// Size): when every request in flight holds a connection and waits for a second one, none is
    /// ever returned, and they all time out together. A request opens its connection, passes it down,
    /// and closes it before any other code opens one. <see cref="OneAtATime"/> marks a request;
    /// with <see cref="RefuseSecondConnection"/> set (the test suite sets it) a second open
    /// connection in the same request throws, naming the mistake, instead of deadlocking under load.
    /// </summary>
    internal static bool RefuseSecondConnection { get; set; }

    private static readonly AsyncLocal<StrongBox<int>?> OpenInRequest = new();

    /// <summary>Counts this request's open connections (see <see cref="RefuseSecondConnection"/>) until disposed.</summary>
    public static IDisposable OneAtATime()
    {
        var outer = OpenInRequest.Value;
        OpenInRequest.Value = new StrongBox<int>();
        return new Scope(outer);
    }

    private sealed class Scope(StrongBox<int>? outer) : IDisposable
    {
        public void Dispose() => OpenInRequest.Value = outer;
    }

    private static void Hold(DbConnection connection)
    {
        if (!RefuseSecondConnection || OpenInRequest.Value is not { } open) return;
        var count = Interlocked.Increment(ref open.Value);
        // SQLite's pooled connections stay open when given back, so they say so themselves.
        if (connection is StatementCachingConnection pooled) pooled.Released = () => Interlocked.Decrement(ref open.Value);
        else
            connection.StateChange += (_, e) =>
            {
                if (e.CurrentState == System.Data.ConnectionState.Closed) Interlocked.Decrement(ref open.Value);
            };
        if (count > 1)
            throw new InvalidOperationException("This request already holds a database connection and opened a second one: pass the open connection down instead (a bounded pool deadlocks when every request waits for its second).");
    }

    /// <summary>
    /// A connection outside the pool, for a PostgreSQL session lock (scan, migration): closing it
    /// ends the session and the lock with it, and nothing of it reaches a pooled connection. SQLite:
    /// an ordinary connection.
    /// </summary>
    public async Task<DbConnection> OpenOwnSessionAsync(CancellationToken ct = default)
    {
        if (!IsPostgres) return await OpenAsync(ct);
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the SQLite connections kept open in the pool.</summary>
    public void Dispose() => _sqlitePool?.Dispose();

    /// <summary>Open, migrate (after a backup when there is something to migrate), and return the applied version.</summary>
    public Task<int> MigrateAsync(TimeProvider time, CancellationToken ct = default, Microsoft.Extensions.Logging.ILogger? log = null) =>
        new Migrator(this, time, log: log).RunAsync(ct);

    /// <summary>A full disk (SQLite 13, PostgreSQL 53100), named so callers can say so plainly.</summary>
    public static bool IsDiskFull(Exception e) =>
        SqliteDialect.Instance.IsDiskFull(e) || PostgresDialect.Instance.IsDiskFull(e);

    /// <summary>Any error of either database's driver (connection refused, bad credentials, corrupt file…).</summary>
    public static bool IsDatabaseError(Exception e) => e is SqliteException or NpgsqlException or DatabaseUrlException;
}

internal sealed class Number<T>(System.Data.DbType type) : Dapper.SqlMapper.TypeHandler<T> where T : struct, IConvertible
{
    public override void SetValue(System.Data.IDbDataParameter parameter, T value)
    {
        parameter.DbType = type;
        parameter.Value = value;
    }

    public override T Parse(object value) => value is T t ? t : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed class BoolAsInteger : Dapper.SqlMapper.TypeHandler<bool>
{
    public override void SetValue(System.Data.IDbDataParameter parameter, bool value)
    {
        parameter.DbType = System.Data.DbType.Int64;
        parameter.Value = value ? 1L : 0L;
    }

    public override bool Parse(object value) => Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What differs between SQLite and PostgreSQL, named. The queries themselves are written once
/// (ON CONFLICT … RETURNING, COALESCE, LIMIT/OFFSET, ISO-8601 text timestamps, 0/1 integers);
/// only these few things are not.
/// </summary>
public interface ISqlDialect
{
    /// <summary>The folder of this database's migration scripts (Data/Migrations/{Name}/).</summary>
    string Name { get; }

    DbConnection NewConnection(string connectionString);

    /// <summary>Per-connection settings, run on every open.</summary>
    Task PrepareConnectionAsync(DbConnection connection, CancellationToken ct);

    /// <summary>A subquery listing the ids bound to one parameter made by <see cref="Ids"/>: <c>id IN ({IdList("@ids")})</c>.</summary>
    string IdList(string parameter);

    /// <summary>The parameter value of an id list (a JSON array for SQLite, a bigint[] for PostgreSQL).</summary>
    object Ids(IEnumerable<long> ids);

    /// <summary>
    /// The ids of an <see cref="Ids"/> list with their 0-based place in it (columns position, id), to
    /// insert an ordered list in one statement rather than one per row. PostgreSQL:
    /// <c>SELECT ordinality - 1 AS position, id FROM unnest(@p) WITH ORDINALITY AS u(id, ordinality)</c>.
    /// </summary>
    string IdListWithPosition(string parameter);

    /// <summary>
    /// Ends a sub-select that picks queue rows to claim: PostgreSQL locks them and passes over rows
    /// another claimer holds (<c>FOR UPDATE SKIP LOCKED</c>), so concurrent claimers neither wait for
    /// nor deadlock with each other; SQLite's writer holds the whole file already.
    /// </summary>
    string SkipLocked { get; }

    /// <summary>
    /// Put first in a batch whose statements should keep one plan whatever their parameters, and read
    /// its one row first (<see cref="Catalog.CatalogQueries.AlbumPageAsync"/>). PostgreSQL otherwise plans
    /// a keyset page by genre or by artist anew on every call (the key's values are too uneven for it
    /// to settle on a generic plan, although that plan is the same index range, and the planning cost
    /// more than running it): <c>set_config(…, is_local)</c> lasts until the batch's implicit
    /// transaction ends (SET LOCAL would too, with a warning in the server's log on every call).
    /// SQLite plans a statement once anyway: empty.
    /// </summary>
    string OnePlanForTheBatch { get; }

    /// <summary>
    /// An aggregate of the rows it runs over into one JSON array of <c>[id, name]</c> pairs in
    /// <paramref name="orderBy"/>'s order, <c>[]</c> over no rows: an album's artists as stored on
    /// the album (<see cref="Catalog.ArtistRefs"/>).
    /// </summary>
    string JsonPairs(string id, string name, string orderBy);

    /// <summary>
    /// Whether a row-value comparison (<c>(a, lower(b), id) &gt; (@a, @b, @id)</c>) seeks an index
    /// on expressions. Both databases seek one on plain columns with it; SQLite scans an expression
    /// index instead (31 ms against 0.05 for a deep page of albums by artist at 13 M).
    /// </summary>
    bool SeeksRowValuesOnExpressions { get; }

    /// <summary>
    /// Whether a keyset page's rows are read behind their keys in one statement
    /// (<see cref="Catalog.KeysetQuery.Rows"/>) rather than the keys and then the rows by id in a
    /// second statement of the batch. On PostgreSQL one statement is less of the server's work per
    /// page, and a deep page is found once instead of twice. On SQLite, in process, there is nothing
    /// of the kind to save, and the one statement (whose plan sorts the page's full rows in a
    /// temporary B-tree) served 2,155–2,201 album pages/s against 2,672–2,784 at 1 M
    /// (docs/benchmarks.md, session 22).
    /// </summary>
    bool JoinsPageRows { get; }

    /// <summary>
    /// Whether every n-th row of an ordered list is best picked in the database (a window function,
    /// so only the 1/n cross the wire: PostgreSQL, 0.7 s against 1.1 s for 1.4 M albums) or by
    /// reading every row in process (SQLite, which sorts the window's rows again: 6 s against 2 s).
    /// </summary>
    bool NumbersRowsInDatabase { get; }

    bool IsDiskFull(Exception e);

    /// <summary>
    /// Run on the migration connection first. SQLite: the file's persistent pragmas. PostgreSQL: a
    /// session advisory lock, so several servers starting at once on one database migrate it once.
    /// </summary>
    Task BeginMigrationAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Before scripts run on a database that holds data: SQLite copies its file to data/backups/; PostgreSQL does nothing.</summary>
    Task BackupAsync(DbConnection connection, Database db, int fromVersion, TimeProvider time, CancellationToken ct);

    /// <summary>
    /// The cross-process lock that makes scans one at a time, or null when someone else holds it.
    /// SQLite: an OS lock on data/scan.lock. PostgreSQL: an advisory lock held by one session, so
    /// servers on several machines sharing the database scan one at a time too.
    /// </summary>
    Task<IAsyncDisposable?> TryScanLockAsync(Database db, CancellationToken ct);

    /// <summary>
    /// Makes an "insert only if the table holds no such row yet" statement, run next in
    /// <paramref name="tx"/>, safe against a concurrent one. SQLite: nothing to do, it runs one
    /// writing statement at a time. PostgreSQL: two such statements in READ COMMITTED would both
    /// see no row, so the table is locked against other writers until the transaction ends.
    /// </summary>
    Task LockForCheckedInsertAsync(DbConnection connection, DbTransaction tx, string table, CancellationToken ct);
}

public static class SqlDialects
{
    /// <summary>The dialect of an open connection, for code that holds a connection but not the <see cref="Database"/>.</summary>
    public static ISqlDialect Dialect(this DbConnection connection) =>
        connection is NpgsqlConnection ? PostgresDialect.Instance : SqliteDialect.Instance;
}

/// <summary>The SQL that is particular to SQLite.</summary>
public sealed class SqliteDialect : ISqlDialect
{
    public static readonly SqliteDialect Instance = new();

    // WAL lets readers (the API) go on while the scanner writes; synchronous=NORMAL is durable
    // across process crashes in WAL mode (only an OS crash can lose the last transactions).
    // cache_size is per connection and the pool keeps one connection per concurrent request: 2 MB
    // each keeps 32 busy clients near 64 MB of page cache. The OS caches the file beyond that, and a
    // page from there costs a microsecond more; at 4 MB, 32 clients held the 13-million-track
    // server over its 400 MB budget.
    // The scanner's writer asks for more (ScannerCacheSize).
    public const string ConnectionPragmas =
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-2000; PRAGMA temp_store=MEMORY;";

    /// <summary>The scanner's one writing connection: a bigger cache for its batched transactions.</summary>
    public const string ScannerCacheSize = "PRAGMA cache_size=-32000;";

    /// <summary>
    /// The secondary indexes of tracks and their link tables, as the migrations leave them (a test
    /// compares). A first scan of a big library drops them and builds each once when its tracks are
    /// in: one sort per index instead of inserts at random places in ten B-trees, which took a third
    /// of the writer's CPU. Every scan first creates any that are missing, so after a scan killed in
    /// between, the next one restores them.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, string Sql)> ScanDeferredIndexes =
    [
        ("track_artists_artist", "CREATE INDEX track_artists_artist ON track_artists(artist_id, role)"),
        ("track_genres_genre", "CREATE INDEX track_genres_genre ON track_genres(genre_id)"),
        ("tracks_album", "CREATE INDEX tracks_album ON tracks(album_id, disc_number, track_number)"),
        ("tracks_created", "CREATE INDEX tracks_created ON tracks(created_at)"),
        ("tracks_fingerprint", "CREATE INDEX tracks_fingerprint ON tracks(fingerprint)"),
        ("tracks_folder", "CREATE INDEX tracks_folder ON tracks(folder_id)"),
        ("tracks_mbz_artist", "CREATE INDEX tracks_mbz_artist ON tracks(mbz_artist_id) WHERE mbz_artist_id IS NOT NULL"),
        ("tracks_root", "CREATE INDEX tracks_root ON tracks(root_id)"),
        ("tracks_sort", "CREATE INDEX tracks_sort ON tracks(sort_title, popularity)"),
        ("tracks_year", "CREATE INDEX tracks_year ON tracks(year)"),
    ];

    /// <summary>Drops <see cref="ScanDeferredIndexes"/> (run it in a transaction).</summary>
    public static string DropScanDeferredIndexes() =>
        string.Join("; ", ScanDeferredIndexes.Select(i => $"DROP INDEX IF EXISTS {i.Name}"));

    /// <summary>Creates whichever of <see cref="ScanDeferredIndexes"/> are missing (run it in a transaction).</summary>
    public static string CreateScanDeferredIndexes() =>
        string.Join("; ", ScanDeferredIndexes.Select(i => i.Sql.Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal)));

    /// <summary>Persistent settings of the database file, applied once at migration.</summary>
    public const string DatabasePragmas = "PRAGMA journal_mode=WAL;";

    public string Name => "Sqlite";

    public DbConnection NewConnection(string connectionString) => new SqliteConnection(connectionString);

    /// <summary>
    /// SQLite handles that have <see cref="ConnectionPragmas"/>. Microsoft.Data.Sqlite pools the
    /// handle behind each closed connection, and pragmas live as long as the handle: running them
    /// again on every open cost each request five statements (6–8 % of the server's CPU when
    /// serving ranges). Weak: a handle the pool closes is forgotten with it.
    /// </summary>
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = new();

    public async Task PrepareConnectionAsync(DbConnection connection, CancellationToken ct)
    {
        var handle = ((SqliteConnection)connection).Handle!;
        if (Prepared.TryGetValue(handle, out _)) return;
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = ConnectionPragmas;
        await pragma.ExecuteNonQueryAsync(ct);
        Prepared.AddOrUpdate(handle, Prepared);
    }

    /// <summary>Whether this handle has <see cref="ConnectionPragmas"/> in force (the pool keeps only such connections).</summary>
    internal static bool HasConnectionPragmas(SQLitePCL.sqlite3 handle) => Prepared.TryGetValue(handle, out _);

    /// <summary>
    /// Pragmas for one use of a connection (the scanner's bigger cache, the bulk load's unsafe
    /// speed): its handle is marked first, so the next open from the pool sets
    /// <see cref="ConnectionPragmas"/> again, whatever happens in between.
    /// </summary>
    public static async Task SetPragmasForThisUseAsync(DbConnection connection, string pragmas, CancellationToken ct = default)
    {
        Prepared.Remove(((SqliteConnection)connection).Handle!);
        await using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        await command.ExecuteNonQueryAsync(ct);
    }

    public string IdList(string parameter) => $"SELECT value FROM json_each({parameter})";

    public object Ids(IEnumerable<long> ids) => System.Text.Json.JsonSerializer.Serialize(ids);

    /// <summary>SQLite's "database or disk is full" (13).</summary>
    public bool IsDiskFull(Exception e) =>
        e is SqliteException { SqliteErrorCode: 13 } || e.InnerException is SqliteException { SqliteErrorCode: 13 };

    public async Task BeginMigrationAsync(DbConnection connection, CancellationToken ct) =>
        await Dapper.SqlMapper.ExecuteAsync(connection, new Dapper.CommandDefinition(DatabasePragmas, cancellationToken: ct));

    public async Task BackupAsync(DbConnection connection, Database db, int version, TimeProvider time, CancellationToken ct)
    {
        var dir = Path.Combine(db.DataDir, "backups");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"sillon-v{version}-{time.GetUtcNow():yyyyMMddHHmmss}.db");
        await Dapper.SqlMapper.ExecuteAsync(connection, new Dapper.CommandDefinition(BackupInto(file), cancellationToken: ct));
    }

    public Task LockForCheckedInsertAsync(DbConnection connection, DbTransaction tx, string table, CancellationToken ct) => Task.CompletedTask;

    public Task<IAsyncDisposable?> TryScanLockAsync(Database db, CancellationToken ct) =>
        Task.FromResult<IAsyncDisposable?>(Library.ScanLock.TryAcquire(db.DataDir));

    public string IdListWithPosition(string parameter) => $"SELECT key AS position, value AS id FROM json_each({parameter})";

    public string SkipLocked => "";

    public string OnePlanForTheBatch => "";

    public string JsonPairs(string id, string name, string orderBy) => $"json_group_array(json_array({id}, {name}) ORDER BY {orderBy})";

    public bool SeeksRowValuesOnExpressions => false;

    public bool JoinsPageRows => false;

    public bool NumbersRowsInDatabase => false;

    /// <summary>Copies the whole database into a new file, consistently, while others may read it.</summary>
    public static string BackupInto(string path) => $"VACUUM INTO '{path.Replace("'", "''")}'";
}
