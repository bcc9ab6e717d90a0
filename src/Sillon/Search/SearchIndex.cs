using System.Data.Common;
using System.Text;
using Dapper;
using Sillon.Data;

namespace Sillon.Search;

/// <summary>
/// The full-text indexes (PostgreSQL: <see cref="PostgresSearch"/>; SQLite: FTS5 tables search_tracks, search_albums, search_artists; unicode61
/// with remove_diacritics 2; rowid = the item's id): case- and accent-insensitive word-prefix
/// matching. "beyonce crazy" matches "Crazy in Love" by Beyoncé, "sigur ros" matches Sigur Rós.
/// Kept in step by each scan: the tracks and albums it touched (UpdateAsync), or everything after a full or interrupted scan.
/// </summary>
public static class SearchIndex
{
    public enum Kind { Track, Album, Artist }

    /// <summary>Up to this many matches are ranked by bm25; a broader query (a short prefix) is paged in cheap tiers instead.</summary>
    public const int RankedLimit = 2000;

    /// <summary>
    /// Brings the index in step with what one scan changed: the tracks written and removed, the
    /// albums touched. Artists are few: their index is rebuilt whole. The cost follows the change,
    /// so a new album appears in search as fast as in the catalog, whatever the library's size.
    /// </summary>
    public static async Task UpdateAsync(DbConnection connection, IReadOnlyCollection<long> tracks, IReadOnlyCollection<long> removedTracks,
        IReadOnlyCollection<long> albums, CancellationToken ct)
    {
        if (connection.Dialect() is PostgresDialect)
        {
            await PostgresSearch.UpdateAsync(connection, [.. tracks], [.. removedTracks], [.. albums], ct);
            return;
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sqlite = SqliteDialect.Instance;
        var args = new { tracks = sqlite.Ids(tracks), gone = sqlite.Ids(removedTracks), albums = sqlite.Ids(albums) };
        await connection.ExecuteAsync(new CommandDefinition($"""
            DELETE FROM search_tracks WHERE rowid IN ({sqlite.IdList("@tracks")}) OR rowid IN ({sqlite.IdList("@gone")});
            INSERT INTO search_tracks (rowid, name, context)
                SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id
                WHERE t.id IN ({sqlite.IdList("@tracks")});
            DELETE FROM search_albums WHERE rowid IN ({sqlite.IdList("@albums")});
            INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums WHERE id IN ({sqlite.IdList("@albums")});
            INSERT INTO search_artists (search_artists) VALUES ('delete-all');
            INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
            """, args, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public static async Task RebuildAsync(DbConnection connection, CancellationToken ct)
    {
        if (connection.Dialect() is PostgresDialect)
        {
            await PostgresSearch.RebuildAsync(connection, ct);
            return;
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO search_artists (search_artists) VALUES ('delete-all');
            INSERT INTO search_albums (search_albums) VALUES ('delete-all');
            INSERT INTO search_tracks (search_tracks) VALUES ('delete-all');
            INSERT INTO search_artists (rowid, name, context) SELECT id, name, '' FROM artists;
            INSERT INTO search_albums (rowid, name, context) SELECT id, name, display_artist FROM albums;
            INSERT INTO search_tracks (rowid, name, context)
                SELECT t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id;
            """, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The FTS5 MATCH expression for what a user typed: every word must match as a prefix, in the
    /// item's name or its context. Null when nothing searchable is left. Words are quoted, so FTS5
    /// syntax typed by the user (AND, *, quotes, column filters) is just text.
    /// </summary>
    public static string? MatchExpression(string? query)
    {
        if (string.IsNullOrWhiteSpace(query)) return null;
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in query)
        {
            if (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark) word.Append(c);
            else if (word.Length > 0) { words.Add(word.ToString()); word.Clear(); }
        }
        if (word.Length > 0) words.Add(word.ToString());
        if (words.Count == 0) return null;
        return string.Join(' ', words.Take(16).Select(w => $"\"{w}\"*"));
    }

    /// <summary>
    /// One page of matching ids, best first. Up to <see cref="RankedLimit"/> matches: an exact name
    /// first, then bm25 with the name weighing ten times the context. Beyond that (a two- or
    /// three-letter prefix over a big library, where relevance between thousands of hits means
    /// little): items whose name matches, then those matching only by context, each in id order,
    /// read straight from the posting lists.
    /// </summary>
    public static async Task<List<long>> PageAsync(DbConnection c, Kind kind, string match, string exact, int count, int offset, CancellationToken ct)
    {
        if (count <= 0) return [];
        var (table, source, nameColumn) = kind switch
        {
            Kind.Track => ("search_tracks", "tracks", "title"),
            Kind.Album => ("search_albums", "albums", "name"),
            _ => ("search_artists", "artists", "name"),
        };
        if (c.Dialect() is PostgresDialect) return await PostgresSearch.PageAsync(c, table, source, nameColumn, match, exact, count, offset, ct);
        var args = new { match, exact, count, offset, nameMatch = $"name : ({match})", contextOnly = $"({match}) NOT (name : ({match}))" };
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH @match LIMIT {RankedLimit + 1})", args, cancellationToken: ct));
        var sql = total <= RankedLimit
            ? $"""
              SELECT f.rowid FROM {table} f JOIN {source} x ON x.id = f.rowid WHERE {table} MATCH @match
              ORDER BY (lower(x.{nameColumn}) = lower(@exact)) DESC, bm25({table}, 10.0, 1.0), f.rowid LIMIT @count OFFSET @offset
              """
            : $"""
              SELECT id FROM (SELECT rowid AS id, 0 AS tier FROM {table} WHERE {table} MATCH @nameMatch
                              UNION ALL SELECT rowid, 1 FROM {table} WHERE {table} MATCH @contextOnly)
              ORDER BY tier, id LIMIT @count OFFSET @offset
              """;
        return (await c.QueryAsync<long>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }

    /// <summary>The parameter value for <c>IN ({dialect.IdList("@ids")})</c> on this connection's database.</summary>
    public static object IdList(DbConnection c, IEnumerable<long> ids) => c.Dialect().Ids(ids);
}
