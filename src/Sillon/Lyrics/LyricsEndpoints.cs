using Microsoft.AspNetCore.Http.HttpResults;
using Sillon.Catalog;

namespace Sillon.Lyrics;

public sealed record LyricsResponse(string TrackId, string Artist, string Title, IReadOnlyList<TrackLyrics> Lyrics);

public static class LyricsEndpoints
{
    public static void MapLyricsEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/tracks/{id}/lyrics", async Task<Results<Ok<LyricsResponse>, NotFound>> (string id, LyricsReader reader, CancellationToken ct) =>
        {
            if (!CatalogIds.TryParse(id, CatalogIds.Track, out var trackId)) return TypedResults.NotFound();
            var found = await reader.ForTrackAsync(trackId, ct);
            return found is null ? TypedResults.NotFound() : TypedResults.Ok(new LyricsResponse(id, found.Artist, found.Title, found.Lyrics));
        }).WithTags("Catalog").WithSummary("Every set of lyrics of a track (sidecar .lrc files and embedded tags, each language): synced ones first");
}
