using System.Globalization;
using Sillon.Catalog;
using Sillon.Podcasts;
using Sillon.Streaming;

namespace Sillon.Subsonic;

/// <summary>
/// The Subsonic podcast endpoints over <see cref="PodcastLibrary"/>. Channels are server-wide:
/// reading is for everyone, changing them needs the podcast role (administrators). Episode ids are
/// pe-N and channel ids pc-N; stream and download accept an episode id.
/// </summary>
public static class PodcastHandlers
{
    public static void Register(Dictionary<string, SubsonicHandler> h)
    {
        h["getPodcasts"] = GetPodcasts;
        h["getNewestPodcasts"] = GetNewest;
        h["getPodcastEpisode"] = GetEpisode;
        h["refreshPodcasts"] = call => { call.RequireAdmin("podcasts"); call.Service<PodcastWorker>().RefreshAll(); return Task.FromResult(SubsonicResult.Empty); };
        h["createPodcastChannel"] = CreateChannel;
        h["deletePodcastChannel"] = DeleteChannel;
        h["deletePodcastEpisode"] = DeleteEpisode;
        h["downloadPodcastEpisode"] = DownloadEpisode;
    }

    public static bool IsEpisodeId(string? id) => id is not null && id.StartsWith(PodcastEndpoints.EpisodeKind + "-", StringComparison.Ordinal);

    private static long Id(SubsonicCall call, string kind, string what, string name = "id") =>
        CatalogIds.TryParse(call.Params.Required(name), kind, out var id) ? id : throw SubsonicErrors.NotFoundError(what);

    private static DateTimeOffset? Date(string? iso) =>
        iso is not null && DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;

    private static PodcastEpisodeItem Item(PodcastEpisode e) => new()
    {
        Id = $"{PodcastEndpoints.EpisodeKind}-{e.Id}", Parent = $"{PodcastEndpoints.ChannelKind}-{e.ChannelId}", IsDir = false, Title = e.Title,
        Album = e.ChannelTitle, Artist = e.ChannelAuthor ?? e.ChannelTitle, Year = Date(e.PublishedAt)?.Year, Size = e.Size, ContentType = e.ContentType,
        Suffix = e.Suffix, Duration = e.Duration is { } d ? (int)Math.Round(d) : null, BitRate = e.Bitrate is { } b ? (int)b : null, IsVideo = false,
        Created = Date(e.CreatedAt), Type = "podcast", BookmarkPosition = e.PositionMs,
        StreamId = e.Status == "completed" ? $"{PodcastEndpoints.EpisodeKind}-{e.Id}" : null,
        ChannelId = $"{PodcastEndpoints.ChannelKind}-{e.ChannelId}", Description = e.Description, Status = e.Status, PublishDate = Date(e.PublishedAt),
    };

    private static PodcastChannelItem Item(PodcastChannel c, IReadOnlyList<PodcastEpisode>? episodes) => new()
    {
        Id = $"{PodcastEndpoints.ChannelKind}-{c.Id}", Url = c.Url, Title = c.Title, Description = c.Description, OriginalImageUrl = c.ImageUrl,
        Status = c.Status, ErrorMessage = c.Error, Episode = episodes?.Select(Item).ToList(),
    };

    private static async Task<SubsonicResult> GetPodcasts(SubsonicCall call)
    {
        var library = call.Service<PodcastLibrary>();
        var include = call.Params.Bool("includeEpisodes") ?? true;
        IReadOnlyList<PodcastChannel> channels = call.Params.Get("id") is null ? await library.ChannelsAsync(call.Ct)
            : [await library.ChannelAsync(Id(call, PodcastEndpoints.ChannelKind, "Podcast channel"), call.Ct) ?? throw SubsonicErrors.NotFoundError("Podcast channel")];
        var items = new List<PodcastChannelItem>();
        foreach (var c in channels) items.Add(Item(c, include ? await library.EpisodesAsync(c.Id, call.User.Id, call.Ct) : null));
        return SubsonicResult.Of("podcasts", new Sillon.Subsonic.Podcasts(items));
    }

    private static async Task<SubsonicResult> GetNewest(SubsonicCall call)
    {
        var episodes = await call.Service<PodcastLibrary>().NewestAsync(call.Params.Count("count", 20, 500), call.User.Id, call.Ct);
        return SubsonicResult.Of("newestPodcasts", new NewestPodcasts(episodes.Select(Item).ToList()));
    }

    private static async Task<SubsonicResult> GetEpisode(SubsonicCall call)
    {
        var episode = await call.Service<PodcastLibrary>().EpisodeAsync(Id(call, PodcastEndpoints.EpisodeKind, "Podcast episode"), call.User.Id, call.Ct)
            ?? throw SubsonicErrors.NotFoundError("Podcast episode");
        return SubsonicResult.Of("podcastEpisode", Item(episode));
    }

    private static async Task<SubsonicResult> CreateChannel(SubsonicCall call)
    {
        call.RequireAdmin("podcasts");
        try { await call.Service<PodcastLibrary>().SubscribeAsync(call.Params.Required("url"), call.Ct); }
        catch (PodcastException e) { throw new SubsonicException(SubsonicErrors.Generic, $"The feed could not be used: {e.Message}"); }
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeleteChannel(SubsonicCall call)
    {
        call.RequireAdmin("podcasts");
        if (!await call.Service<PodcastLibrary>().DeleteChannelAsync(Id(call, PodcastEndpoints.ChannelKind, "Podcast channel"), call.Ct))
            throw SubsonicErrors.NotFoundError("Podcast channel");
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DeleteEpisode(SubsonicCall call)
    {
        call.RequireAdmin("podcasts");
        if (!await call.Service<PodcastLibrary>().DeleteEpisodeAsync(Id(call, PodcastEndpoints.EpisodeKind, "Podcast episode"), call.Ct))
            throw SubsonicErrors.NotFoundError("Podcast episode");
        return SubsonicResult.Empty;
    }

    private static async Task<SubsonicResult> DownloadEpisode(SubsonicCall call)
    {
        call.RequireAdmin("podcasts");
        var id = Id(call, PodcastEndpoints.EpisodeKind, "Podcast episode");
        // Already downloading or downloaded: nothing to do, as in Subsonic.
        if (await call.Service<PodcastLibrary>().MarkDownloadingAsync(id, call.Ct) is not { } marked) throw SubsonicErrors.NotFoundError("Podcast episode");
        if (marked) call.Service<PodcastWorker>().Download(id);
        return SubsonicResult.Empty;
    }

    /// <summary>stream and download of an episode: its downloaded file as it is (Range works), or 70 when it is not downloaded.</summary>
    public static async Task<SubsonicResult> SendEpisodeAsync(SubsonicCall call)
    {
        var library = call.Service<PodcastLibrary>();
        var episode = await library.EpisodeAsync(Id(call, PodcastEndpoints.EpisodeKind, "Podcast episode"), call.User.Id, call.Ct);
        if (episode is null || library.FileOf(episode) is not { } file) throw SubsonicErrors.NotFoundError("Downloaded podcast episode");
        await call.Service<FileSender>().SendAsync(call.Http, file, episode.ContentType ?? "application/octet-stream", call.Ct);
        return SubsonicResult.Done;
    }
}
