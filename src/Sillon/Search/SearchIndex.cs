using System.Data.Common;
using System.Text;
using Dapper;

namespace Sillon.Search;

/// <summary>
/// The full-text index (SQLite FTS5 table search_fts, unicode61 with remove_diacritics 2): case- and
/// accent-insensitive word-prefix matching. "beyonce crazy" matches "Crazy in Love" by Beyoncé, and
/// "sigur ros" matches Sigur Rós. Rebuilt in one transaction after a scan that changed the catalog;
/// a rebuild of 100,000 tracks takes about a second, far less than the scan itself.
/// </summary>
public static class SearchIndex
{
    public const string Track = "track", Album = "album", Artist = "artist";

    public static async Task RebuildAsync(DbConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM search_fts;
            INSERT INTO search_fts (kind, item_id, name, context) SELECT 'artist', id, name, '' FROM artists;
            INSERT INTO search_fts (kind, item_id, name, context) SELECT 'album', id, name, display_artist FROM albums;
            INSERT INTO search_fts (kind, item_id, name, context)
                SELECT 'track', t.id, t.title, t.display_artist || ' ' || a.name FROM tracks t JOIN albums a ON a.id = t.album_id;
            """, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The FTS5 MATCH expression for what a user typed: every word must match as a prefix, in the
    /// item's name or its context. Null when nothing searchable is left (then callers list everything).
    /// Words are quoted, so FTS5 syntax typed by the user (AND, *, quotes, column filters) is just text.
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
    /// SQL selecting item_id of one kind ranked: an exact name first, then bm25 with the name weighing
    /// ten times the context (a title match beats an artist match). Binds @match, @exact, @kind.
    /// </summary>
    public const string RankedIds = """
        SELECT item_id, (lower(name) = lower(@exact)) AS exact, bm25(search_fts, 0, 0, 10.0, 1.0) AS score
        FROM search_fts WHERE search_fts MATCH @match AND kind = @kind
        """;
}
