using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sillon.Accounts;
using Sillon.Tests.Fixtures;

namespace Sillon.Tests.Playlists;

/// <summary>One server over six tracks of varied genre, year, format and length; each test makes its own users.</summary>
public sealed class SmartLibraryFixture : IAsyncLifetime
{
    public const string Password = "s3cret-pass";
    public TestLibrary Library { get; } = new();
    public SillonServer Server { get; private set; } = null!;
    private int _users;

    public async Task InitializeAsync()
    {
        var lib = Library;
        await lib.AddAsync("Rock Band/First/01 - Stone.mp3", "mp3", new TagSet { Title = "Stone", Artists = ["Rock Band"], Album = "First", Track = 1, Date = "1994", Genres = ["Rock"] });
        await lib.AddAsync("Rock Band/First/02 - Rolling.mp3", "mp3", new TagSet { Title = "Rolling", Artists = ["Rock Band"], Album = "First", Track = 2, Date = "1994", Genres = ["Rock", "Blues"] }, seconds: 2);
        await lib.AddAsync("Rock Band/Later/01 - Modern Rock.flac", "flac", new TagSet { Title = "Modern Rock", Artists = ["Rock Band"], Album = "Later", Track = 1, Date = "2015", Genres = ["Rock"] });
        await lib.AddAsync("Jazz Trio/Blue/01 - Blue Night.flac", "flac", new TagSet { Title = "Blue Night", Artists = ["Jazz Trio"], Album = "Blue", Track = 1, Date = "1959", Genres = ["Jazz"], Composer = "Miles" });
        await lib.AddAsync("Jazz Trio/Blue/02 - 100% Swing_.ogg", "ogg", new TagSet { Title = "100% Swing_", Artists = ["Jazz Trio"], Album = "Blue", Track = 2, Date = "1961", Genres = ["Jazz"] }, seconds: 3);
        await lib.AddAsync("Pop Star/Hits/01 - Shine.mp3", "mp3", new TagSet { Title = "Shine", Artists = ["Pop Star"], Album = "Hits", Track = 1, Date = "2020", Genres = ["Pop"] });
        Server = await SillonServer.StartAsync(lib);
        await Server.WaitForScanAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A fresh user and a REST client logged in as them.</summary>
    public async Task<(string Name, HttpClient Http)> UserAsync(bool admin = false)
    {
        var name = $"user{Interlocked.Increment(ref _users)}";
        var (result, user) = await Server.Services.GetRequiredService<Users>().AddAsync(name, Password, admin, CancellationToken.None);
        Assert.Equal(UserResult.Ok, result);
        // A session made directly: logging in over HTTP is rate-limited to a few a minute per address.
        var (token, _) = await Server.Services.GetRequiredService<Sessions>().CreateAsync(user!, CancellationToken.None);
        return (name, Server.Client(token));
    }

    public async Task<JsonElement> SubsonicAsync(string user, string endpoint, string query = "")
    {
        using var http = Server.Client();
        var body = await http.GetStringAsync($"/rest/{endpoint}?u={user}&p={Password}&v=1.16.1&c=tests&f=json{(query.Length > 0 ? "&" + query : "")}");
        return JsonDocument.Parse(body).RootElement.GetProperty("subsonic-response").Clone();
    }

    public async Task<string> TrackIdAsync(string title) =>
        "tr-" + await Sql.ScalarAsync<long>(Library.Data, "SELECT id FROM tracks WHERE title = @title", new { title });

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Library.DisposeAsync();
    }
}

