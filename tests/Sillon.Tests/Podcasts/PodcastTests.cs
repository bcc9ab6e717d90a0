using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Podcasts;
using Sillon.Tests.Fixtures;
using Sillon.Tests.Subsonic;

namespace Sillon.Tests.Podcasts;

/// <summary>One server and one podcast host for the class; each test subscribes to feeds of its own name.</summary>
public sealed class PodcastFixture : IAsyncLifetime
{
    public const string Password = "s3cret-pass";
    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    public FakePodcastHost Host { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Listener { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var audio = await AudioFiles.CreateAsync(Path.Combine(Library.Root, "episode.mp3"), "mp3", seconds: 3);
        Host = await FakePodcastHost.StartAsync(await File.ReadAllBytesAsync(audio));
        await Library.AddAsync("A/song.mp3", "mp3", new TagSet { Title = "Song", Artists = ["A"], Album = "B" });
        Server = await SillonServer.StartAsync(Library, new Dictionary<string, string?>
        {
            ["Podcasts:MaxFeedBytes"] = (1024 * 1024).ToString(),
            ["Podcasts:MaxEpisodeBytes"] = (2 * 1024 * 1024).ToString(),
            ["Podcasts:FeedTimeout"] = "00:00:02",
            ["Podcasts:DownloadIdleTimeout"] = "00:00:02",
            ["Podcasts:MaxRedirects"] = "3",
            ["Podcasts:KeepEpisodes"] = "2",
            ["Podcasts:RefreshInterval"] = "00:00:00",
        });
        await Server.WaitForScanAsync(TimeSpan.FromSeconds(60));
        Admin = await Server.LoginAsync("alice", Password, admin: true);
        Listener = await Server.LoginAsync("bob", Password, admin: false);
    }

    public async Task<JsonElement> SubsonicAsync(string endpoint, string query, string user = "alice")
    {
        var body = await Server.Client().GetStringAsync($"/rest/{endpoint}?u={user}&p={Password}&v=1.16.1&c=tests&f=json&{query}");
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement.GetProperty("subsonic-response");
        if (r.GetProperty("status").GetString() == "ok")
        {
            var errors = SchemaValidator.Validate(endpoint, doc.RootElement);
            Assert.True(errors is null, $"{endpoint}: {errors}\n{body}");
        }
        return r.Clone();
    }

    public async Task<JsonElement> SubscribeAsync(string url)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/podcasts", new { url });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<List<JsonElement>> EpisodesAsync(string channelId, HttpClient? client = null) =>
        [.. (await (client ?? Admin).GetFromJsonAsync<JsonElement>($"/api/v1/podcasts/{channelId}")).GetProperty("episodes").EnumerateArray()];

    public async Task<JsonElement> WaitForEpisodeAsync(string episodeId, Func<string, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var e = (await SubsonicAsync("getPodcastEpisode", $"id={episodeId}")).GetProperty("podcastEpisode");
            if (done(e.GetProperty("status").GetString()!)) return e;
            await Task.Delay(100);
        }
        throw new TimeoutException($"episode {episodeId} did not finish");
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Listener.Dispose();
        await Server.DisposeAsync();
        await Host.DisposeAsync();
        await Library.DisposeAsync();
    }
}

