using System.Data.Common;

namespace Sillon.Data;

/// <summary>
/// Nullable reads of one column by position, for the hot rows read without Dapper (album pages):
/// typed getters read a value once, where Dapper's mapping boxes each one through GetValue, and
/// Microsoft.Data.Sqlite's GetValue asks SQLite for the column's type twice (session 24: a fifth
/// of the server's CPU for a page of albums was Dapper reading columns). Integers are read as
/// 64 bits: every integer column is BIGINT on PostgreSQL and INTEGER on SQLite.
/// </summary>
public static class ColumnReads
{
    public static string? StringOrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static long? Int64OrNull(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
