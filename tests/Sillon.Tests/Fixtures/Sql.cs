using Dapper;
using Sillon.Catalog;
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

    /// <summary>
    /// Each album's artists (by id) as its row keeps them (albums.artist_refs, what pages read) and as
    /// album_artists links them (what the rest of the catalog queries), in credit order: the two must agree.
    /// </summary>
    public static async Task<List<(long Album, List<NamedRef> Stored, List<NamedRef> Linked)>> AlbumArtistsBothWaysAsync(string dataDir)
    {
        var stored = await QueryAsync<(long Id, string? Refs)>(dataDir, "SELECT id, artist_refs FROM albums ORDER BY id");
        var linked = (await QueryAsync<(long Album, long Id, string Name)>(dataDir, """
            SELECT aa.album_id, ar.id, ar.name FROM album_artists aa JOIN artists ar ON ar.id = aa.artist_id ORDER BY aa.album_id, aa.position
            """)).ToLookup(l => l.Album, l => new NamedRef(CatalogIds.Format(CatalogIds.Artist, l.Id), l.Name));
        return stored.Select(s => (s.Id, ArtistRefs.Read(s.Refs), linked[s.Id].ToList())).ToList();
    }

    public static async Task<long> TrackIdAsync(string dataDir, string fileName) =>
        await ScalarAsync<long>(dataDir, "SELECT id FROM tracks WHERE path LIKE '%/' || @fileName", new { fileName });
}
