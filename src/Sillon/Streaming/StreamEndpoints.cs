using Sillon.Catalog;

namespace Sillon.Streaming;

public static class StreamEndpoints
{
    public static void MapStreamEndpoints(this RouteGroupBuilder api)
    {
        api.MapMethods("/tracks/{id}/stream", [HttpMethods.Get, HttpMethods.Head], Stream)
            .WithTags("Streaming")
            .WithSummary("The original file, byte for byte, with Range, If-Range and conditional requests")
            .Produces(200).Produces(206).Produces(304).Produces(404).Produces(416);
    }

    private static async Task<IResult> Stream(string id, HttpContext http, CatalogQueries catalog, FileSender sender, CancellationToken ct)
    {
        if (!CatalogIds.TryParse(id, CatalogIds.Track, out var trackId) || await catalog.TrackFileAsync(trackId, ct) is not { } track)
            return TypedResults.NotFound();
        await sender.SendAsync(http, track.Path, track.ContentType, ct);
        return Results.Empty;
    }
}