public sealed class PodcastTests(PodcastFixture fx) : IClassFixture<PodcastFixture>
{
    [Fact]
    public async Task An_RSS_feed_with_iTunes_tags_becomes_a_channel_with_its_episodes()
    {
        var channel = await fx.SubscribeAsync(fx.Host.Url("/rss/rss1"));
        Assert.Equal("rss1 show", channel.GetProperty("title").GetString());
        Assert.Equal("rss1 host", channel.GetProperty("author").GetString());
        Assert.Equal("https://example.org/rss1.jpg", channel.GetProperty("imageUrl").GetString());
        var episodes = await fx.EpisodesAsync(channel.GetProperty("id").GetString()!);
        Assert.Equal(["rss1 episode 3", "rss1 episode 2", "rss1 episode 1"], episodes.Select(e => e.GetProperty("title").GetString()));
        Assert.Equal("Summary of episode 3", episodes[0].GetProperty("description").GetString());
        Assert.Equal(210, episodes[0].GetProperty("duration").GetDouble()); // itunes:duration 00:03:30
        Assert.Equal("2026-01-04T08:00:00.000Z", episodes[0].GetProperty("publishedAt").GetString());
        Assert.All(episodes, e => Assert.Equal("new", e.GetProperty("status").GetString()));

        var podcasts = await fx.SubsonicAsync("getPodcasts", $"id={channel.GetProperty("id").GetString()}");
        var item = Assert.Single(podcasts.GetProperty("podcasts").GetProperty("channel").EnumerateArray());
        Assert.Equal("completed", item.GetProperty("status").GetString());
        Assert.Equal(3, item.GetProperty("episode").GetArrayLength());
        Assert.False(item.GetProperty("episode")[0].TryGetProperty("streamId", out _)); // nothing to stream before a download

        // Subscribing twice to the same address gives the same channel.
        var again = await fx.SubscribeAsync(fx.Host.Url("/rss/rss1"));
        Assert.Equal(channel.GetProperty("id").GetString(), again.GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_Atom_feed_is_read_too()
    {
        var r = await fx.SubsonicAsync("createPodcastChannel", "url=" + Uri.EscapeDataString(fx.Host.Url("/atom/atom1")));
        Assert.Equal("ok", r.GetProperty("status").GetString());
        var channels = await fx.Admin.GetFromJsonAsync<JsonElement>("/api/v1/podcasts");
        var channel = channels.EnumerateArray().Single(c => c.GetProperty("url").GetString()!.EndsWith("/atom/atom1"));
        Assert.Equal("atom1 atom show", channel.GetProperty("title").GetString());
        Assert.Equal("Atom Author", channel.GetProperty("author").GetString());
        var episode = Assert.Single(await fx.EpisodesAsync(channel.GetProperty("id").GetString()!));
        Assert.Equal("Atom episode", episode.GetProperty("title").GetString());
        Assert.Equal("2026-03-01T09:00:00.000Z", episode.GetProperty("publishedAt").GetString());
        Assert.Equal(125, episode.GetProperty("duration").GetDouble());
    }

    [Theory]
    [InlineData("/hostile/malformed", "not well-formed XML")]
    [InlineData("/hostile/xxe", "DTD")]
    [InlineData("/hostile/laughs", "DTD")]
    [InlineData("/hostile/html", "DTD")] // <!doctype html> is a DTD declaration too: refused before anything is read
    [InlineData("/hostile/notfeed", "neither an RSS 2.0 nor an Atom feed")]
    [InlineData("/hostile/huge", "more than the 1048576 bytes allowed")]
    [InlineData("/hostile/huge-declared", "more than the 1048576 allowed")]
    [InlineData("/hostile/slow", "did not arrive within 2 s")]
    [InlineData("/loop/a", "redirect loop")]
    [InlineData("/hops/5", "more than 3 redirects")]
    [InlineData("/hostile/ftp", "only http and https")]
    [InlineData("/hostile/missing", "answered HTTP 404")]
    public async Task Hostile_feeds_are_refused_with_a_clear_error_and_leave_nothing(string path, string message)
    {
        var before = (await fx.Admin.GetFromJsonAsync<JsonElement>("/api/v1/podcasts")).GetArrayLength();
        var response = await fx.Admin.PostAsJsonAsync("/api/v1/podcasts", new { url = fx.Host.Url(path) });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, body);
        Assert.DoesNotContain("root:", body); // /etc/passwd never read
        var r = await fx.SubsonicAsync("createPodcastChannel", "url=" + Uri.EscapeDataString(fx.Host.Url(path)));
        Assert.Equal(0, r.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains(message, r.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(before, (await fx.Admin.GetFromJsonAsync<JsonElement>("/api/v1/podcasts")).GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await fx.Server.Client().GetAsync("/healthz")).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("file:///etc/passwd")]
    [InlineData("not a url")]
    public async Task Addresses_that_are_not_http_are_refused(string url)
    {
        var response = await fx.Admin.PostAsJsonAsync("/api/v1/podcasts", new { url });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("absolute http or https URL", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_downloaded_episode_streams_like_a_track_with_ranges()
    {
        var channel = await fx.SubscribeAsync(fx.Host.Url("/rss/dl1"));
        var channelId = channel.GetProperty("id").GetString()!;
        var episodeId = (await fx.EpisodesAsync(channelId))[0].GetProperty("id").GetString()!;
        Assert.Equal("ok", (await fx.SubsonicAsync("downloadPodcastEpisode", $"id={episodeId}")).GetProperty("status").GetString());
        var episode = await fx.WaitForEpisodeAsync(episodeId, s => s is "completed" or "error");
        Assert.Equal("completed", episode.GetProperty("status").GetString());
        Assert.Equal(episodeId, episode.GetProperty("streamId").GetString());
        Assert.InRange(episode.GetProperty("duration").GetInt32(), 2, 4); // the file's own duration replaces the feed's
        var file = Path.Combine(fx.Library.Data, "podcasts", channelId[3..], episodeId[3..] + ".mp3");
        Assert.True(File.Exists(file));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/rest/stream?u=bob&p={PodcastFixture.Password}&v=1.16.1&c=tests&id={episodeId}");
        request.Headers.Range = new RangeHeaderValue(100, 199);
        using var partial = await fx.Server.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("audio/mpeg", partial.Content.Headers.ContentType?.MediaType);
        Assert.Equal((await File.ReadAllBytesAsync(file))[100..200], await partial.Content.ReadAsByteArrayAsync());

        var rest = await fx.Listener.GetAsync($"/api/v1/podcasts/episodes/{episodeId}/stream");
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.Equal(new FileInfo(file).Length, (await rest.Content.ReadAsByteArrayAsync()).Length);

        // An <audio> element cannot send a header: the token may ride in the URL here, and only for reading.
        var token = fx.Listener.DefaultRequestHeaders.Authorization!.Parameter;
        using var anonymous = fx.Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/v1/podcasts/episodes/{episodeId}/stream?access_token={token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await anonymous.PutAsJsonAsync($"/api/v1/podcasts/episodes/{episodeId}/position?access_token={token}", new { positionMs = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/podcasts/{channelId}?access_token={token}")).StatusCode);

        // Not downloaded: nothing to stream.
        var other = (await fx.EpisodesAsync(channelId))[2].GetProperty("id").GetString()!;
        Assert.Equal(70, (await fx.SubsonicAsync("stream", $"id={other}")).GetProperty("error").GetProperty("code").GetInt32());

        Assert.Equal("ok", (await fx.SubsonicAsync("deletePodcastEpisode", $"id={episodeId}")).GetProperty("status").GetString());
        Assert.False(File.Exists(file));
        Assert.Equal("deleted", (await fx.SubsonicAsync("getPodcastEpisode", $"id={episodeId}")).GetProperty("podcastEpisode").GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("not-audio", "not audio (Content-Type text/html)")]
    [InlineData("too-big-declared", "more than the 2097152 allowed")]
    [InlineData("too-big-streamed", "more than the 2097152 bytes allowed")]
    [InlineData("random-bytes", "not playable audio")]
    public async Task Bad_enclosures_end_in_an_error_and_leave_no_file(string kind, string message)
    {
        var name = "bad-" + kind;
        // The feed's enclosures point at the hostile audio for this kind.
        var channel = await fx.SubscribeAsync(fx.Host.Url($"/rss/{name}"));
        var channelId = channel.GetProperty("id").GetString()!;
        await using (var c = await fx.Library.Database().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(c, "UPDATE podcast_episodes SET enclosure_url = @url WHERE channel_id = @id",
                new { url = fx.Host.Url($"/audio/{name}/{kind}.mp3"), id = long.Parse(channelId[3..]) });
        var episodeId = (await fx.EpisodesAsync(channelId))[0].GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Accepted, (await fx.Admin.PostAsync($"/api/v1/podcasts/episodes/{episodeId}/download", null)).StatusCode);
        await fx.WaitForEpisodeAsync(episodeId, s => s is "completed" or "error");
        var episode = (await fx.EpisodesAsync(channelId)).Single(e => e.GetProperty("id").GetString() == episodeId);
        Assert.Equal("error", episode.GetProperty("status").GetString());
        Assert.Contains(message, episode.GetProperty("error").GetString());
        var dir = Path.Combine(fx.Library.Data, "podcasts", channelId[3..]);
        Assert.True(!Directory.Exists(dir) || Directory.GetFiles(dir).Length == 0, "a partial or refused download was left behind");
    }

    [Fact]
    public async Task Traversal_in_an_enclosure_address_cannot_place_a_file_outside_the_podcasts_folder()
    {
        var channel = await fx.SubscribeAsync(fx.Host.Url("/rss/trav"));
        var channelId = channel.GetProperty("id").GetString()!;
        await using (var c = await fx.Library.Database().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(c, "UPDATE podcast_episodes SET enclosure_url = @url WHERE channel_id = @id",
                new { url = fx.Host.Url("/audio/x/..%2F..%2F..%2F..%2Fescape.mp3"), id = long.Parse(channelId[3..]) });
        var episodeId = (await fx.EpisodesAsync(channelId))[0].GetProperty("id").GetString()!;
        await fx.SubsonicAsync("downloadPodcastEpisode", $"id={episodeId}");
        Assert.Equal("completed", (await fx.WaitForEpisodeAsync(episodeId, s => s is "completed" or "error")).GetProperty("status").GetString());
        Assert.Equal([$"{episodeId[3..]}.mp3"], Directory.GetFiles(Path.Combine(fx.Library.Data, "podcasts", channelId[3..])).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(fx.Library.Root, "escape*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Only_the_newest_downloads_of_a_channel_are_kept()
    {
        var channel = await fx.SubscribeAsync(fx.Host.Url("/rss/keep"));
        var channelId = channel.GetProperty("id").GetString()!;
        var ids = (await fx.EpisodesAsync(channelId)).Select(e => e.GetProperty("id").GetString()!).ToList(); // newest first
        foreach (var id in ids.AsEnumerable().Reverse())
        {
            await fx.SubsonicAsync("downloadPodcastEpisode", $"id={id}");
            await fx.WaitForEpisodeAsync(id, s => s is "completed" or "error");
        }
        var statuses = (await fx.EpisodesAsync(channelId)).Select(e => e.GetProperty("status").GetString()).ToList();
        Assert.Equal(["completed", "completed", "deleted"], statuses); // Podcasts:KeepEpisodes = 2
        // The trimmed episode's file goes after the commit that marks it deleted: a moment later.
        var folder = Path.Combine(fx.Library.Data, "podcasts", channelId[3..]);
        for (var waited = 0; Directory.GetFiles(folder).Length > 2 && waited < 100; waited++) await Task.Delay(50);
        Assert.Equal(2, Directory.GetFiles(folder).Length);
    }

    [Fact]
    public async Task Each_listener_keeps_their_own_position_in_an_episode()
    {
        var channel = await fx.SubscribeAsync(fx.Host.Url("/rss/pos"));
        var channelId = channel.GetProperty("id").GetString()!;
        var episodeId = (await fx.EpisodesAsync(channelId))[1].GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Admin.PutAsJsonAsync($"/api/v1/podcasts/episodes/{episodeId}/position", new { positionMs = 61_000 })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await fx.Listener.PutAsJsonAsync($"/api/v1/podcasts/episodes/{episodeId}/position", new { positionMs = 5_000 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fx.Listener.PutAsJsonAsync($"/api/v1/podcasts/episodes/{episodeId}/position", new { positionMs = -1 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Listener.PutAsJsonAsync("/api/v1/podcasts/episodes/pe-999999/position", new { positionMs = 1 })).StatusCode);

        long PositionOf(List<JsonElement> episodes) => episodes.Single(e => e.GetProperty("id").GetString() == episodeId).GetProperty("positionMs").GetInt64();
        Assert.Equal(61_000, PositionOf(await fx.EpisodesAsync(channelId, fx.Admin)));
        Assert.Equal(5_000, PositionOf(await fx.EpisodesAsync(channelId, fx.Listener)));
        var bob = (await fx.SubsonicAsync("getPodcastEpisode", $"id={episodeId}", user: "bob")).GetProperty("podcastEpisode");
        Assert.Equal(5_000, bob.GetProperty("bookmarkPosition").GetInt64());
    }

    [Fact]
    public async Task Listeners_read_podcasts_but_only_administrators_change_them()
    {
        var r = await fx.SubsonicAsync("createPodcastChannel", "url=" + Uri.EscapeDataString(fx.Host.Url("/rss/nope")), user: "bob");
        Assert.Equal(50, r.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(HttpStatusCode.Forbidden, (await fx.Listener.PostAsJsonAsync("/api/v1/podcasts", new { url = fx.Host.Url("/rss/nope") })).StatusCode);
        Assert.Equal(50, (await fx.SubsonicAsync("refreshPodcasts", "", user: "bob")).GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("ok", (await fx.SubsonicAsync("getPodcasts", "includeEpisodes=false", user: "bob")).GetProperty("status").GetString());
        Assert.Equal("ok", (await fx.SubsonicAsync("getNewestPodcasts", "count=5", user: "bob")).GetProperty("status").GetString());
        var roles = (await fx.SubsonicAsync("getUser", "username=alice")).GetProperty("user");
        Assert.True(roles.GetProperty("podcastRole").GetBoolean());
        Assert.Equal(70, (await fx.SubsonicAsync("getPodcastEpisode", "id=tr-1")).GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_refresh_adds_new_episodes_and_keeps_what_was_there()
    {
        var channel = await fx.SubscribeAsync(fx.Host.Url("/rss/grow"));
        var channelId = channel.GetProperty("id").GetString()!;
        var first = (await fx.EpisodesAsync(channelId)).Select(e => e.GetProperty("id").GetString()).ToList();
        fx.Host.ExtraItems["grow"] = 2;
        Assert.Equal(HttpStatusCode.OK, (await fx.Admin.PostAsync($"/api/v1/podcasts/{channelId}/refresh", null)).StatusCode);
        var after = (await fx.EpisodesAsync(channelId)).Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(5, after.Count);
        Assert.Equal(first, after.Skip(2)); // same ids for the same guids
        var newest = (await fx.SubsonicAsync("getNewestPodcasts", "count=500")).GetProperty("newestPodcasts").GetProperty("episode")
            .EnumerateArray().Select(e => e.GetProperty("title").GetString()).Where(t => t!.StartsWith("grow ")).ToList();
        Assert.Equal(["grow episode 5", "grow episode 4", "grow episode 3", "grow episode 2", "grow episode 1"], newest);
    }

    [Theory]
    [InlineData("Sun, 04 Jan 2026 08:00:00 GMT", "2026-01-04T08:00:00Z")]
    [InlineData("Sun, 04 Jan 2026 08:00:00 +0100", "2026-01-04T07:00:00Z")]
    [InlineData("4 Jan 2026 08:00:00 EST", "2026-01-04T13:00:00Z")]
    [InlineData("2026-03-01T10:00:00+01:00", "2026-03-01T09:00:00Z")]
    public void Feed_dates_in_their_common_shapes_are_read(string text, string utc) =>
        Assert.Equal(DateTimeOffset.Parse(utc), FeedParser.Date(text));

    [Theory]
    [InlineData("3723", 3723.0)]
    [InlineData("62:03", 3723.0)]
    [InlineData("1:02:03", 3723.0)]
    [InlineData("soon", null)]
    public void iTunes_durations_are_read(string text, double? seconds) => Assert.Equal(seconds, FeedParser.Duration(text));
}

/// <summary>The refresh schedule, on a server of its own.</summary>
public sealed class PodcastScheduleTests
{
    [Fact]
    public async Task Channels_are_refreshed_on_schedule()
    {
        await using var lib = new TestLibrary();
        var audio = await AudioFiles.CreateAsync(Path.Combine(lib.Root, "e.mp3"), "mp3", seconds: 1);
        await using var host = await FakePodcastHost.StartAsync(await File.ReadAllBytesAsync(audio));
        await lib.AddAsync("A/song.mp3", "mp3", new TagSet { Title = "Song", Artists = ["A"], Album = "B" });
        await using var server = await SillonServer.StartAsync(lib, new Dictionary<string, string?> { ["Podcasts:RefreshInterval"] = "00:00:01" });
        var podcasts = server.Services.GetRequiredService<PodcastLibrary>();
        var channel = await podcasts.SubscribeAsync(host.Url("/rss/sched"), default);
        Assert.Equal(3, (await podcasts.EpisodesAsync(channel.Id, 0, default)).Count);
        host.ExtraItems["sched"] = 1;
        var until = DateTime.UtcNow.AddSeconds(20);
        while ((await podcasts.EpisodesAsync(channel.Id, 0, default)).Count < 4)
        {
            Assert.True(DateTime.UtcNow < until, "the schedule never refreshed the channel");
            await Task.Delay(100);
        }
    }
}
