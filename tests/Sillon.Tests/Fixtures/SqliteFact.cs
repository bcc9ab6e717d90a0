namespace Sillon.Tests.Fixtures;

/// <summary>
/// A test of something only SQLite has (its file and backups, its pragmas, a full disk under the
/// file, a process killed while writing it): skipped, with the reason, when the suite runs on PostgreSQL.
/// Each such test also carries <c>[Trait("Database", "SQLite")]</c>, by which test.sh leaves it out of
/// its PostgreSQL pass instead of listing it as skipped.
/// </summary>
public sealed class SqliteFactAttribute : FactAttribute
{
    public SqliteFactAttribute(string why)
    {
        if (PostgresServer.Enabled) Skip = $"SQLite only: {why}";
    }
}
