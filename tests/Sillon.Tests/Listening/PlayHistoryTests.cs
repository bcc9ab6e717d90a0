using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Listening;

public sealed class PlayHistoryTests(ListeningFixture fx) : IClassFixture<ListeningFixture>
{
    private Task<T> Scalar<T>(string sql, object args) => Sql.ScalarAsync<T>(fx.Library.Data, sql, args);

    [Fact]
    public async Task A_play_heard_past_half_counts_and_a_shorter_one_is_a_skip()
    {
        var (_, http) = await fx.ListenerAsync();
        var user = await ListeningFixture.UserIdAsync(http);
        var track = long.Parse((await fx.TrackAsync("Amber One"))[3..]);

        var full = await fx.PlayAsync(http, "Amber One");
        Assert.False(full.GetProperty("skipped").GetBoolean());
        Assert.Equal(1000, full.GetProperty("msPlayed").GetInt64());
        var skip = await fx.PlayAsync(http, "Amber One", skip: true);
        Assert.True(skip.GetProperty("skipped").GetBoolean());

        var events = await Sql.QueryAsync<(long Ms, long Skipped, string Source, string Client)>(fx.Library.Data,
            "SELECT ms_played, skipped, source, client FROM play_events WHERE user_id = @user ORDER BY id", new { user });
        Assert.Equal([(1000L, 0L, "rest", "tests"), (100L, 1L, "rest", "tests")], events);
        // Counts stay in step on the track, its album and its artist: one play, one skip.
        foreach (var kind in new[] { "track", "album", "artist" })
            Assert.Equal((1L, 1L), (await Sql.QueryAsync<(long, long)>(fx.Library.Data,
                "SELECT play_count, skip_count FROM annotations WHERE user_id = @user AND item_kind = @kind", new { user, kind })).Single());
        Assert.Equal(1L, await Scalar<long>("SELECT COUNT(*) FROM annotations WHERE user_id = @user AND item_kind = 'track' AND item_id = @track AND played_at IS NOT NULL", new { user, track }));
    }

    [Fact]
    public async Task The_same_play_reported_again_counts_once()
    {
        // A client that lost the answer, or the web player's queue of plays made offline, sends again.
        var (name, http) = await fx.ListenerAsync();
        var user = await ListeningFixture.UserIdAsync(http);
        var at = new DateTimeOffset(2026, 3, 1, 8, 30, 0, 123, TimeSpan.Zero);
        var first = await fx.PlayAsync(http, "Amber One", at: at);
        var again = await fx.PlayAsync(http, "Amber One", at: at);
        Assert.Equal(first.GetProperty("id").GetInt64(), again.GetProperty("id").GetInt64());
        // The same track a millisecond later is another play; so is a Subsonic scrobble at the same second.
        await fx.PlayAsync(http, "Amber One", at: at.AddMilliseconds(1));
        var track = await fx.TrackAsync("Amber One");
        await fx.SubsonicAsync(name, "scrobble", $"id={track}&time={at.AddSeconds(5).ToUnixTimeMilliseconds()}&submission=true");
        await fx.SubsonicAsync(name, "scrobble", $"id={track}&time={at.AddSeconds(5).ToUnixTimeMilliseconds()}&submission=true");

        Assert.Equal(3L, await Scalar<long>("SELECT COUNT(*) FROM play_events WHERE user_id = @user", new { user }));
        Assert.Equal(3L, await Scalar<long>("SELECT play_count FROM annotations WHERE user_id = @user AND item_kind = 'track'", new { user }));
    }

    [Fact]
    public async Task Plays_timed_by_the_server_clock_are_never_taken_for_a_report_sent_again()
    {
        // Without a start from the client the server's clock gives one, and two plays can share its
        // millisecond: here one Subsonic submission names the track twice, both at the same instant.
        var (name, http) = await fx.ListenerAsync();
        var user = await ListeningFixture.UserIdAsync(http);
        var track = await fx.TrackAsync("Amber One");
        await fx.SubsonicAsync(name, "scrobble", $"id={track}&id={track}&submission=true");

        Assert.Equal(2L, await Scalar<long>("SELECT COUNT(*) FROM play_events WHERE user_id = @user", new { user }));
        Assert.Equal(2L, await Scalar<long>("SELECT play_count FROM annotations WHERE user_id = @user AND item_kind = 'track'", new { user }));
    }

