using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sillon.Accounts;
using Sillon.Catalog;
using Sillon.Streaming;

namespace Sillon.Podcasts;

public sealed record PodcastSubscribe(string? Url);
public sealed record PodcastPosition(long PositionMs);
public sealed record ChannelView(string Id, string Url, string? Title, string? Description, string? Author, string? SiteUrl, string? ImageUrl,
    string Status, string? Error, string? RefreshedAt);
public sealed record EpisodeView(string Id, string ChannelId, string Title, string? Description, string? PublishedAt, string Status, string? Error,
    double? Duration, long? Size, string? ContentType, long? PositionMs);
public sealed record ChannelDetail(ChannelView Channel, IReadOnlyList<EpisodeView> Episodes);

/// <summary>/api/v1/podcasts: channels and episodes for everyone; subscribing, refreshing, downloading and deleting for administrators.</summary>
public static class PodcastEndpoints
{
    public const string ChannelKind = "pc", EpisodeKind = "pe";

    public static IServiceCollection AddPodcasts(this IServiceCollection services)
    {
        services.AddOptions<PodcastOptions>().BindConfiguration("Podcasts").Validate(o => o.IsValid(), "Podcasts: sizes, counts and timeouts must be positive").ValidateOnStart();
        PodcastFetcher.Configure(services);
        services.AddSingleton<PodcastFetcher>();
        services.AddSingleton<PodcastLibrary>();
        services.AddSingleton<PodcastWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<PodcastWorker>());
        return services;
    }

    public static ChannelView View(PodcastChannel c) =>
        new($"{ChannelKind}-{c.Id}", c.Url, c.Title, c.Description, c.Author, c.SiteUrl, c.ImageUrl, c.Status, c.Error, c.RefreshedAt);

    public static EpisodeView View(PodcastEpisode e) => new($"{EpisodeKind}-{e.Id}", $"{ChannelKind}-{e.ChannelId}", e.Title, e.Description, e.PublishedAt,
        e.Status, e.Error, e.Duration, e.Size, e.ContentType, e.PositionMs);

    public static void MapPodcastEndpoints(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/podcasts").WithTags("Podcasts");
        g.MapGet("", async (PodcastLibrary l, CancellationToken ct) => TypedResults.Ok((await l.ChannelsAsync(ct)).Select(View).ToList()))
            .WithSummary("Podcast channels");
        g.MapPost("", SubscribeAsync).RequireAuthorization("admin").WithSummary("Subscribe to a feed (RSS 2.0 or Atom); a feed that cannot be read is refused with the reason");
        g.MapGet("/{id}", ChannelAsync).WithSummary("A channel and its episodes, with the caller's position in each");
        g.MapPost("/{id}/refresh", RefreshAsync).RequireAuthorization("admin").WithSummary("Read the channel's feed again now");
        g.MapDelete("/{id}", async Task<Results<NoContent, NotFound>> (string id, PodcastLibrary l, CancellationToken ct) =>
            CatalogIds.TryParse(id, ChannelKind, out var n) && await l.DeleteChannelAsync(n, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .RequireAuthorization("admin").WithSummary("Unsubscribe, deleting the downloaded episodes");
        g.MapPost("/episodes/{id}/download", DownloadAsync).RequireAuthorization("admin").WithSummary("Download an episode in the background");
        g.MapDelete("/episodes/{id}", async Task<Results<NoContent, NotFound>> (string id, PodcastLibrary l, CancellationToken ct) =>
            CatalogIds.TryParse(id, EpisodeKind, out var n) && await l.DeleteEpisodeAsync(n, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .RequireAuthorization("admin").WithSummary("Delete an episode's download");
        g.MapMethods("/episodes/{id}/stream", [HttpMethods.Get, HttpMethods.Head], StreamAsync).RequireAuthorization(RolePolicies.Stream)
            .WithMetadata(Streaming.SendsMedia.Metadata).WithSummary("A downloaded episode, with Range support");
        g.MapPut("/episodes/{id}/position", PositionAsync).WithSummary("Remember where the caller stopped in an episode (ms)");
    }

    private static async Task<Results<Created<ChannelView>, ProblemHttpResult>> SubscribeAsync(PodcastSubscribe? body, PodcastLibrary l, CancellationToken ct)
    {
        try
        {
            var channel = await l.SubscribeAsync(body?.Url, ct);
            return TypedResults.Created($"/api/v1/podcasts/{ChannelKind}-{channel.Id}", View(channel));
        }
        catch (PodcastException e) { return TypedResults.Problem(e.Message, statusCode: 400, title: "The feed could not be used"); }
    }

    private static async Task<Results<Ok<ChannelDetail>, NotFound>> ChannelAsync(string id, HttpContext http, PodcastLibrary l, CancellationToken ct)
    {
        if (!CatalogIds.TryParse(id, ChannelKind, out var n) || await l.ChannelAsync(n, ct) is not { } channel) return TypedResults.NotFound();
        return TypedResults.Ok(new ChannelDetail(View(channel), (await l.EpisodesAsync(n, http.UserId(), ct)).Select(View).ToList()));
    }

    private static async Task<Results<Ok<ChannelView>, NotFound>> RefreshAsync(string id, PodcastLibrary l, CancellationToken ct) =>
        CatalogIds.TryParse(id, ChannelKind, out var n) && await l.RefreshAsync(n, ct) is { } channel ? TypedResults.Ok(View(channel)) : TypedResults.NotFound();

    private static async Task<Results<Accepted, NotFound, Conflict<string>>> DownloadAsync(string id, PodcastLibrary l, PodcastWorker worker, CancellationToken ct)
    {
        if (!CatalogIds.TryParse(id, EpisodeKind, out var n)) return TypedResults.NotFound();
        switch (await l.MarkDownloadingAsync(n, ct))
        {
            case null: return TypedResults.NotFound();
            case false: return TypedResults.Conflict("the episode is already downloading or downloaded");
            default: worker.Download(n); return TypedResults.Accepted($"/api/v1/podcasts/episodes/{id}");
        }
    }

    private static async Task StreamAsync(string id, HttpContext http, PodcastLibrary l, FileSender sender, CancellationToken ct)
    {
        if (!CatalogIds.TryParse(id, EpisodeKind, out var n) || await l.EpisodeAsync(n, http.UserId(), ct) is not { } episode || l.FileOf(episode) is not { } file)
        {
            await TypedResults.Problem("no downloaded episode with this id", statusCode: 404).ExecuteAsync(http);
            return;
        }
        await sender.SendAsync(http, file, episode.ContentType ?? "application/octet-stream", ct);
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> PositionAsync(string id, PodcastPosition? body, HttpContext http, PodcastLibrary l, CancellationToken ct)
    {
        if (body is null || body.PositionMs < 0) return TypedResults.Problem("positionMs: a number of milliseconds, not negative", statusCode: 400);
        if (!CatalogIds.TryParse(id, EpisodeKind, out var n) || await l.EpisodeAsync(n, http.UserId(), ct) is null) return TypedResults.NotFound();
        await l.SetPositionAsync(http.UserId(), n, body.PositionMs, ct);
        return TypedResults.NoContent();
    }
}
