using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Sillon.Data;
using Sillon.Library;

namespace Sillon.Podcasts;

public sealed record PodcastChannel
{
    public long Id { get; init; }
    public string Url { get; init; } = "";
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string? Author { get; init; }
    public string? SiteUrl { get; init; }
    public string? ImageUrl { get; init; }
    public string Status { get; init; } = "";
    public string? Error { get; init; }
    public long? KeepEpisodes { get; init; }
    public string? RefreshedAt { get; init; }
}

public sealed record PodcastEpisode
{
    public long Id { get; init; }
    public long ChannelId { get; init; }
    public string? ChannelTitle { get; init; }
    public string? ChannelAuthor { get; init; }
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    public string? PublishedAt { get; init; }
    public string EnclosureUrl { get; init; } = "";
    public string Status { get; init; } = "";
    public string? Error { get; init; }
    public string? Path { get; init; }
    public long? Size { get; init; }
    public string? Suffix { get; init; }
    public string? ContentType { get; init; }
    public double? Duration { get; init; }
    public long? Bitrate { get; init; }
    public string CreatedAt { get; init; } = "";
    /// <summary>The asking user's position, in ms.</summary>
    public long? PositionMs { get; init; }
}

/// <summary>
/// Podcast channels and episodes: subscribing, refreshing from the feed, downloading, keeping at most
/// N downloads per channel, deleting, and each listener's position. Downloads run in the
/// <see cref="PodcastWorker"/>; this class does the work and owns the SQL.
/// </summary>
public sealed partial class PodcastLibrary(Database db, SillonOptions sillon, PodcastFetcher fetcher, IOptions<PodcastOptions> options,
    TimeProvider time, ILogger<PodcastLibrary> log)
{
    public string Root => Path.Combine(sillon.Data, "podcasts");
    private string Now => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private const string ChannelSelect = """
        SELECT id AS Id, url AS Url, title AS Title, description AS Description, author AS Author, site_url AS SiteUrl, image_url AS ImageUrl,
            status AS Status, error AS Error, keep_episodes AS KeepEpisodes, refreshed_at AS RefreshedAt FROM podcast_channels
        """;

    private const string EpisodeSelect = """
        SELECT e.id AS Id, e.channel_id AS ChannelId, c.title AS ChannelTitle, c.author AS ChannelAuthor, e.title AS Title, e.description AS Description,
            e.published_at AS PublishedAt, e.enclosure_url AS EnclosureUrl, e.status AS Status, e.error AS Error, e.path AS Path, e.size AS Size,
            e.suffix AS Suffix, e.content_type AS ContentType, e.duration AS Duration, e.bitrate AS Bitrate, e.created_at AS CreatedAt,
            p.position_ms AS PositionMs
        FROM podcast_episodes e JOIN podcast_channels c ON c.id = e.channel_id
        LEFT JOIN podcast_positions p ON p.episode_id = e.id AND p.user_id = @userId
        """;

    /// <summary>Subscribes: the feed is fetched and read first, so a bad or hostile feed is refused with its reason and leaves nothing behind.</summary>
    public async Task<PodcastChannel> SubscribeAsync(string? url, CancellationToken ct)
    {
        var uri = PodcastFetcher.CheckUrl(url);
        var feed = FeedParser.Parse(await fetcher.FeedAsync(uri, ct), options.Value.MaxEpisodesPerFeed);
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var id = await c.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO podcast_channels (url, status, created_at) VALUES (@url, 'new', @now)
            ON CONFLICT (url) DO NOTHING RETURNING id
            """, new { url = uri.AbsoluteUri, now = Now }, tx, cancellationToken: ct))
            ?? await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT id FROM podcast_channels WHERE url = @url", new { url = uri.AbsoluteUri }, tx, cancellationToken: ct));
        await StoreAsync(c, tx, id, feed, ct);
        await tx.CommitAsync(ct);
        return (await ChannelAsync(c, id, ct))!;
    }

    /// <summary>Reads the feed again. A failure is kept on the channel (status error, with the reason) and its episodes stay.</summary>
    public async Task<PodcastChannel?> RefreshAsync(long channelId, CancellationToken ct)
    {
        var channel = await ChannelAsync(channelId, ct);
        if (channel is null) return null;
        try
        {
            var feed = FeedParser.Parse(await fetcher.FeedAsync(new Uri(channel.Url), ct), options.Value.MaxEpisodesPerFeed);
            await using var c = await db.OpenAsync(ct);
            await using var tx = await c.BeginTransactionAsync(ct);
            await StoreAsync(c, tx, channelId, feed, ct);
            await tx.CommitAsync(ct);
        }
        catch (PodcastException e)
        {
            LogRefreshFailed(log, channel.Url, e.Message);
            await using var c = await db.OpenAsync(ct);
            await c.ExecuteAsync(new CommandDefinition("UPDATE podcast_channels SET status = 'error', error = @error, refreshed_at = @now WHERE id = @channelId",
                new { error = e.Message, now = Now, channelId }, cancellationToken: ct));
        }
        return await ChannelAsync(channelId, ct);
    }

    public async Task RefreshAllAsync(CancellationToken ct)
    {
        List<long> ids;
        await using (var c = await db.OpenAsync(ct))
            ids = (await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM podcast_channels ORDER BY id", cancellationToken: ct))).ToList();
        foreach (var id in ids) await RefreshAsync(id, ct);
    }

    private async Task StoreAsync(DbConnection c, DbTransaction tx, long channelId, ParsedFeed feed, CancellationToken ct)
    {
        var now = Now;
        await c.ExecuteAsync(new CommandDefinition("""
            UPDATE podcast_channels SET title = @Title, description = @Description, author = @Author, site_url = @SiteUrl, image_url = @ImageUrl,
                status = 'completed', error = NULL, refreshed_at = @now WHERE id = @channelId
            """, new { feed.Title, feed.Description, feed.Author, feed.SiteUrl, feed.ImageUrl, now, channelId }, tx, cancellationToken: ct));
        foreach (var e in feed.Episodes)
            await c.ExecuteAsync(new CommandDefinition("""
                INSERT INTO podcast_episodes (channel_id, guid, title, description, published_at, enclosure_url, enclosure_type, enclosure_length, duration, status, created_at)
                VALUES (@channelId, @Guid, @Title, @Description, @published, @EnclosureUrl, @EnclosureType, @EnclosureLength, @Duration, 'new', @now)
                ON CONFLICT (channel_id, guid) DO UPDATE SET title = excluded.title, description = excluded.description, published_at = excluded.published_at,
                    enclosure_url = excluded.enclosure_url, enclosure_type = excluded.enclosure_type, enclosure_length = excluded.enclosure_length,
                    duration = COALESCE(podcast_episodes.duration, excluded.duration)
                """, new
            {
                channelId, e.Guid, e.Title, e.Description, published = e.PublishedAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                e.EnclosureUrl, e.EnclosureType, e.EnclosureLength, e.Duration, now,
            }, tx, cancellationToken: ct));
    }

    public async Task<PodcastChannel?> ChannelAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await ChannelAsync(c, id, ct);
    }

    private static async Task<PodcastChannel?> ChannelAsync(DbConnection c, long id, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<PodcastChannel>(new CommandDefinition(ChannelSelect + " WHERE id = @id", new { id }, cancellationToken: ct));

    public async Task<IReadOnlyList<PodcastChannel>> ChannelsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PodcastChannel>(new CommandDefinition(ChannelSelect + " ORDER BY title, id", cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<PodcastEpisode>> EpisodesAsync(long channelId, long userId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PodcastEpisode>(new CommandDefinition(EpisodeSelect + " WHERE e.channel_id = @channelId ORDER BY e.published_at DESC, e.id DESC",
            new { channelId, userId }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<PodcastEpisode>> NewestAsync(int count, long userId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<PodcastEpisode>(new CommandDefinition(EpisodeSelect + " ORDER BY e.published_at DESC, e.id DESC LIMIT @count",
            new { count, userId }, cancellationToken: ct))).ToList();
    }

    public async Task<PodcastEpisode?> EpisodeAsync(long id, long userId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PodcastEpisode>(new CommandDefinition(EpisodeSelect + " WHERE e.id = @id", new { id, userId }, cancellationToken: ct));
    }

    /// <summary>The downloaded file of an episode, or null.</summary>
    public string? FileOf(PodcastEpisode episode) =>
        episode is { Status: "completed", Path: { } relative } ? Path.Combine(sillon.Data, relative) : null;

    public async Task<bool> DeleteChannelAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        if (await c.ExecuteAsync(new CommandDefinition("DELETE FROM podcast_channels WHERE id = @id", new { id }, cancellationToken: ct)) == 0) return false;
        var dir = Path.Combine(Root, id.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return true;
    }

    public async Task<bool> DeleteEpisodeAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var path = await c.QuerySingleOrDefaultAsync<(long Id, string? Path)>(new CommandDefinition("SELECT id, path FROM podcast_episodes WHERE id = @id", new { id }, cancellationToken: ct));
        if (path.Id == 0) return false;
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE podcast_episodes SET status = 'deleted', path = NULL, size = NULL, error = NULL WHERE id = @id", new { id }, cancellationToken: ct));
        if (path.Path is not null) File.Delete(Path.Combine(sillon.Data, path.Path));
        return true;
    }

    /// <summary>Marks the episode as downloading; false when it does not exist or is already downloading or downloaded.</summary>
    public async Task<bool?> MarkDownloadingAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM podcast_episodes WHERE id = @id", new { id }, cancellationToken: ct)) == 0) return null;
        return await c.ExecuteAsync(new CommandDefinition("""
            UPDATE podcast_episodes SET status = 'downloading', error = NULL WHERE id = @id AND status IN ('new', 'error', 'deleted', 'skipped')
            """, new { id }, cancellationToken: ct)) == 1;
    }

    /// <summary>Episodes a stopped server left half-downloaded: the worker starts them again.</summary>
    public async Task<IReadOnlyList<long>> UnfinishedDownloadsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        return (await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM podcast_episodes WHERE status = 'downloading' ORDER BY id", cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Downloads an episode to data/podcasts/CHANNEL/EPISODE.SUFFIX. The name never comes from the
    /// feed (no traversal), the suffix is one we serve, and the file must read as audio.
    /// </summary>
    public async Task DownloadAsync(long id, CancellationToken ct)
    {
        var episode = await EpisodeAsync(id, 0, ct);
        if (episode is null) return;
        var suffix = SuffixOf(episode.EnclosureUrl);
        var relative = Path.Combine("podcasts", episode.ChannelId.ToString(CultureInfo.InvariantCulture), $"{id}.{suffix}");
        var full = Path.Combine(sillon.Data, relative);
        try
        {
            var type = await fetcher.DownloadAsync(new Uri(episode.EnclosureUrl), full, ct);
            var suffixFromType = SuffixOfType(type);
            if (suffixFromType is not null && suffixFromType != suffix && !AudioFormats.IsAudio(Path.GetFileName(new Uri(episode.EnclosureUrl).AbsolutePath)))
            {
                var renamed = Path.ChangeExtension(full, suffixFromType);
                File.Move(full, renamed, overwrite: true);
                (full, relative, suffix) = (renamed, Path.ChangeExtension(relative, suffixFromType), suffixFromType);
            }
            TrackTags tags;
            try { tags = TagReader.Read(full); }
            catch (TagReadException e) { throw new PodcastException($"the download is not playable audio: {e.Message}"); }
            await using var c = await db.OpenAsync(ct);
            await using var tx = await c.BeginTransactionAsync(ct);
            await c.ExecuteAsync(new CommandDefinition("""
                UPDATE podcast_episodes SET status = 'completed', error = NULL, path = @relative, size = @size, suffix = @suffix, content_type = @contentType,
                    duration = @duration, bitrate = @bitrate, downloaded_at = @now WHERE id = @id
                """, new
            {
                relative, size = new FileInfo(full).Length, suffix, contentType = AudioFormats.ContentType(suffix), duration = tags.Duration,
                bitrate = tags.Bitrate, now = Now, id,
            }, tx, cancellationToken: ct));
            // The new download and the trim are one change: nobody sees the channel over its limit.
            var trimmed = await TrimAsync(c, tx, episode.ChannelId, ct);
            await tx.CommitAsync(ct);
            foreach (var path in trimmed) File.Delete(Path.Combine(sillon.Data, path));
            LogDownloaded(log, id, episode.EnclosureUrl);
        }
        catch (PodcastException e)
        {
            if (File.Exists(full)) File.Delete(full);
            LogDownloadFailed(log, id, episode.EnclosureUrl, e.Message);
            await using var c = await db.OpenAsync(CancellationToken.None);
            await c.ExecuteAsync(new CommandDefinition("UPDATE podcast_episodes SET status = 'error', error = @error, path = NULL WHERE id = @id",
                new { error = e.Message, id }));
        }
    }

    /// <summary>Keeps the channel's newest N downloads: older episodes are marked deleted; returns their files, to delete after the commit.</summary>
    private async Task<List<string>> TrimAsync(DbConnection c, DbTransaction tx, long channelId, CancellationToken ct)
    {
        var keep = await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT keep_episodes FROM podcast_channels WHERE id = @channelId", new { channelId }, tx, cancellationToken: ct))
            ?? options.Value.KeepEpisodes;
        var old = (await c.QueryAsync<(long Id, string Path)>(new CommandDefinition("""
            SELECT id, path FROM podcast_episodes WHERE channel_id = @channelId AND status = 'completed'
            ORDER BY published_at DESC, id DESC LIMIT 1000000 OFFSET @keep
            """, new { channelId, keep }, tx, cancellationToken: ct))).ToList();
        foreach (var (id, _) in old)
            await c.ExecuteAsync(new CommandDefinition("UPDATE podcast_episodes SET status = 'deleted', path = NULL, size = NULL WHERE id = @id", new { id }, tx, cancellationToken: ct));
        return [.. old.Select(o => o.Path)];
    }

    public async Task SetPositionAsync(long userId, long episodeId, long positionMs, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("""
            INSERT INTO podcast_positions (user_id, episode_id, position_ms, updated_at) VALUES (@userId, @episodeId, @positionMs, @now)
            ON CONFLICT (user_id, episode_id) DO UPDATE SET position_ms = excluded.position_ms, updated_at = excluded.updated_at
            """, new { userId, episodeId, positionMs, now = Now }, cancellationToken: ct));
    }

    private static readonly Dictionary<string, string> TypeSuffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["audio/mpeg"] = "mp3", ["audio/mp3"] = "mp3", ["audio/mp4"] = "m4a", ["audio/x-m4a"] = "m4a", ["audio/m4a"] = "m4a", ["audio/aac"] = "m4a",
        ["audio/ogg"] = "ogg", ["application/ogg"] = "ogg", ["audio/opus"] = "opus", ["audio/flac"] = "flac", ["audio/x-flac"] = "flac", ["audio/wav"] = "wav", ["audio/x-wav"] = "wav",
    };

    private static string? SuffixOfType(string type) => TypeSuffixes.GetValueOrDefault(type);

    /// <summary>The suffix of the enclosure's path when it is an audio suffix we serve; mp3 otherwise (the type may correct it).</summary>
    private static string SuffixOf(string url)
    {
        var name = Path.GetFileName(Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.AbsolutePath : "");
        return AudioFormats.IsAudio(name) ? AudioFormats.Suffix(name).ToString().ToLowerInvariant() : "mp3";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Podcast feed {Url} could not be refreshed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger log, string url, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Podcast episode {Id} downloaded from {Url}")]
    private static partial void LogDownloaded(ILogger log, long id, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Podcast episode {Id} from {Url} could not be downloaded: {Reason}")]
    private static partial void LogDownloadFailed(ILogger log, long id, string url, string reason);
}
