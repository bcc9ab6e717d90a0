using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Sillon.Data;

/// <summary>
/// SQLite connections that keep their compiled statements between uses. Microsoft.Data.Sqlite
/// compiles a command's SQL again on every new command: its pool keeps the handle of a closed
/// connection, not the statements (dotnet/efcore#14044), and Dapper makes a new command for every
/// call. Short statements paid most: at 13 million tracks getAlbum/getArtist went from 0.66 to 0.38 ms
/// of CPU per request, album lists from 2.0 to 1.5 (docs/benchmarks.md). Here a connection given back
/// stays open in a pool of our own, and every SQL text it ran keeps its prepared
/// <see cref="SqliteCommand"/>, which the next use with the same text runs again with new values.
/// </summary>
/// <remarks>
/// A connection goes back to the pool only in the state a fresh one has: open, no transaction, no
/// statement running, and the connection pragmas in force (a use that changed them, such as the
/// scanner's bigger cache, closes it for good). Anything else closes it, and Microsoft.Data.Sqlite's
/// own pool takes the handle as before.
/// </remarks>
internal sealed class SqliteStatementPool(string connectionString) : IDisposable
{
    /// <summary>Idle connections kept: one per concurrent request of a busy server; beyond, a returning one is closed.</summary>
    public const int MaxIdle = 32;

    /// <summary>Statements kept per connection, least recently used dropped first (a text made of values never repeats).</summary>
    public const int MaxStatements = 128;

    private readonly Stack<StatementCachingConnection> _idle = new();
    private bool _disposed;

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        // Only open connections at rest are pushed (TryReturn), and nobody holds one while it waits.
        StatementCachingConnection? idle;
        lock (_idle) idle = _idle.Count > 0 ? _idle.Pop() : null;
        if (idle is not null) return idle.Lease();
        var connection = new StatementCachingConnection(this, connectionString);
        try
        {
            await connection.OpenAsync(ct);
            await SqliteDialect.Instance.PrepareConnectionAsync(connection, ct);
            return connection.Lease();
        }
        catch
        {
            connection.CloseForGood();
            throw;
        }
    }

    /// <summary>Takes a connection back when it is as a fresh one would be; false: the caller closes it.</summary>
    internal bool TryReturn(StatementCachingConnection connection)
    {
        if (connection.State != ConnectionState.Open || !connection.IsAtRest()) return false;
        lock (_idle)
        {
            if (_disposed || _idle.Count >= MaxIdle) return false;
            _idle.Push(connection);
            return true;
        }
    }

    public void Dispose()
    {
        List<StatementCachingConnection> idle;
        lock (_idle)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var connection in idle) connection.CloseForGood();
    }
}

/// <summary>A pooled connection: closing it gives it back to <see cref="SqliteStatementPool"/>; commands made through <see cref="DbConnection"/> share its prepared statements.</summary>
internal sealed class StatementCachingConnection(SqliteStatementPool pool, string connectionString) : SqliteConnection(connectionString)
{
    private readonly Dictionary<string, LinkedListNode<Prepared>> _statements = new(StringComparer.Ordinal);
    private readonly LinkedList<Prepared> _recent = new();
    private bool _leased;

    internal sealed class Prepared(SqliteCommand command)
    {
        public SqliteCommand Command { get; } = command;
        /// <summary>Held by a live command object (a caller may keep one and run it many times).</summary>
        public bool Claimed => Holder is not null;
        /// <summary>The command object that holds it; one whose lease ended lost it (ReleaseAbandoned).</summary>
        public object? Holder { get; set; }
        /// <summary>Dropped from the cache while claimed: its holder disposes it.</summary>
        public bool Evicted { get; set; }
        /// <summary>The last reader this command gave; while it is open the command is busy.</summary>
        public SqliteDataReader? Reader { get; set; }
    }

    internal StatementCachingConnection Lease()
    {
        _leased = true;
        return this;
    }

    /// <summary>The transaction commands of this connection join unless told otherwise, as a plain SqliteCommand does.</summary>
    internal SqliteTransaction? CurrentTransaction => Transaction;

    protected override DbCommand CreateDbCommand() => new CachedCommand(this);

    /// <summary>
    /// The prepared command for this text, its parameters cleared, claimed until <see cref="Give"/>;
    /// null when another command object holds it or its reader is still open (the same query run
    /// inside its own loop): the caller then makes a one-off command.
    /// </summary>
    internal Prepared? Take(string sql, object holder)
    {
        if (_statements.TryGetValue(sql, out var node))
        {
            var found = node.Value;
            if (found.Claimed || found.Reader is { IsClosed: false }) return null;
            _recent.Remove(node);
            _recent.AddFirst(node);
            found.Command.Parameters.Clear();
            found.Holder = holder;
            return found;
        }
        if (_statements.Count >= SqliteStatementPool.MaxStatements)
        {
            var oldest = _recent.Last!.Value;
            _recent.RemoveLast();
            _statements.Remove(oldest.Command.CommandText);
            if (oldest.Claimed) oldest.Evicted = true;
            else oldest.Command.Dispose();
        }
        var command = base.CreateCommand();
        command.CommandText = sql;
        var prepared = new Prepared(command) { Holder = holder };
        _statements[sql] = _recent.AddFirst(prepared);
        return prepared;
    }

    /// <summary>The prepared command kept for this text, if any (for tests).</summary>
    internal SqliteCommand? CachedCommand(string sql) => _statements.TryGetValue(sql, out var node) ? node.Value.Command : null;

    /// <summary>How many texts keep a prepared command (for tests).</summary>
    internal int CachedCount => _statements.Count;

