using Microsoft.Data.Sqlite;
using Sillon.Data;

namespace Sillon.Tests.Fixtures;

/// <summary>A migrated SQLite catalog in a data folder of its own, for tests of the connection layer; removed with its pooled handles.</summary>
public sealed class MigratedSqlite : IDisposable
{
    public string Data { get; } = Path.Combine(Path.GetTempPath(), "sillon-sqlite-" + Guid.NewGuid().ToString("N")[..8]);
    public Database Db { get; }

    public MigratedSqlite()
    {
        Db = new Database(Data, null);
        Db.MigrateAsync(TimeProvider.System).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        Db.Dispose();
        // This file's handles only: other test classes run alongside with pools of their own.
        using (var c = new SqliteConnection(Db.ConnectionString)) SqliteConnection.ClearPool(c);
        try { Directory.Delete(Data, recursive: true); } catch (IOException) { }
    }
}
