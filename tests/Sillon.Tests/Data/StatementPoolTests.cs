using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Sillon.Data;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Data;

/// <summary>
/// SQLite connections go back to a pool of our own with their compiled statements: a query run
/// again on a connection from the pool is not compiled again, and a connection is only pooled in
/// the state a fresh one has (no transaction, nothing stepping, the ordinary pragmas).
/// </summary>
[Trait("Database", "SQLite")]
public sealed class StatementPoolTests : IDisposable
{
    private readonly MigratedSqlite _sqlite = new();
    private Database _db => _sqlite.Db;

    private const string GenreByName = "SELECT id FROM genres WHERE name = @name";

    [SqliteFact("the SQLite statement pool")]
    public async Task A_query_run_again_on_a_pooled_connection_reuses_its_compiled_statement()
    {
        DbConnection first;
        SqliteCommand? compiled;
        await using (var c = await _db.OpenAsync())
        {
            first = c;
            await c.ExecuteAsync("INSERT INTO genres (name) VALUES ('Jazz'), ('Rock')");
            Assert.Equal(1L, await c.ExecuteScalarAsync<long>(GenreByName, new { name = "Jazz" }));
            compiled = ((StatementCachingConnection)c).CachedCommand(GenreByName);
            Assert.NotNull(compiled);
        }

        await using var again = await _db.OpenAsync();
        Assert.Same(first, again);
        Assert.Equal(2L, await again.ExecuteScalarAsync<long>(GenreByName, new { name = "Rock" })); // new values
        Assert.Same(compiled, ((StatementCachingConnection)again).CachedCommand(GenreByName)); // the command that keeps its compiled statement
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task A_statement_whose_command_was_never_disposed_is_reused_once_the_connection_is_back()
    {
        SqliteCommand? compiled;
        await using (var c = await _db.OpenAsync())
        {
            await c.ExecuteAsync("INSERT INTO genres (name) VALUES ('Jazz')");
            // Dapper's reader: its DisposeAsync disposes the reader but never the command.
            await using (var reader = await c.ExecuteReaderAsync(GenreByName, new { name = "Jazz" }))
                while (await reader.ReadAsync()) { }
            compiled = ((StatementCachingConnection)c).CachedCommand(GenreByName);
            Assert.Equal(1, ((StatementCachingConnection)c).ClaimedCount); // the abandoned command still holds it
        }

        await using var again = await _db.OpenAsync();
        Assert.Equal(0, ((StatementCachingConnection)again).ClaimedCount);
        using (var reader = await again.ExecuteReaderAsync(GenreByName, new { name = "Jazz" }))
        {
            Assert.True(reader.Read());
            Assert.Same(compiled, ((StatementCachingConnection)again).CachedCommand(GenreByName));
            Assert.Equal(1, ((StatementCachingConnection)again).ClaimedCount); // this use holds it, not a one-off
        }
        Assert.Equal(0, ((StatementCachingConnection)again).ClaimedCount); // `using`: Dapper disposes the command too
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task A_connection_left_inside_a_transaction_is_closed_not_pooled()
    {
        DbConnection leaked;
        await using (var c = await _db.OpenAsync())
        {
            leaked = c;
            await c.ExecuteAsync("BEGIN; INSERT INTO genres (name) VALUES ('Lost');"); // never committed
        }

        Assert.Equal(System.Data.ConnectionState.Closed, leaked.State); // closed: SQLite rolled it back
        await using var next = await _db.OpenAsync();
        Assert.NotSame(leaked, next);
        Assert.Equal(0L, await next.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM genres WHERE name = 'Lost'"));
        await next.ExecuteAsync("INSERT INTO genres (name) VALUES ('Written')"); // no lock left behind
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task Commands_join_the_open_transaction_without_being_told_and_roll_back_with_it()
    {
        await using var c = await _db.OpenAsync();
        await using (var tx = await c.BeginTransactionAsync())
        {
            await c.ExecuteAsync("INSERT INTO genres (name) VALUES ('Undone')"); // no transaction passed, as with a plain SqliteCommand
            Assert.Equal(1L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM genres WHERE name = 'Undone'", transaction: tx));
            await tx.RollbackAsync();
        }
        Assert.Equal(0L, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM genres WHERE name = 'Undone'"));
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task The_same_query_run_inside_its_own_reader_loop_gets_a_statement_of_its_own()
    {
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync("INSERT INTO genres (name) VALUES ('A'), ('B'), ('C')");
        const string sql = "SELECT name FROM genres WHERE name >= @from ORDER BY name";
        var pairs = new List<string>();
        foreach (var outer in await c.QueryAsync<string>(new CommandDefinition(sql, new { from = "A" }, flags: CommandFlags.None)))
            pairs.Add(outer + ":" + string.Join(",", await c.QueryAsync<string>(sql, new { from = outer })));

        Assert.Equal(["A:A,B,C", "B:B,C", "C:C"], pairs);
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task A_command_kept_by_its_caller_keeps_its_parameters_while_another_runs_the_same_text()
    {
        await using var c = await _db.OpenAsync();
        await c.ExecuteAsync("INSERT INTO genres (name) VALUES ('Kept'), ('Other')");
        await using var kept = c.CreateCommand();
        kept.CommandText = GenreByName;
        var p = kept.CreateParameter();
        p.ParameterName = "@name";
        p.Value = "Kept";
        kept.Parameters.Add(p);

        Assert.Equal(2L, await c.ExecuteScalarAsync<long>(GenreByName, new { name = "Other" }));
        Assert.Equal(1L, Convert.ToInt64(await kept.ExecuteScalarAsync()));
        Assert.Equal(1L, Convert.ToInt64(await kept.ExecuteScalarAsync()));
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task Texts_made_of_values_do_not_pile_up_statements()
    {
        await using var c = await _db.OpenAsync();
        for (var i = 0; i < SqliteStatementPool.MaxStatements * 3; i++)
            Assert.Equal(i, await c.ExecuteScalarAsync<long>($"SELECT {i}"));

        Assert.Equal(SqliteStatementPool.MaxStatements, ((StatementCachingConnection)c).CachedCount);
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task A_connection_whose_pragmas_changed_for_one_use_is_not_pooled()
    {
        DbConnection scanner;
        await using (var c = await _db.OpenAsync())
        {
            scanner = c;
            await SqliteDialect.SetPragmasForThisUseAsync(c, "PRAGMA cache_size=-32000;");
        }

        await using var next = await _db.OpenAsync();
        Assert.NotSame(scanner, next);
        Assert.Equal(-2000L, await next.ExecuteScalarAsync<long>("PRAGMA cache_size"));
    }

    [SqliteFact("the SQLite statement pool")]
    public async Task Disposing_the_database_closes_its_idle_connections()
    {
        var db = new Database(_sqlite.Data, null);
        DbConnection idle;
        await using (var c = await db.OpenAsync())
        {
            idle = c;
            await c.ExecuteScalarAsync<long>("SELECT 1");
        }
        Assert.Equal(System.Data.ConnectionState.Open, idle.State);

        db.Dispose();

        Assert.Equal(System.Data.ConnectionState.Closed, idle.State);
        await using var fresh = await db.OpenAsync(); // still usable, just not pooled any more
        Assert.NotSame(idle, fresh);
    }

    public void Dispose() => _sqlite.Dispose();
}
