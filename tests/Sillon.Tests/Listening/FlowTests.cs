using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Listening;
using Sillon.Tests.Subsonic;

namespace Sillon.Tests.Listening;

public sealed class FlowTests(ListeningFixture fx) : IClassFixture<ListeningFixture>
{
    private static async Task<List<(string Title, JsonElement Reason)>> FlowAsync(HttpClient http, string query)
    {
        var response = await http.GetAsync($"/api/v1/me/flow?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray()
            .Select(i => (i.GetProperty("track").GetProperty("title").GetString()!, i.GetProperty("reason").Clone())).ToList();
    }

    private async Task<IReadOnlyDictionary<long, double>> ScoresAsync(HttpClient http, string? from = null)
    {
        var flow = fx.Server.Services.GetRequiredService<Flow>();
        var scores = await flow.ScoresAsync(await ListeningFixture.UserIdAsync(http), 7, from is null ? null : FlowSeed.Parse(from), CancellationToken.None);
        return scores!.ToDictionary(s => s.Key, s => s.Value.Score);
    }

    private async Task<long> Id(string title) => long.Parse((await fx.TrackAsync(title))[3..]);

    [Fact]
    public async Task Flow_is_the_same_for_the_same_seed_and_listening()
    {
        var (_, a) = await fx.ListenerAsync();
        var (_, b) = await fx.ListenerAsync();
        foreach (var http in new[] { a, b })
        {
            await fx.PlayAsync(http, "Amber One");
            await fx.PlayAsync(http, "Cobalt Two");
            await fx.PlayAsync(http, "Amber Two", skip: true);
        }
        var first = await FlowAsync(a, "seed=1234&count=8");
        var second = await FlowAsync(b, "seed=1234&count=8");
        Assert.Equal(8, first.Count);
        Assert.Equal(first.Select(x => x.Title), second.Select(x => x.Title));
        Assert.Equal(first.Select(x => x.Reason.GetProperty("text").GetString()), second.Select(x => x.Reason.GetProperty("text").GetString()));
        // Another seed, another order (the same listening state: b's window now holds its first 8, so compare a fresh listener).
        var (_, c) = await fx.ListenerAsync();
        foreach (var t in new[] { "Amber One", "Cobalt Two" }) await fx.PlayAsync(c, t);
        await fx.PlayAsync(c, "Amber Two", skip: true);
        Assert.NotEqual(first.Select(x => x.Title), (await FlowAsync(c, "seed=98765&count=8")).Select(x => x.Title));
    }

    [Fact]
    public async Task Flow_does_not_repeat_itself_or_recent_plays_within_the_window()
    {
        var (_, http) = await fx.ListenerAsync();
        await fx.PlayAsync(http, "Ember One");
        await fx.PlayAsync(http, "Flint One");
        var seen = new List<string>();
        for (var page = 0; page < 3; page++) seen.AddRange((await FlowAsync(http, $"seed={page}&count=7")).Select(x => x.Title));
        Assert.Equal(21, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.DoesNotContain("Ember One", seen);
        Assert.DoesNotContain("Flint One", seen);
        // The catalog has 27 tracks: once the window holds them all, the flow goes on with the oldest.
        var more = await FlowAsync(http, "seed=9&count=20");
        Assert.Equal(20, more.Count);
    }

    [Fact]
    public async Task Skipped_tracks_and_artists_weigh_less_in_flow()
    {
        var (_, plain) = await fx.ListenerAsync();
        var (_, skipper) = await fx.ListenerAsync();
        foreach (var http in new[] { plain, skipper })
        {
            await fx.PlayAsync(http, "Dune One");
            await fx.PlayAsync(http, "Dune One");
        }
        for (var i = 0; i < 3; i++) await fx.PlayAsync(skipper, "Dune One", skip: true);
        for (var i = 0; i < 4; i++) await fx.PlayAsync(skipper, "Dune Two", skip: true);

        var before = await ScoresAsync(plain);
        var after = await ScoresAsync(skipper);
        // The skipped track itself, and a track of the skipped artist never played or skipped.
        Assert.True(after[await Id("Dune One")] < before[await Id("Dune One")] * 0.6, $"{after[await Id("Dune One")]} vs {before[await Id("Dune One")]}");
        Assert.True(after[await Id("Dune Three")] < before[await Id("Dune Three")] * 0.6, $"{after[await Id("Dune Three")]} vs {before[await Id("Dune Three")]}");
    }

    [Fact]
    public async Task Co_listening_finds_the_artist_other_listeners_play_with_mine()
    {
        // Two listeners play Pike and Quill together; a third plays only Rune. I play Pike.
        for (var i = 0; i < 2; i++)
        {
            var (_, other) = await fx.ListenerAsync();
            foreach (var t in new[] { "Pike One", "Pike Two", "Quill One", "Quill Two", "Quill Three" }) await fx.PlayAsync(other, t);
        }
        var (_, loner) = await fx.ListenerAsync();
        foreach (var t in new[] { "Rune One", "Rune Two" }) await fx.PlayAsync(loner, t);
        var (_, me) = await fx.ListenerAsync();
        await fx.PlayAsync(me, "Pike One");

        var flow = await FlowAsync(me, "seed=5&count=100");
        var quill = flow.Where(x => x.Title.StartsWith("Quill", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(quill);
        Assert.All(quill, x =>
        {
            Assert.Equal("listeners", x.Reason.GetProperty("kind").GetString());
            Assert.Equal("Pike", x.Reason.GetProperty("name").GetString());
            Assert.Equal("New to you: listeners of Pike also play this", x.Reason.GetProperty("text").GetString());
        });
        Assert.DoesNotContain(flow, x => x.Title.StartsWith("Rune", StringComparison.Ordinal) && x.Reason.GetProperty("kind").GetString() == "listeners");
        var scores = await ScoresAsync(me);
        Assert.True(scores[await Id("Quill Three")] > scores.GetValueOrDefault(await Id("Rune Three")), "Quill outweighs Rune for a Pike listener");
    }

    [Fact]
    public async Task Every_suggestion_says_why()
    {
        var (name, http) = await fx.ListenerAsync();
        await fx.PlayAsync(http, "Basalt One");
        Assert.Contains("\"ok\"", await (await fx.SubsonicAsync(name, "star", $"id={await fx.TrackAsync("Flint Two")}")).Content.ReadAsStringAsync());
        var flow = await FlowAsync(http, "seed=3&count=27");
        Assert.All(flow, x => Assert.False(string.IsNullOrEmpty(x.Reason.GetProperty("text").GetString())));
        var texts = flow.Select(x => x.Reason.GetProperty("text").GetString()!).ToList();
        Assert.Contains(texts, t => t.Contains("because you played Basalt One", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(texts, t => t.Contains("because you love Flint Two", StringComparison.OrdinalIgnoreCase));
        var amber = flow.Where(x => x.Title.StartsWith("Amber", StringComparison.Ordinal)).Select(x => x.Reason).ToList();
        Assert.Contains(amber, r => r.GetProperty("kind").GetString() == "genre" && r.GetProperty("genre").GetString() == "Rock" && r.GetProperty("new").GetBoolean());
    }

    [Fact]
    public async Task An_instant_mix_starts_from_its_item_and_bad_inputs_are_handled()
    {
        var (_, http) = await fx.ListenerAsync();
        var mix = await FlowAsync(http, $"from={await fx.TrackAsync("Cobalt One")}&seed=1&count=50");
        Assert.DoesNotContain(mix, x => x.Title == "Cobalt One");
        Assert.Contains(mix, x => x.Title == "Cobalt Two" && x.Reason.GetProperty("text").GetString() == "New to you: similar to Cobalt One");
        // Its artist, its genre and era (Dune: jazz of 1962), or what its other listeners play; nothing at random.
        Assert.All(mix, x => Assert.True(x.Title.StartsWith("Cobalt", StringComparison.Ordinal) || x.Title.StartsWith("Dune", StringComparison.Ordinal)
            || x.Reason.GetProperty("kind").GetString() == "listeners", x.Title));
        var artistMix = await FlowAsync(http, $"from={await fx.ArtistAsync("Ember")}&seed=1&count=50");
        Assert.Contains(artistMix, x => x.Title == "Ember One");

        foreach (var from in new[] { "tr-999999", "al-999999", "ar-999999", "nonsense", "tr-1'--" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/v1/me/flow?from={Uri.EscapeDataString(from)}")).StatusCode);
        Assert.Single(await FlowAsync(http, "count=-5&seed=1"));
        Assert.InRange((await FlowAsync(http, "count=1000000&seed=x%27%3B%20DROP%20TABLE%20tracks")).Count, 1, Flow.MaxCount);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/me/flow?count=lots")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Server.Client().GetAsync("/api/v1/me/flow")).StatusCode);
    }

    [Fact]
    public async Task Subsonic_similar_songs_are_an_instant_mix_and_top_songs_follow_the_server_plays()
    {
        var (name, http) = await fx.ListenerAsync();
        async Task<JsonElement> Ok(string endpoint, string query)
        {
            var body = await (await fx.SubsonicAsync(name, endpoint, query)).Content.ReadAsStringAsync();
            using var doc = JsonDocument.Parse(body);
            var errors = SchemaValidator.Validate(endpoint, doc.RootElement);
            Assert.True(errors is null, $"{endpoint}: {errors}\n{body}");
            return doc.RootElement.GetProperty("subsonic-response").Clone();
        }
        var similar = (await Ok("getSimilarSongs", $"id={await fx.TrackAsync("Dune One")}&count=10")).GetProperty("similarSongs").GetProperty("song");
        var titles = similar.EnumerateArray().Select(s => s.GetProperty("title").GetString()).ToList();
        Assert.Contains("Dune Two", titles);
        Assert.DoesNotContain("Dune One", titles);
        var similar2 = (await Ok("getSimilarSongs2", $"id={await fx.ArtistAsync("Amber")}&count=3")).GetProperty("similarSongs2").GetProperty("song");
        Assert.Equal(3, similar2.GetArrayLength());
        foreach (var id in new[] { "tr-999999", "ar-999999", "bogus" })
        {
            var error = (await Ok("getSimilarSongs", $"id={id}")).GetProperty("error").GetProperty("code").GetInt32();
            Assert.Equal(70, error);
        }

        // Top songs: Flint Three is played most on this server, then Flint One (which another test also plays).
        for (var i = 0; i < 8; i++) await fx.PlayAsync(http, "Flint Three");
        await fx.PlayAsync(http, "Flint One");
        for (var i = 0; i < 5; i++) await fx.PlayAsync(http, "Flint Two", skip: true); // skips are not plays
        var top = (await Ok("getTopSongs", "artist=flint&count=2")).GetProperty("topSongs").GetProperty("song");
        Assert.Equal(["Flint Three", "Flint One"], top.EnumerateArray().Select(s => s.GetProperty("title").GetString()));
    }
}