public sealed class SmartPlaylistTests(SmartLibraryFixture f) : IClassFixture<SmartLibraryFixture>
{
    private static async Task<string> CreateAsync(HttpClient http, object rules, string name = "Smart", bool isPublic = false)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/playlists/smart", new { name, @public = isPublic, rules });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("playlist").GetProperty("id").GetString()!;
    }

    private async Task<List<string>> TitlesAsync(string user, string playlistId)
    {
        var r = await f.SubsonicAsync(user, "getPlaylist", $"id={playlistId}");
        Assert.True(r.GetProperty("status").GetString() == "ok", r.ToString());
        var playlist = r.GetProperty("playlist");
        return playlist.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("title").GetString()!).ToList() : [];
    }

    [Fact]
    public async Task Rules_select_tracks_in_the_requested_order_and_subsonic_sees_an_ordinary_playlist()
    {
        var (user, http) = await f.UserAsync();
        var id = await CreateAsync(http, new
        {
            match = "all",
            rules = new object[] { new { field = "genre", @operator = "is", value = "rock" }, new { field = "year", @operator = "lt", value = 2000 } },
            sort = new { field = "title", direction = "desc" },
        });

        Assert.Equal(["Stone", "Rolling"], await TitlesAsync(user, id));
        var list = await f.SubsonicAsync(user, "getPlaylists");
        var entry = list.GetProperty("playlists").GetProperty("playlist").EnumerateArray().Single(p => p.GetProperty("id").GetString() == id);
        Assert.Equal(2, entry.GetProperty("songCount").GetInt32());
        Assert.True(entry.GetProperty("readonly").GetBoolean());
    }

    [Fact]
    public async Task Any_match_and_nested_groups_combine_rules()
    {
        var (user, http) = await f.UserAsync();
        // Jazz, or (Rock and from 2000 on)
        var id = await CreateAsync(http, new
        {
            match = "any",
            rules = new object[]
            {
                new { field = "genre", @operator = "is", value = "Jazz" },
                new { match = "all", rules = new object[] { new { field = "genre", @operator = "is", value = "Rock" }, new { field = "year", @operator = "gt", value = 1999 } } },
            },
            sort = new { field = "year" },
        });

        Assert.Equal(["Blue Night", "100% Swing_", "Modern Rock"], await TitlesAsync(user, id));
    }

    [Fact]
    public async Task Text_operators_treat_like_wildcards_in_values_as_plain_characters()
    {
        var (user, http) = await f.UserAsync();
        var percent = await CreateAsync(http, new { rules = new[] { new { field = "title", @operator = "contains", value = "0% s" } } });
        var underscore = await CreateAsync(http, new { rules = new[] { new { field = "title", @operator = "endsWith", value = "_" } } });
        var notContains = await CreateAsync(http, new { rules = new[] { new { field = "composer", @operator = "notContains", value = "miles" } } });

        Assert.Equal(["100% Swing_"], await TitlesAsync(user, percent));
        Assert.Equal(["100% Swing_"], await TitlesAsync(user, underscore));
        // A track without a composer does not contain "miles" either.
        Assert.Equal(5, (await TitlesAsync(user, notContains)).Count);
    }

    [Fact]
    public async Task Values_are_bound_as_parameters_never_spliced_into_sql()
    {
        var (user, http) = await f.UserAsync();
        var id = await CreateAsync(http, new { rules = new[] { new { field = "title", @operator = "is", value = "x' OR 1=1; DROP TABLE tracks; --" } } });

        Assert.Empty(await TitlesAsync(user, id));
        Assert.Equal(6L, await Sql.ScalarAsync<long>(f.Library.Data, "SELECT COUNT(*) FROM tracks"));
    }

    [Fact]
    public async Task Per_user_fields_read_the_owners_annotations_even_when_another_user_views_the_playlist()
    {
        var (alice, aliceHttp) = await f.UserAsync();
        var (bob, _) = await f.UserAsync();
        await f.SubsonicAsync(alice, "star", $"id={await f.TrackIdAsync("Shine")}");
        await f.SubsonicAsync(alice, "setRating", $"id={await f.TrackIdAsync("Blue Night")}&rating=5");
        await f.SubsonicAsync(bob, "star", $"id={await f.TrackIdAsync("Stone")}");
        var id = await CreateAsync(aliceHttp, new
        {
            match = "any",
            rules = new object[] { new { field = "starred", @operator = "isTrue" }, new { field = "rating", @operator = "gt", value = 3 } },
            sort = new { field = "title" },
        }, isPublic: true);

        Assert.Equal(["Blue Night", "Shine"], await TitlesAsync(alice, id));
        Assert.Equal(["Blue Night", "Shine"], await TitlesAsync(bob, id));
    }

    [Fact]
    public async Task Tracks_never_played_or_rated_count_as_zero()
    {
        var (user, http) = await f.UserAsync();
        await f.SubsonicAsync(user, "setRating", $"id={await f.TrackIdAsync("Shine")}&rating=2");
        var unrated = await CreateAsync(http, new { rules = new[] { new { field = "rating", @operator = "lt", value = 1 } } });
        var rated = await CreateAsync(http, new { rules = new[] { new { field = "rating", @operator = "between", value = new[] { 1, 5 } } } });
        var unplayed = await CreateAsync(http, new { rules = new[] { new { field = "playcount", @operator = "is", value = 0 } } });

        Assert.Equal(5, (await TitlesAsync(user, unrated)).Count);
        Assert.Equal(["Shine"], await TitlesAsync(user, rated));
        Assert.Equal(6, (await TitlesAsync(user, unplayed)).Count);
    }

    [Fact]
    public void Compiled_sql_holds_no_value_from_the_rules()
    {
        var rules = Sillon.Playlists.SmartRules.Parse("""
            {"match":"any","rules":[{"field":"title","operator":"contains","value":"zz'--"},{"field":"genre","operator":"isNot","value":"Rock"},
            {"field":"year","operator":"between","value":[1990,1999]},{"field":"lastplayed","operator":"inTheLast","value":7}],"sort":{"field":"random"},"limit":25}
            """);
        var query = Sillon.Playlists.SmartRules.Compile(rules, 42, DateTimeOffset.Parse("2026-01-31T00:00:00Z"));

        foreach (var value in new[] { "zz", "Rock", "rock", "1990", "1999", "2026", "42", "25" }) Assert.DoesNotContain(value, query.Sql);
        Assert.Equal("%zz'--%", query.Parameters.Get<string>("p0"));
        Assert.Equal("2026-01-24T00:00:00.000Z", query.Parameters.Get<string>("p4"));
    }

    [Fact]
    public async Task A_smart_playlist_follows_the_owners_plays_stars_and_ratings()
    {
        var (user, http) = await f.UserAsync();
        var id = await CreateAsync(http, new
        {
            rules = new object[] { new { field = "playcount", @operator = "gt", value = 1 } },
            sort = new { field = "lastplayed", direction = "desc" },
        });
        Assert.Empty(await TitlesAsync(user, id));

        var stone = await f.TrackIdAsync("Stone");
        var shine = await f.TrackIdAsync("Shine");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await f.SubsonicAsync(user, "scrobble", $"id={stone}&id={stone}&time={now - 60_000}&time={now - 50_000}");
        await f.SubsonicAsync(user, "scrobble", $"id={shine}&id={shine}&time={now - 10_000}&time={now - 5_000}");
        Assert.Equal(["Shine", "Stone"], await TitlesAsync(user, id));

        await f.SubsonicAsync(user, "scrobble", $"id={stone}&time={now}");
        Assert.Equal(["Stone", "Shine"], await TitlesAsync(user, id));
    }

    [Fact]
    public async Task Not_played_in_the_last_days_includes_tracks_never_played()
    {
        var (user, http) = await f.UserAsync();
        var now = DateTimeOffset.UtcNow;
        await f.SubsonicAsync(user, "scrobble", $"id={await f.TrackIdAsync("Stone")}&time={now.ToUnixTimeMilliseconds()}");
        await f.SubsonicAsync(user, "scrobble", $"id={await f.TrackIdAsync("Shine")}&time={now.AddDays(-40).ToUnixTimeMilliseconds()}");
        var id = await CreateAsync(http, new
        {
            rules = new object[] { new { field = "lastplayed", @operator = "notInTheLast", value = 30 } },
            sort = new { field = "random" },
            limit = 100,
        });

        var titles = await TitlesAsync(user, id);
        Assert.Equal(5, titles.Count);
        Assert.DoesNotContain("Stone", titles);
        Assert.Contains("Shine", titles);
    }

    [Fact]
    public async Task Limit_and_sort_shape_the_result()
    {
        var (user, http) = await f.UserAsync();
        var id = await CreateAsync(http, new { rules = Array.Empty<object>(), sort = new { field = "duration", direction = "desc" }, limit = 2 });

        Assert.Equal(["100% Swing_", "Rolling"], await TitlesAsync(user, id));
    }

    [Fact]
    public async Task Subsonic_clients_cannot_edit_the_songs_of_a_smart_playlist_but_can_rename_it()
    {
        var (user, http) = await f.UserAsync();
        var id = await CreateAsync(http, new { rules = new[] { new { field = "genre", @operator = "is", value = "Pop" } } });

        var add = await f.SubsonicAsync(user, "updatePlaylist", $"playlistId={id}&songIdToAdd={await f.TrackIdAsync("Stone")}");
        Assert.Equal(50, add.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("smart", add.GetProperty("error").GetProperty("message").GetString());
        var replace = await f.SubsonicAsync(user, "createPlaylist", $"playlistId={id}&songId={await f.TrackIdAsync("Stone")}");
        Assert.Equal(50, replace.GetProperty("error").GetProperty("code").GetInt32());
        var rename = await f.SubsonicAsync(user, "updatePlaylist", $"playlistId={id}&name=Renamed");
        Assert.Equal("ok", rename.GetProperty("status").GetString());

        Assert.Equal(["Shine"], await TitlesAsync(user, id));
    }

    [Fact]
    public async Task Changing_the_rules_changes_the_tracks_at_once()
    {
        var (user, http) = await f.UserAsync();
        var id = await CreateAsync(http, new { rules = new[] { new { field = "genre", @operator = "is", value = "Pop" } } });
        Assert.Equal(["Shine"], await TitlesAsync(user, id));

        using var response = await http.PutAsJsonAsync($"/api/v1/playlists/smart/{id}", new { rules = new { rules = new[] { new { field = "album", @operator = "is", value = "Later" } } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(["Modern Rock"], await TitlesAsync(user, id));
        using var detail = await http.GetAsync($"/api/v1/playlists/{id}");
        var json = JsonDocument.Parse(await detail.Content.ReadAsStringAsync()).RootElement;
        Assert.True(json.GetProperty("playlist").GetProperty("smart").GetBoolean());
        Assert.Equal("album", json.GetProperty("rules").GetProperty("rules")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Preview_evaluates_rules_without_saving_a_playlist()
    {
        var (_, http) = await f.UserAsync();
        var before = await Sql.ScalarAsync<long>(f.Library.Data, "SELECT COUNT(*) FROM playlists");

        using var response = await http.PostAsJsonAsync("/api/v1/playlists/smart/preview", new { rules = new[] { new { field = "format", @operator = "is", value = "flac" } } });
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, json.GetProperty("count").GetInt32());
        Assert.Equal(["Blue Night", "Modern Rock"], json.GetProperty("tracks").EnumerateArray().Select(t => t.GetProperty("title").GetString()).Order());
        Assert.Equal(before, await Sql.ScalarAsync<long>(f.Library.Data, "SELECT COUNT(*) FROM playlists"));
    }

    public static TheoryData<string, string, string> BadRules => new()
    {
        { """{"rules":[{"field":"mood","operator":"is","value":"happy"}]}""", "rules[0].field", "unknown field 'mood'" },
        { """{"rules":[{"field":"year","operator":"contains","value":"19"}]}""", "rules[0].operator", "does not apply to year" },
        { """{"rules":[{"field":"year","operator":"gt","value":"soon"}]}""", "rules[0].value", "a number is required" },
        { """{"rules":[{"field":"year","operator":"between","value":[2000]}]}""", "rules[0].value", "two values" },
        { """{"rules":[{"field":"added","operator":"inTheLast","value":0}]}""", "rules[0].value", "whole number of days" },
        { """{"rules":[{"field":"added","operator":"before","value":"31/12/2020"}]}""", "rules[0].value", "a date like" },
        { """{"rules":[{"field":"title","operator":"is","value":""}]}""", "rules[0].value", "empty" },
        { """{"rules":[{"field":"title","operator":"is"}]}""", "rules[0].value", "a text value is required" },
        { """{"match":"some","rules":[]}""", "match", "match must be all or any" },
        { """{"rules":[],"limit":0}""", "limit", "between 1 and 10000" },
        { """{"rules":[],"limit":100001}""", "limit", "between 1 and 10000" },
        { """{"rules":[],"sort":{"field":"genre"}}""", "sort.field", "cannot sort by 'genre'" },
        { """{"rules":[],"sort":{"field":"title","direction":"up"}}""", "sort.direction", "asc or desc" },
        { """{"rules":[{"match":"any","rules":[]}]}""", "rules[0].rules", "at least one rule" },
        { """{"rules":[{"rules":[{"rules":[{"rules":[{"field":"year","operator":"gt","value":1}]}]}]}]}""", "rules[0].rules[0].rules[0]", "nest at most 3" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task Invalid_rules_are_refused_with_a_problem_naming_the_rule(string rules, string at, string message)
    {
        var (_, http) = await f.UserAsync();
        var body = $$"""{"name":"Bad","rules":{{rules}}}""";
        var before = await Sql.ScalarAsync<long>(f.Library.Data, "SELECT COUNT(*) FROM playlists");

        foreach (var (url, content) in new[] { ("/api/v1/playlists/smart", body), ("/api/v1/playlists/smart/preview", rules) })
        {
            using var response = await http.PostAsync(url, new StringContent(content, System.Text.Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)response.StatusCode} {text}");
            Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString());
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal(at, problem.GetProperty("at").GetString());
            Assert.Contains(message, problem.GetProperty("detail").GetString());
        }
        Assert.Equal(before, await Sql.ScalarAsync<long>(f.Library.Data, "SELECT COUNT(*) FROM playlists"));
    }

    [Fact]
    public async Task Another_users_private_smart_playlist_is_not_found_and_cannot_be_changed()
    {
        var (_, aliceHttp) = await f.UserAsync();
        var (bob, bobHttp) = await f.UserAsync();
        var id = await CreateAsync(aliceHttp, new { rules = new[] { new { field = "genre", @operator = "is", value = "Pop" } } });

        Assert.Equal(HttpStatusCode.NotFound, (await bobHttp.GetAsync($"/api/v1/playlists/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bobHttp.PutAsJsonAsync($"/api/v1/playlists/smart/{id}", new { name = "Mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bobHttp.DeleteAsync($"/api/v1/playlists/{id}")).StatusCode);
        Assert.Equal(70, (await f.SubsonicAsync(bob, "getPlaylist", $"id={id}")).GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Any_playlist_exports_as_m3u8_with_paths_relative_to_the_music_folder()
    {
        var (user, http) = await f.UserAsync();
        var created = await f.SubsonicAsync(user, "createPlaylist", $"name=Évening mix&songId={await f.TrackIdAsync("Blue Night")}&songId={await f.TrackIdAsync("Stone")}");
        var id = created.GetProperty("playlist").GetProperty("id").GetString();

        using var response = await http.GetAsync($"/api/v1/playlists/{id}/m3u8");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/x-mpegurl", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Évening mix.m3u8", response.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal([
            "#EXTM3U", "#PLAYLIST:Évening mix",
            "#EXTINF:1,Jazz Trio - Blue Night", "Jazz Trio/Blue/01 - Blue Night.flac",
            "#EXTINF:1,Rock Band - Stone", "Rock Band/First/01 - Stone.mp3",
        ], text.TrimEnd('\n').Split('\n'));
        // Absolute paths reveal the server's layout: administrators only.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/api/v1/playlists/{id}/m3u8?paths=absolute")).StatusCode);
        var (_, admin) = await f.UserAsync(admin: true);
        var absolute = await admin.GetStringAsync($"/api/v1/playlists/{id}/m3u8?paths=absolute");
        Assert.Contains(f.Library.PathOf("Rock Band/First/01 - Stone.mp3"), absolute.Split('\n'));
    }

    [Fact]
    public async Task Playlist_list_marks_smart_playlists()
    {
        var (user, http) = await f.UserAsync();
        var smart = await CreateAsync(http, new { rules = new[] { new { field = "genre", @operator = "is", value = "Jazz" } } }, name: "Jazz");
        await f.SubsonicAsync(user, "createPlaylist", "name=Plain");

        using var response = await http.GetAsync("/api/v1/playlists");
        lock (f.Server.Logs) Assert.True(response.IsSuccessStatusCode, string.Join("\n", f.Server.Logs.Where(l => l.StartsWith("Error")).TakeLast(2)));
        var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Where(p => p.GetProperty("owner").GetString() == user).ToDictionary(p => p.GetProperty("name").GetString()!);

        Assert.True(list["Jazz"].GetProperty("smart").GetBoolean());
        Assert.Equal(2, list["Jazz"].GetProperty("songCount").GetInt32());
        Assert.Equal(smart, list["Jazz"].GetProperty("id").GetString());
        Assert.False(list["Plain"].GetProperty("smart").GetBoolean());
    }
}
