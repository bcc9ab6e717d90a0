using Sillon.Accounts;
using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Sillon.Catalog;
using static Sillon.Subsonic.UserDataHandlers;

namespace Sillon.Subsonic;

/// <summary>Shares: createShare, getShares, updateShare, deleteShare. The public side (/share/TOKEN) is <see cref="ShareLinks"/>.</summary>
public static class ShareHandlers
{
    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["getShares"] = GetShares;
        h["createShare"] = CreateShare;
        h["updateShare"] = UpdateShare;
        h["deleteShare"] = DeleteShare;
    }

    private sealed record ShareRow
    {
        public long Id { get; init; }
        public string Token { get; init; } = "";
        public long UserId { get; init; }
        public string Username { get; init; } = "";
        public string? Description { get; init; }
        public string CreatedAt { get; init; } = "";
        public string? ExpiresAt { get; init; }
        public string? LastVisited { get; init; }
        public long VisitCount { get; init; }
    }

    private const string ShareSelect = """
        SELECT s.id AS Id, s.token AS Token, s.user_id AS UserId, u.name AS Username, s.description AS Description, s.created_at AS CreatedAt,
            s.expires_at AS ExpiresAt, s.last_visited AS LastVisited, s.visit_count AS VisitCount
        FROM shares s JOIN users u ON u.id = s.user_id
        """;

    private static async Task<Share> ToShareAsync(DbConnection c, SubsonicCall call, ShareRow r)
    {
        var entries = await SubsonicQueries.SongsAsync(c, call.User.Id,
            "JOIN share_tracks st ON st.track_id = t.id WHERE st.share_id = @id ORDER BY st.position", new { id = r.Id }, call.Ct);
        var request = call.Http.Request;
        return new Share(CatalogIds.Format(CatalogIds.Share, r.Id), $"{request.Scheme}://{request.Host}{request.PathBase}/share/{r.Token}", r.Description, r.Username,
            SubsonicQueries.Time(r.CreatedAt)!.Value, SubsonicQueries.Time(r.ExpiresAt), SubsonicQueries.Time(r.LastVisited), r.VisitCount, entries);
    }

    private static async Task<SubsonicResult> GetShares(SubsonicCall call)
    {
        await using var c = await OpenAsync(call);
        var rows = await c.QueryAsync<ShareRow>(new CommandDefinition($"{ShareSelect} WHERE s.user_id = @userId ORDER BY s.id",
            new { userId = call.User.Id }, cancellationToken: call.Ct));
        var shares = new List<Share>();
        foreach (var r in rows) shares.Add(await ToShareAsync(c, call, r));
        return SubsonicResult.Of("shares", new Shares(shares));
    }

    private static async Task<SubsonicResult> CreateShare(SubsonicCall call)
    {
        call.RequireRole(Role.Share, "createShare");
        var values = call.Params.All("id");
        if (values.Count == 0) throw SubsonicErrors.Missing("id");
        await using var c = await OpenAsync(call);
        var tracks = new List<long>();
        foreach (var value in values)
        {
            IEnumerable<long> found;
            if (CatalogIds.TryParse(value, CatalogIds.Track, out var id))
                found = await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM tracks WHERE id = @id", new { id }, cancellationToken: call.Ct));
            else if (CatalogIds.TryParse(value, CatalogIds.Album, out id))
                found = await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM tracks WHERE album_id = @id ORDER BY COALESCE(disc_number, 1), track_number, id",
                    new { id }, cancellationToken: call.Ct));
            else if (CatalogIds.TryParse(value, CatalogIds.Playlist, out id))
                found = await c.QueryAsync<long>(new CommandDefinition("""
                    SELECT pt.track_id FROM playlist_tracks pt JOIN playlists p ON p.id = pt.playlist_id
                    WHERE p.id = @id AND (p.user_id = @userId OR p.public = 1) ORDER BY pt.position
                    """, new { id, userId = call.User.Id }, cancellationToken: call.Ct));
            else throw SubsonicErrors.NotFoundError($"Item {value}");
            var list = found.ToList();
            if (list.Count == 0) throw SubsonicErrors.NotFoundError($"Item {value}");
            tracks.AddRange(list);
        }
        var expires = ExpiresParam(call);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        await using var tx = await c.BeginTransactionAsync(call.Ct);
        var shareId = await c.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO shares (token, user_id, description, created_at, expires_at) VALUES (@token, @userId, @description, @now, @expires) RETURNING id
            """, new { token, userId = call.User.Id, description = call.Params.Get("description"), now = Now(call), expires }, tx, cancellationToken: call.Ct));
        await c.ExecuteAsync(new CommandDefinition("INSERT INTO share_tracks (share_id, position, track_id) VALUES (@shareId, @position, @track)",
            tracks.Select((track, position) => new { shareId, position, track }), tx, cancellationToken: call.Ct));
        await tx.CommitAsync(call.Ct);
        var row = await c.QuerySingleAsync<ShareRow>(new CommandDefinition($"{ShareSelect} WHERE s.id = @shareId", new { shareId }, cancellationToken: call.Ct));
        return SubsonicResult.Of("shares", new Shares([await ToShareAsync(c, call, row)]));
    }

    private static string? ExpiresParam(SubsonicCall call) =>
        call.Params.Long("expires") is { } ms and > 0
            ? Iso(DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(ms, 253402300799999)))
            : null;

    private static async Task<ShareRow> OwnShareAsync(DbConnection c, SubsonicCall call)
    {
        var id = BrowsingHandlers.RequireId(call, CatalogIds.Share, "Share");
        var row = await c.QuerySingleOrDefaultAsync<ShareRow>(new CommandDefinition($"{ShareSelect} WHERE s.id = @id", new { id }, cancellationToken: call.Ct));
        if (row is null || (row.UserId != call.User.Id && !call.User.IsAdmin)) throw SubsonicErrors.NotFoundError("Share");
        return row;
    }

    private static async Task<SubsonicResult> UpdateShare(SubsonicCall call)
    {
        call.RequireRole(Role.Share, "updateShare");
        await using var c = await OpenAsync(call);
        var row = await OwnShareAsync(c, call);
        var expires = call.Params.Get("expires") is null ? row.ExpiresAt : ExpiresParam(call);
        await c.ExecuteAsync(new CommandDefinition("UPDATE shares SET description = COALESCE(@description, description), expires_at = @expires WHERE id = @Id",
            new { row.Id, description = call.Params.Get("description"), expires }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeleteShare(SubsonicCall call)
    {
        call.RequireRole(Role.Share, "deleteShare");
        await using var c = await OpenAsync(call);
        var row = await OwnShareAsync(c, call);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM shares WHERE id = @Id", new { row.Id }, cancellationToken: call.Ct));
        return SubsonicResult.Empty;
    }
}