    internal static void Give(Prepared prepared)
    {
        prepared.Holder = null;
        if (prepared.Evicted) prepared.Command.Dispose();
    }

    /// <summary>
    /// No transaction open, not even the read transaction of a statement left stepping, and the
    /// ordinary pragmas: nothing a next user could inherit.
    /// </summary>
    internal bool IsAtRest() =>
        Handle is { } handle && SqliteDialect.HasConnectionPragmas(handle) && TransactionState(handle.DangerousGetHandle(), IntPtr.Zero) == 0;

    /// <summary>
    /// sqlite3_txn_state (SQLite 3.34): 0 none, 1 read, 2 write, across every attached schema. SQLitePCL
    /// does not wrap it; the library is the one SQLitePCL loads.
    /// </summary>
    [DllImport("e_sqlite3", EntryPoint = "sqlite3_txn_state")]
    private static extern int TransactionState(IntPtr db, IntPtr schema);

    /// <summary>Called once when the holder gives the connection back (Database counts a request's connections with it).</summary>
    internal Action? Released { get; set; }

    public override void Close()
    {
        if (_leased)
        {
            _leased = false;
            var released = Released;
            Released = null;
            released?.Invoke();
            ReleaseAbandoned();
            if (pool.TryReturn(this)) return;
        }
        CloseForGood();
    }

    /// <summary>
    /// When a lease ends, no command object of it may run again, so a statement still claimed was
    /// abandoned by a command never disposed. Dapper's reader from ExecuteReaderAsync is one: its
    /// DisposeAsync disposes the reader and not the command (Dapper 2.1.66), so after an
    /// <c>await using</c> the statement stayed claimed for the connection's life and every later use
    /// of its text compiled a one-off command, which only the finalizer disposed: album pages
    /// cost a fifth more CPU (session 24). Call sites dispose such readers with <c>using</c>.
    /// </summary>
    private void ReleaseAbandoned()
    {
        foreach (var prepared in _recent)
            if (prepared.Claimed && prepared.Reader is not { IsClosed: false }) StatementCachingConnection.Give(prepared);
    }

    /// <summary>How many kept statements a command object holds now (for tests).</summary>
    internal int ClaimedCount => _recent.Count(p => p.Claimed);

    /// <summary>Closes the connection itself, which finalizes every statement it kept.</summary>
    internal void CloseForGood()
    {
        _leased = false;
        // A transaction begun with SQL rather than BeginTransaction: Microsoft.Data.Sqlite's pool would
        // hand the handle to the next user still inside it.
        if (Handle is { } handle && Transaction is null && SQLitePCL.raw.sqlite3_get_autocommit(handle) == 0)
            SQLitePCL.raw.sqlite3_exec(handle, "ROLLBACK");
        _statements.Clear();
        _recent.Clear();
        base.Close();
    }
}

/// <summary>
/// A command on a <see cref="StatementCachingConnection"/>: setting its text picks that text's
/// prepared command, and everything else is passed to it.
/// </summary>
internal sealed class CachedCommand(StatementCachingConnection connection) : DbCommand
{
    private string _text = "";
    private StatementCachingConnection.Prepared? _prepared;
    private SqliteCommand? _own;
    private SqliteTransaction? _transaction;
    private int? _timeout;

    [AllowNull]
    public override string CommandText
    {
        get => _text;
        set
        {
            if (value == _text && Target is not null) return;
            Release();
            _text = value ?? "";
        }
    }

    private SqliteCommand? Target => _prepared?.Command ?? _own;

    /// <summary>The command that runs this text: the connection's prepared one, or a one-off when that one is busy.</summary>
    private SqliteCommand Command
    {
        get
        {
            if (Target is { } target) return target;
            _prepared = connection.Take(_text, this);
            if (_prepared is null)
            {
                _own = new SqliteCommand(_text, connection);
                return _own;
            }
            return _prepared.Command;
        }
    }

    private void Release()
    {
        _own?.Dispose();
        _own = null;
        // Not when the lease that claimed it ended meanwhile: another command may hold it now.
        if (_prepared?.Holder == this) StatementCachingConnection.Give(_prepared);
        _prepared = null;
    }

    public override int CommandTimeout { get => _timeout ?? connection.DefaultTimeout; set => _timeout = value; }

    public override CommandType CommandType
    {
        get => CommandType.Text;
        set { if (value != CommandType.Text) throw new ArgumentException("SQLite runs SQL text only", nameof(value)); }
    }

    public override bool DesignTimeVisible { get; set; }
    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection
    {
        get => connection;
        set { if (!ReferenceEquals(value, connection)) throw new NotSupportedException("a pooled command stays on its connection"); }
    }

    protected override DbTransaction? DbTransaction { get => _transaction; set => _transaction = (SqliteTransaction?)value; }

    protected override DbParameterCollection DbParameterCollection => Command.Parameters;

    protected override DbParameter CreateDbParameter() => new SqliteParameter();

    public override void Cancel() => Target?.Cancel();

    public override void Prepare() => Ready().Prepare();

    private SqliteCommand Ready()
    {
        var command = Command;
        command.Transaction = _transaction ?? connection.CurrentTransaction;
        command.CommandTimeout = CommandTimeout;
        return command;
    }

    public override int ExecuteNonQuery() => Ready().ExecuteNonQuery();

    public override object? ExecuteScalar() => Ready().ExecuteScalar();

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Track(Ready().ExecuteReader(behavior));

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken ct) =>
        Track(await Ready().ExecuteReaderAsync(behavior, ct));

    private SqliteDataReader Track(SqliteDataReader reader)
    {
        if (_prepared is not null) _prepared.Reader = reader;
        return reader;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Release();
        base.Dispose(disposing);
    }
}
