using System.Data.Common;
using Microsoft.Data.Sqlite;
using Sillon.Data;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Data;

/// <summary>
/// SQLite's per-connection pragmas are set once per pooled handle, not on every open: a handle the
/// pool hands out again must still have them, and one whose pragmas were changed for a single use
/// (the scanner's cache, the bulk load's unsafe speed) must get the ordinary ones back.
/// </summary>
[Trait("Database", "SQLite")]
public sealed class ConnectionPragmaTests : IDisposable
{
    private readonly MigratedSqlite _sqlite = new();
    private Database _db => _sqlite.Db;

    [SqliteFact("pooled SQLite handles and their pragmas")]
    public async Task A_handle_from_the_pool_still_has_the_connection_pragmas()
    {
        SQLitePCL.sqlite3 first;
        await using (var c = await _db.OpenAsync()) first = ((SqliteConnection)c).Handle!;
        await using var again = await _db.OpenAsync();

        Assert.Same(first, ((SqliteConnection)again).Handle); // the pool's handle, prepared on its first open
        Assert.Equal(1L, await PragmaAsync(again, "foreign_keys"));
        Assert.Equal(1L, await PragmaAsync(again, "synchronous")); // NORMAL
        Assert.Equal(30000L, await PragmaAsync(again, "busy_timeout"));
        Assert.Equal(-2000L, await PragmaAsync(again, "cache_size"));
    }

    [SqliteFact("pooled SQLite handles and their pragmas")]
    public async Task Pragmas_changed_for_one_use_are_undone_when_the_pool_hands_the_handle_out_again()
    {
        SQLitePCL.sqlite3 used;
        await using (var c = await _db.OpenAsync())
        {
            used = ((SqliteConnection)c).Handle!;
            await SqliteDialect.SetPragmasForThisUseAsync(c, "PRAGMA cache_size=-32000; PRAGMA foreign_keys=OFF; PRAGMA synchronous=OFF;");
            Assert.Equal(0L, await PragmaAsync(c, "foreign_keys"));
        }
        await using var again = await _db.OpenAsync();

        Assert.Same(used, ((SqliteConnection)again).Handle);
        Assert.Equal(-2000L, await PragmaAsync(again, "cache_size"));
        Assert.Equal(1L, await PragmaAsync(again, "foreign_keys"));
        Assert.Equal(1L, await PragmaAsync(again, "synchronous"));
    }

    private static async Task<long> PragmaAsync(DbConnection c, string name)
    {
        await using var command = c.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public void Dispose() => _sqlite.Dispose();
}
