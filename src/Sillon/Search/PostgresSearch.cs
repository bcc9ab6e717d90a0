using System.Data.Common;
using System.Text;
using Dapper;

namespace Sillon.Search;

/// <summary>
/// The search index on PostgreSQL: tables search_tracks|albums|artists (id, doc tsvector) with a GIN
/// index, the twin of SQLite's FTS5 tables. Same rules: every typed word must match a word of the
/// name or the context as a prefix, case- and accent-insensitively (unaccent + the 'simple'
/// configuration); up to <see cref="SearchIndex.RankedLimit"/> matches, an exact name first, then
/// ts_rank with the name (weight A) worth ten times the context (weight D); beyond that, name
/// matches before context-only matches, each tier in id order.
/// </summary>
internal static class PostgresSearch
{
    private const string TrackDoc = "setweight(to_tsvector('simple', unaccent(t.title)), 'A') || setweight(to_tsvector('simple', unaccent(t.display_artist || ' ' || a.name)), 'D')";
    private const string AlbumDoc = "setweight(to_tsvector('simple', unaccent(name)), 'A') || setweight(to_tsvector('simple', unaccent(display_artist)), 'D')";
    private const string ArtistDoc = "setweight(to_tsvector('simple', unaccent(name)), 'A')";

    // ts_rank's weights are listed {D, C, B, A}: the name (A) weighs ten times the context (D), as bm25(10, 1) does in SQLite.
    // Normalization 1 divides by 1 + log(length): like bm25, a shorter text matching the same words ranks higher.
    private const string Weights = "'{0.1, 0.1, 0.1, 1.0}'";

    public static async Task UpdateAsync(DbConnection connection, long[] tracks, long[] removedTracks, long[] albums, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            DELETE FROM search_tracks WHERE id = ANY(@tracks) OR id = ANY(@gone);
            INSERT INTO search_tracks (id, doc) SELECT t.id, {TrackDoc} FROM tracks t JOIN albums a ON a.id = t.album_id WHERE t.id = ANY(@tracks);
            DELETE FROM search_albums WHERE id = ANY(@albums);
            INSERT INTO search_albums (id, doc) SELECT id, {AlbumDoc} FROM albums WHERE id = ANY(@albums);
            DELETE FROM search_artists;
            INSERT INTO search_artists (id, doc) SELECT id, {ArtistDoc} FROM artists;
            """, new { tracks, gone = removedTracks, albums }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public static async Task RebuildAsync(DbConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            DELETE FROM search_artists;
            DELETE FROM search_albums;
            DELETE FROM search_tracks;
            INSERT INTO search_artists (id, doc) SELECT id, {ArtistDoc} FROM artists;
            INSERT INTO search_albums (id, doc) SELECT id, {AlbumDoc} FROM albums;
            INSERT INTO search_tracks (id, doc) SELECT t.id, {TrackDoc} FROM tracks t JOIN albums a ON a.id = t.album_id;
            """, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The tsquery text for the words of an FTS5 match expression (<c>"sigur"* "ros"*</c>): each word
    /// quoted as a prefix, all required. With a weight, only words of that part (A: the name) match.
    /// </summary>
    internal static string TsQuery(string match, string weight = "")
    {
        var terms = new List<string>();
        foreach (var part in match.Split('"', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Trim() is "*" or "") continue;
            // Words hold only letters, digits and combining marks (SearchIndex.MatchExpression), but quote anyway.
            terms.Add(new StringBuilder("'").Append(part.Replace("'", "''").Replace("\\", "\\\\")).Append("':*").Append(weight).ToString());
        }
        return string.Join(" & ", terms);
    }

    public static async Task<List<long>> PageAsync(DbConnection c, string table, string source, string nameColumn, string match, string exact,
        int count, int offset, CancellationToken ct)
    {
        var args = new { q = TsQuery(match), qName = TsQuery(match, "A"), exact, count, offset };
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE doc @@ to_tsquery('simple', unaccent(@q)) LIMIT {SearchIndex.RankedLimit + 1}) m",
            args, cancellationToken: ct));
        var sql = total <= SearchIndex.RankedLimit
            ? $"""
              SELECT f.id FROM {table} f JOIN {source} x ON x.id = f.id, to_tsquery('simple', unaccent(@q)) q WHERE f.doc @@ q
              ORDER BY (lower(x.{nameColumn}) = lower(@exact)) DESC, ts_rank({Weights}, f.doc, q, 1) DESC, f.id LIMIT @count OFFSET @offset
              """
            : $"""
              SELECT id FROM (SELECT id, CASE WHEN doc @@ to_tsquery('simple', unaccent(@qName)) THEN 0 ELSE 1 END AS tier
                              FROM {table} WHERE doc @@ to_tsquery('simple', unaccent(@q))) m
              ORDER BY tier, id LIMIT @count OFFSET @offset
              """;
        return (await c.QueryAsync<long>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }
}