    [Fact]
    public async Task A_Subsonic_scrobble_is_a_whole_play_of_the_track()
    {
        var (name, http) = await fx.ListenerAsync();
        var user = await ListeningFixture.UserIdAsync(http);
        var response = await fx.SubsonicAsync(name, "scrobble", $"id={await fx.TrackAsync("Basalt Two")}&submission=true");
        Assert.Contains("\"ok\"", await response.Content.ReadAsStringAsync());
        var (ms, skipped, source) = (await Sql.QueryAsync<(long, long, string)>(fx.Library.Data,
            "SELECT ms_played, skipped, source FROM play_events WHERE user_id = @user", new { user })).Single();
        Assert.InRange(ms, 900, 1200); // the track's own duration: about one second
        Assert.Equal((0L, "subsonic"), (skipped, source));
        Assert.Equal(1L, await Scalar<long>("SELECT play_count FROM annotations WHERE user_id = @user AND item_kind = 'artist'", new { user }));
        var recent = await http.GetFromJsonAsync<JsonElement>("/api/v1/me/plays");
        Assert.Equal("Basalt Two", recent[0].GetProperty("track").GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("""{ "msPlayed": 1000 }""", HttpStatusCode.BadRequest)]
    [InlineData("""{ "trackId": "al-1", "msPlayed": 1000 }""", HttpStatusCode.NotFound)]
    [InlineData("""{ "trackId": "tr-999999", "msPlayed": 1000 }""", HttpStatusCode.NotFound)]
    [InlineData("""{ "trackId": "TRACK", "msPlayed": -1 }""", HttpStatusCode.BadRequest)]
    [InlineData("""{ "trackId": "TRACK", "msPlayed": 86400001 }""", HttpStatusCode.BadRequest)]
    [InlineData("""{ "trackId": "TRACK" }""", HttpStatusCode.BadRequest)]
    [InlineData("""{ "trackId": "TRACK", "msPlayed": 10, "startedAt": "2999-01-01T00:00:00Z" }""", HttpStatusCode.BadRequest)]
    [InlineData("""{ "trackId": "TRACK", "msPlayed": "lots" }""", HttpStatusCode.BadRequest)]
    public async Task Bad_play_reports_are_refused_and_nothing_is_recorded(string json, HttpStatusCode status)
    {
        var (_, http) = await fx.ListenerAsync();
        var user = await ListeningFixture.UserIdAsync(http);
        var body = json.Replace("TRACK", await fx.TrackAsync("Amber Two"));
        var response = await http.PostAsync("/api/v1/me/plays", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(0L, await Scalar<long>("SELECT COUNT(*) FROM play_events WHERE user_id = @user", new { user }));
        using var anonymous = fx.Server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/me/plays", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task Recently_played_is_newest_first_and_leaves_skips_out_unless_asked()
    {
        var (_, http) = await fx.ListenerAsync();
        var now = DateTimeOffset.UtcNow;
        await fx.PlayAsync(http, "Cobalt One", at: now.AddMinutes(-30));
        await fx.PlayAsync(http, "Cobalt Two", skip: true, at: now.AddMinutes(-20));
        await fx.PlayAsync(http, "Cobalt Three", at: now.AddMinutes(-10));
        var recent = await http.GetFromJsonAsync<JsonElement>("/api/v1/me/plays");
        Assert.Equal(["Cobalt Three", "Cobalt One"], recent.EnumerateArray().Select(e => e.GetProperty("track").GetProperty("title").GetString()));
        var all = await http.GetFromJsonAsync<JsonElement>("/api/v1/me/plays?includeSkipped=true&limit=2");
        Assert.Equal(["Cobalt Three", "Cobalt Two"], all.EnumerateArray().Select(e => e.GetProperty("track").GetProperty("title").GetString()));
        Assert.True(all[1].GetProperty("skipped").GetBoolean());
    }

    [Fact]
    public async Task Most_played_ranks_per_period_for_the_listener_and_for_the_server()
    {
        var (_, me) = await fx.ListenerAsync();
        var (_, other) = await fx.ListenerAsync();
        var now = DateTimeOffset.UtcNow;
        // This week: Dune Two three times, Dune One once. Twenty days ago: Flint One five times (this month, not this week).
        for (var i = 0; i < 3; i++) await fx.PlayAsync(me, "Dune Two", at: now.AddHours(-i - 1));
        await fx.PlayAsync(me, "Dune One", at: now.AddHours(-5));
        for (var i = 0; i < 5; i++) await fx.PlayAsync(me, "Flint One", at: now.AddDays(-20).AddHours(i));
        await fx.PlayAsync(me, "Dune One", skip: true); // skips never rank
        for (var i = 0; i < 5; i++) await fx.PlayAsync(other, "Dune One", at: now.AddHours(-i - 1));

        async Task<List<(string, long)>> Top(HttpClient http, string kind, string query, string name = "title")
        {
            var list = await http.GetFromJsonAsync<JsonElement>($"/api/v1/me/top/{kind}?{query}");
            var item = kind switch { "tracks" => "track", "albums" => "album", _ => "artist" };
            return list.EnumerateArray().Select(e => (e.GetProperty(item).GetProperty(name).GetString()!, e.GetProperty("plays").GetInt64())).ToList();
        }

        Assert.Equal([("Dune Two", 3L), ("Dune One", 1L)], await Top(me, "tracks", "period=week"));
        Assert.Equal([("Flint One", 5L), ("Dune Two", 3L), ("Dune One", 1L)], await Top(me, "tracks", "period=month"));
        Assert.Equal([("Flint", 5L), ("Dune", 4L)], await Top(me, "artists", "period=year", "name"));
        Assert.Equal(("Flint Album", 5L), (await Top(me, "albums", "period=month&limit=1", "name")).Single());
        // Server-wide: everyone's plays (other tests add theirs, so only the order of these two is checked).
        var server = await Top(me, "tracks", "period=week&scope=server&limit=100");
        var duneOne = server.Single(x => x.Item1 == "Dune One").Item2;
        Assert.True(duneOne >= 6, $"server-wide Dune One: {duneOne}");

        foreach (var bad in new[] { "period=decade", "scope=galaxy" })
            Assert.Equal(HttpStatusCode.BadRequest, (await me.GetAsync($"/api/v1/me/top/tracks?{bad}")).StatusCode);
        // A hostile limit is clamped, not refused.
        Assert.InRange((await me.GetFromJsonAsync<JsonElement>("/api/v1/me/top/tracks?period=all&scope=server&limit=100000")).GetArrayLength(), 1, 100);
    }

    [Fact]
    public async Task The_yearly_recap_sums_minutes_plays_and_tops_of_that_year_only()
    {
        var (_, http) = await fx.ListenerAsync();
        var march = new DateTimeOffset(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 3; i++) await fx.PlayAsync(http, "Ember One", at: march.AddDays(i));
        await fx.PlayAsync(http, "Ember Two", at: march.AddMonths(2));
        await fx.PlayAsync(http, "Basalt One", at: march.AddMonths(2));
        await fx.PlayAsync(http, "Basalt Two", skip: true, at: march.AddMonths(3));
        await fx.PlayAsync(http, "Amber One", at: new DateTimeOffset(2024, 12, 31, 23, 59, 0, TimeSpan.Zero)); // the year before

        var recap = await http.GetFromJsonAsync<JsonElement>("/api/v1/me/recap/2025");
        Assert.Equal(5, recap.GetProperty("plays").GetInt64());
        Assert.Equal(1, recap.GetProperty("skips").GetInt64());
        Assert.Equal(3, recap.GetProperty("distinctTracks").GetInt64()); // Ember One, Ember Two, Basalt One: a skip is not a track listened to
        Assert.Equal(2, recap.GetProperty("distinctArtists").GetInt64());
        Assert.Equal(0, recap.GetProperty("minutes").GetInt64()); // 5.1 seconds of one-second tracks
        Assert.Equal(3, recap.GetProperty("busiestMonth").GetProperty("month").GetInt32());
        Assert.Equal(12, recap.GetProperty("months").GetArrayLength());
        Assert.Equal("Ember", recap.GetProperty("topArtists")[0].GetProperty("artist").GetProperty("name").GetString());
        Assert.Equal(4, recap.GetProperty("topArtists")[0].GetProperty("plays").GetInt64());
        Assert.Equal("Ember One", recap.GetProperty("topTracks")[0].GetProperty("track").GetProperty("title").GetString());
        Assert.Equal("Ember Album", recap.GetProperty("topAlbums")[0].GetProperty("album").GetProperty("name").GetString());

        var empty = await http.GetFromJsonAsync<JsonElement>("/api/v1/me/recap/2023");
        Assert.Equal(0, empty.GetProperty("plays").GetInt64());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("busiestMonth").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/v1/me/recap/1500")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/me/recap/next")).StatusCode);
    }
}
