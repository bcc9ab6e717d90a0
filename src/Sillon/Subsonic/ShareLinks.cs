using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using Sillon.Catalog;
using Sillon.Data;

using Sillon.Streaming;

namespace Sillon.Subsonic;

/// <summary>
/// The public side of shares: /share/TOKEN is a small page that plays the shared songs, and
/// /share/TOKEN/tr-N streams one of them, without an account, until the share expires. The token
/// is the only key; an expired or unknown one is a 404 either way.
/// </summary>
public static class ShareLinks
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/share/{token}", PageAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapMethods("/share/{token}/{trackId}", [HttpMethods.Get, HttpMethods.Head], StreamAsync).AllowAnonymous().ExcludeFromDescription()
            .WithMetadata(Streaming.SendsMedia.Metadata);
    }

    private static async Task<long?> LiveShareAsync(System.Data.Common.DbConnection c, string token, TimeProvider time, CancellationToken ct)
    {
        if (token.Length is < 8 or > 64) return null;
        var row = await c.QuerySingleOrDefaultAsync<(long Id, string? ExpiresAt)>(new CommandDefinition(
            "SELECT id, expires_at FROM shares WHERE token = @token", new { token }, cancellationToken: ct));
        if (row.Id == 0) return null;
        if (row.ExpiresAt is not null && DateTimeOffset.Parse(row.ExpiresAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) <= time.GetUtcNow()) return null;
        return row.Id;
    }

    private static async Task<IResult> PageAsync(string token, Database db, TimeProvider time, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        if (await LiveShareAsync(c, token, time, ct) is not { } shareId) return TypedResults.NotFound();
        await c.ExecuteAsync(new CommandDefinition("UPDATE shares SET visit_count = visit_count + 1, last_visited = @now WHERE id = @shareId",
            new { shareId, now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) }, cancellationToken: ct));
        var description = await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT description FROM shares WHERE id = @shareId", new { shareId }, cancellationToken: ct));
        var tracks = await c.QueryAsync<(long Id, string Title, string Artist)>(new CommandDefinition("""
            SELECT t.id, t.title, t.display_artist FROM share_tracks st JOIN tracks t ON t.id = st.track_id WHERE st.share_id = @shareId ORDER BY st.position
            """, new { shareId }, cancellationToken: ct));
        var html = new StringBuilder("<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>Sillon share</title><body style=\"font-family:sans-serif\">");
        html.Append("<h1>").Append(WebUtility.HtmlEncode(description ?? "Shared music")).Append("</h1><ol>");
        foreach (var t in tracks)
            html.Append("<li><p>").Append(WebUtility.HtmlEncode(t.Artist)).Append(" — ").Append(WebUtility.HtmlEncode(t.Title))
                .Append("</p><audio controls preload=none src=\"").Append(WebUtility.HtmlEncode(token)).Append('/').Append(CatalogIds.Format(CatalogIds.Track, t.Id)).Append("\"></audio>");
        html.Append("</ol>");
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static async Task StreamAsync(string token, string trackId, HttpContext http, Database db, TimeProvider time, CancellationToken ct)
    {
        TrackFile? track = null;
        // Closed before the file is sent: a listener on a slow line must not hold a database connection.
        await using (var c = await db.OpenAsync(ct))
        {
            if (await LiveShareAsync(c, token, time, ct) is { } shareId && CatalogIds.TryParse(trackId, CatalogIds.Track, out var id)
                && await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM share_tracks WHERE share_id = @shareId AND track_id = @id",
                    new { shareId, id }, cancellationToken: ct)) > 0)
                track = await CatalogQueries.TrackFileAsync(c, id, ct);
        }
        if (track is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        // A share plays the original: no account, so no per-user limits or transcoding to apply.
        await http.RequestServices.GetRequiredService<FileSender>().SendAsync(http, track.Path, track.ContentType, ct);
    }
}
