using Dapper;
using Sillon.Data;

namespace Sillon.Tests.Fixtures;

/// <summary>Direct reads of the catalog, to check what the scanner stored field by field.</summary>
public static class Sql
{
    /// <summary>The database a data folder uses: its sillon.json's "Database" (PostgreSQL runs), else SQLite in the folder.</summary>
    public static Database Db(string dataDir)
    {
        var settings = Path.Combine(dataDir, "sillon.json");
        string? url = null;
        if (File.Exists(settings) && System.Text.Json.JsonDocument.Parse(File.ReadAllText(settings)).RootElement.TryGetProperty("Database", out var value))
            url = value.GetString();
        return new Database(dataDir, url);
    }

    /// <summary>Skips a test that checks something only SQLite has (its file, its pragmas) when the suite runs on PostgreSQL.</summary>
    public static bool OnPostgres => PostgresServer.Enabled;

    // Each helper disposes its Database: a SQLite one keeps its connections open until then.
    public static async Task<T> ScalarAsync<T>(string dataDir, string sql, object? args = null)
    {
        using var db = Db(dataDir);
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException($"no value: {sql}");
    }

    public static async Task<List<T>> QueryAsync<T>(string dataDir, string sql, object? args = null)
    {
        using var db = Db(dataDir);
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<T>(sql, args)).ToList();
    }

    public static async Task<Dictionary<string, object?>> RowAsync(string dataDir, string sql, object? args = null)
    {
        using var db = Db(dataDir);
        await using var c = await db.OpenAsync();
        var row = (IDictionary<string, object?>)await c.QuerySingleAsync(sql, args);
        return new Dictionary<string, object?>(row);
    }

    /// <summary>The indexes of some tables, (name, definition) by name, as each database describes them.</summary>
    public static Task<List<(string Name, string Sql)>> IndexesAsync(string dataDir, params string[] tables) =>
        QueryAsync<(string Name, string Sql)>(dataDir, OnPostgres
            ? "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(@tables) ORDER BY indexname"
            : "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (SELECT value FROM json_each(@tables)) ORDER BY name",
            new { tables = OnPostgres ? (object)tables : System.Text.Json.JsonSerializer.Serialize(tables) });

    public static async Task<long> TrackIdAsync(string dataDir, string fileName) =>
        await ScalarAsync<long>(dataDir, "SELECT id FROM tracks WHERE path LIKE '%/' || @fileName", new { fileName });
}
