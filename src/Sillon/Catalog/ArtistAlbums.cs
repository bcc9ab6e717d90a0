using System.Data.Common;
using Dapper;

namespace Sillon.Catalog;

/// <summary>
/// An artist's albums: those credited to them and those where they play on a track (so a
/// compilation appears under each of its artists). Their number is stored on the artist
/// (artists.album_count, migration 0011) because counting it joins every track of the artist.
/// </summary>
public static class ArtistAlbums
{
    /// <summary>
    /// The album ids of one artist (an SQL expression: a parameter or a column). The artist filter
    /// sits inside both branches so that each is an index lookup, also when correlated to an outer row.
    /// </summary>
    public static string Ids(string artist) => $"""
        SELECT album_id FROM album_artists WHERE artist_id = {artist}
        UNION SELECT t.album_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.artist_id = {artist} AND ta.role = 'artist'
        """;

    /// <summary>"The artist has an album to browse" (composer-only artists have none).</summary>
    public static string Has(string alias) => $"{alias}.album_count > 0";

    /// <summary>Counts the albums of every artist, in a transaction of its own (after a bulk load).</summary>
    public static async Task RecountAllAsync(DbConnection c, CancellationToken ct)
    {
        await using var tx = await c.BeginTransactionAsync(ct);
        await RecountAsync(c, tx, null, null, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Counts again the albums of the artists <paramref name="artists"/> selects (an SQL query of
    /// artist ids; null: every artist), and of every artist that lost a link since the last count
    /// (the triggers of migration 0011 note them), inside the caller's transaction.
    /// </summary>
    /// <remarks>
    /// Every artist is counted by one grouping of every link rather than <see cref="Ids"/> per artist:
    /// at 1 M generated tracks on PostgreSQL, 1.4 s against 3.1 s (one hash join of the links to the
    /// tracks instead of an index lookup per artist); on SQLite the two are alike (1 M: 0.67 s
    /// against 0.54–0.65; 13 M: 9.6 s against 11.1, its temporary B-tree 130 MB more in memory).
    /// The first statement zeroes the artists the second does not set (none, after a bulk load
    /// into an empty catalog).
    /// </remarks>
    public static async Task RecountAsync(DbConnection c, DbTransaction tx, string? artists, object? args, CancellationToken ct)
    {
        var sql = artists is null
            ? """
              UPDATE artists SET album_count = 0 WHERE album_count <> 0;
              UPDATE artists SET album_count = n.albums
              FROM (SELECT artist_id, COUNT(*) AS albums
                    FROM (SELECT artist_id, album_id FROM album_artists
                          UNION SELECT ta.artist_id, t.album_id FROM track_artists ta JOIN tracks t ON t.id = ta.track_id WHERE ta.role = 'artist') links
                    GROUP BY artist_id) n
              WHERE n.artist_id = artists.id;
              """
            : $"UPDATE artists SET album_count = (SELECT COUNT(*) FROM ({Ids("artists.id")}) artist_albums) WHERE id IN ({artists}) OR id IN (SELECT artist_id FROM artists_recount);";
        await c.ExecuteAsync(new CommandDefinition(sql + "\nDELETE FROM artists_recount;", args, tx, commandTimeout: 0, cancellationToken: ct));
    }
}
