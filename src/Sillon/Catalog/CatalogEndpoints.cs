using Microsoft.AspNetCore.Http.HttpResults;
using Sillon.Library;

namespace Sillon.Catalog;

public static class CatalogEndpoints
{
    public static void MapCatalogEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("").WithTags("Catalog");
        group.MapGet("/artists", async (int? offset, int? limit, CatalogQueries q, CancellationToken ct) =>
            TypedResults.Ok(await q.ArtistsAsync(Paging.From(offset, limit), ct))).WithSummary("Artists by name, paged");
        group.MapGet("/artists/{id}", async Task<Results<Ok<ArtistDetail>, NotFound>> (string id, CatalogQueries q, CancellationToken ct) =>
            CatalogIds.TryParse(id, CatalogIds.Artist, out var n) && await q.ArtistAsync(n, ct) is { } a ? TypedResults.Ok(a) : TypedResults.NotFound())
            .WithSummary("An artist with their albums");
        group.MapGet("/albums", async (int? offset, int? limit, string? sort, CatalogQueries q, CancellationToken ct) =>
            TypedResults.Ok(await q.AlbumsAsync(Paging.From(offset, limit), sort, ct))).WithSummary("Albums, paged; sort = name | newest | year | artist | random");
        group.MapGet("/albums/{id}", async Task<Results<Ok<AlbumDetail>, NotFound>> (string id, CatalogQueries q, CancellationToken ct) =>
            CatalogIds.TryParse(id, CatalogIds.Album, out var n) && await q.AlbumAsync(n, ct) is { } a ? TypedResults.Ok(a) : TypedResults.NotFound())
            .WithSummary("An album with its discs and tracks");
        group.MapGet("/albums/{id}/cover", async Task<Results<PhysicalFileHttpResult, NotFound>> (string id, int? size, CoverArt covers, CancellationToken ct) =>
            CatalogIds.TryParse(id, CatalogIds.Album, out var n) && await covers.AlbumCoverAsync(n, size, ct) is { } image
                ? TypedResults.PhysicalFile(image.Path, image.ContentType, lastModified: File.GetLastWriteTimeUtc(image.Path))
                : TypedResults.NotFound())
            .WithSummary("An album's cover image, optionally resized to fit size × size pixels").WithMetadata(Streaming.SendsMedia.Metadata);
        group.MapGet("/tracks", async (int? offset, int? limit, CatalogQueries q, CancellationToken ct) =>
            TypedResults.Ok(await q.TracksAsync(Paging.From(offset, limit), ct))).WithSummary("Tracks, paged");
        group.MapGet("/tracks/{id}", async Task<Results<Ok<TrackInfo>, NotFound>> (string id, CatalogQueries q, CancellationToken ct) =>
            CatalogIds.TryParse(id, CatalogIds.Track, out var n) && await q.TrackAsync(n, ct) is { } t ? TypedResults.Ok(t) : TypedResults.NotFound())
            .WithSummary("One track with all its tags and audio properties");
    }
}
