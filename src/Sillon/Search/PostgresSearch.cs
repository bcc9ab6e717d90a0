using System.Data.Common;
using System.Text;
using Dapper;

namespace Sillon.Search;

/// <summary>
/// The search index on PostgreSQL: tables search_tracks|albums|artists (id, doc tsvector) with a GIN
/// index, the twin of SQLite's FTS5 tables. Same rules: every typed word must match a word of the
/// name or the context as a prefix, case- and accent-insensitively (unaccent + the 'simple'
/// configuration); the name is weight A, the context weight D, so "every word in the name" is a
/// query of A-weighted prefixes. Results come in the same tiers and order as SQLite's (see <see cref="PageAsync"/>).
/// </summary>
internal static class PostgresSearch
{
    private const string TrackDoc = "setweight(to_tsvector('simple', unaccent(t.title)), 'A') || setweight(to_tsvector('simple', unaccent(t.display_artist || ' ' || a.name)), 'D')";
    private const string AlbumDoc = "setweight(to_tsvector('simple', unaccent(name)), 'A') || setweight(to_tsvector('simple', unaccent(display_artist)), 'D')";
    private const string ArtistDoc = "setweight(to_tsvector('simple', unaccent(name)), 'A')";

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
            {string.Join(";\n", FillStatements(lastTrackId: 0, parts: 1))};
            """, transaction: tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Statements that fill an empty search index, in parts that can run side by side on several
    /// connections: the tracks in <paramref name="parts"/> ranges of ids (up to <paramref name="lastTrackId"/>;
    /// the last range is open-ended), the albums, the artists.
    /// </summary>
    public static IEnumerable<string> FillStatements(long lastTrackId, int parts)
    {
        var step = lastTrackId / parts + 1;
        for (var i = 0; i < parts; i++)
        {
            var from = i * step;
            var to = i == parts - 1 ? long.MaxValue : (i + 1) * step;
            yield return $"INSERT INTO search_tracks (id, doc) SELECT t.id, {TrackDoc} FROM tracks t JOIN albums a ON a.id = t.album_id WHERE t.id >= {from} AND t.id < {to}";
        }
        yield return $"INSERT INTO search_albums (id, doc) SELECT id, {AlbumDoc} FROM albums";
        yield return $"INSERT INTO search_artists (id, doc) SELECT id, {ArtistDoc} FROM artists";
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

    /// <summary>A match's tsquery texts, all words and the name's words only, as PostgreSQL folds them.</summary>
    public sealed record Folded(string Q, string Name);

    /// <summary>
    /// The queries are folded once per search, here, and reach the page statements as tsquery constants.
    /// Written as to_tsquery(unaccent(@q)) in them, PostgreSQL called both functions again for
    /// every row a filter or a recheck looked at (they are only "stable"): a walk of the primary
    /// key past 549 rows took 1.2 ms, against 0.2 ms with the constant.
    /// </summary>
    public static async Task<Folded> FoldAsync(DbConnection c, string match, CancellationToken ct)
    {
        var (q, name) = await c.QuerySingleAsync<(string, string)>(new CommandDefinition(
            "SELECT to_tsquery('simple', unaccent(@q))::text, to_tsquery('simple', unaccent(@qName))::text",
            new { q = TsQuery(match), qName = TsQuery(match, "A") }, cancellationToken: ct));
        return new Folded(q, name);
    }

    /// <summary>
    /// <see cref="SearchIndex.PageAsync"/> on PostgreSQL, tier for tier: exact name, by the exactly
    /// named artist, all words in the name, the rest; up to <see cref="SearchIndex.RankedLimit"/>
    /// matches by popularity, then sort name (byte order, as SQLite's BINARY collation), then id;
    /// beyond it the exact tiers from their B-tree indexes, then name and context matches in id order.
    /// </summary>
    public static async Task<List<long>> PageAsync(DbConnection c, string table, string source, string sortColumn, string? byArtist,
        Folded folded, string key, int count, int offset, CancellationToken ct)
    {
        var args = new { q = folded.Q, qName = folded.Name, key, count, offset };
        const string matches = "doc @@ @q::tsquery";
        const string nameMatches = "doc @@ @qName::tsquery";
        var total = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {matches} LIMIT {SearchIndex.RankedLimit + 1}) m", args, cancellationToken: ct));
        if (total == 0) return [];
        if (total <= SearchIndex.RankedLimit)
        {
            return (await c.QueryAsync<long>(new CommandDefinition($"""
                SELECT f.id FROM {table} f JOIN {source} x ON x.id = f.id WHERE f.{matches}
                ORDER BY CASE WHEN x.{sortColumn} = @key THEN 0
                              {(byArtist is null ? "" : $"WHEN x.id IN ({byArtist}) THEN 1")}
                              WHEN f.{nameMatches} THEN 2 ELSE 3 END,
                         x.popularity DESC, x.{sortColumn} COLLATE "C", x.id
                LIMIT @count OFFSET @offset
                """, args, cancellationToken: ct))).ToList();
        }

        // A GIN index gives no order: each tier's LIMIT lets PostgreSQL keep a top-N heap instead of sorting every match.
        return await SearchIndex.TiersAsync(c,
        [
            $"SELECT id FROM {source} WHERE {sortColumn} = @key ORDER BY popularity DESC, id LIMIT @limit",
            .. byArtist is null ? Array.Empty<string>() : [$"SELECT x.id FROM {source} x WHERE x.id IN ({byArtist}) ORDER BY x.popularity DESC, x.{sortColumn} COLLATE \"C\", x.id LIMIT @limit"],
            $"SELECT id FROM {table} WHERE {nameMatches} ORDER BY id LIMIT @limit",
            $"SELECT id FROM {table} WHERE {matches} AND NOT {nameMatches} ORDER BY id LIMIT @limit",
        ], new { args.q, args.qName, args.key }, count, offset, ct);
    }
}
